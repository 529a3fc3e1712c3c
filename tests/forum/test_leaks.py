"""A members-only category never leaves the node on the HTML side (the ActivityPub side is tested with
the wire): its topics are in no feed, no visitor's search results, no Open Graph tags, not in the
sitemap nor the public lists, and its pages refuse visitors. Each test also shows the same place does
carry a public topic (or the member's view), so an empty answer proves nothing by itself."""

from __future__ import annotations

from dataclasses import dataclass

import httpx2

from node.core.models import Post
from node.core.runtime import Node
from node.forum import threads
from node.forum.categories import CategoryInput, create_category
from node.forum.models import Topic
from node.posts.content import Draft
from tests.conftest import Federation, client_for, member
from tests.helpers import logged_in

SECRET = "classifiedfigure"


@dataclass
class Forum:
    node: Node
    secret: Topic  # in the members-only category "board"
    public: Topic  # in the public category "housing"
    secret_post: Post  # the opening post of `secret`


async def _forum(fed: Federation) -> Forum:
    a = await fed.add_node("a.test")
    alice, _ = await member(a, "alice")
    with a.ctx:
        board = await create_category(a, "board", CategoryInput(names={"en": "Board"}, read_access="members"))
        housing = await create_category(a, "housing", CategoryInput(names={"en": "Housing"}))
        secret = await threads.start_topic(a, alice, board, Draft(text=f"The budget is {SECRET} #budget", title=f"Secret {SECRET}"))
        await threads.reply(a, alice, secret, Draft(text=f"Reply with {SECRET} too"))
        public = await threads.start_topic(a, alice, housing, Draft(text="Rooms near the station #budget", title="Open rooms"))
        secret_post = await Post.get(id=secret.post_id)
    await fed.settle()
    return Forum(a, secret, public, secret_post)


def visitor(forum: Forum) -> httpx2.AsyncClient:
    return client_for(forum.node, follow_redirects=False)


async def test_not_in_feeds(federation: Federation) -> None:
    forum = await _forum(federation)
    async with visitor(forum) as http:
        for path in ("/feed.atom", "/feed.rss", "/forum/housing/feed.atom", "/forum/housing/feed.rss",
                     f"/topics/{forum.public.slug}/feed.atom"):
            answer = await http.get(path)
            assert answer.status_code == 200 and SECRET not in answer.text, path
        assert "Open rooms" in (await http.get("/forum/housing/feed.atom")).text
        for path in ("/forum/board/feed.atom", "/forum/board/feed.rss", f"/topics/{forum.secret.slug}/feed.atom",
                     f"/topics/{forum.secret.slug}/feed.rss"):
            answer = await http.get(path)
            assert answer.status_code == 404 and SECRET not in answer.text, path


async def test_not_in_search_results_for_visitors(federation: Federation) -> None:
    forum = await _forum(federation)
    async with visitor(forum) as http:
        page = (await http.get("/search", params={"q": SECRET})).text
        assert "Nothing found for" in page and "search-hits" not in page  # the page repeats the query, no more
        assert forum.secret.slug not in page and "The budget is" not in page and f"Secret {SECRET}" not in page
        assert forum.public.slug in (await http.get("/search", params={"q": "station"})).text
    async with logged_in(forum.node, "bob") as http:  # a member finds it
        assert f"/topics/{forum.secret.slug}" in (await http.get("/search", params={"q": SECRET})).text


async def test_no_open_graph_tags(federation: Federation) -> None:
    forum = await _forum(federation)
    async with logged_in(forum.node, "bob") as http:
        secret = await http.get(f"/topics/{forum.secret.slug}")
        assert secret.status_code == 200 and SECRET in secret.text  # the member reads it...
        assert "og:" not in secret.text and "twitter:card" not in secret.text  # ...with nothing for link previews
        assert "feed.atom" not in secret.text
        board = await http.get("/forum/board")
        assert board.status_code == 200 and "og:" not in board.text and "/forum/board/feed.atom" not in board.text
        assert 'property="og:title" content="Open rooms"' in (await http.get(f"/topics/{forum.public.slug}")).text


async def test_not_in_the_sitemap(federation: Federation) -> None:
    forum = await _forum(federation)
    async with visitor(forum) as http:
        sitemap = (await http.get("/sitemap.xml")).text
        assert f"/topics/{forum.public.slug}" in sitemap and "/forum/housing" in sitemap
        assert forum.secret.slug not in sitemap and "/forum/board" not in sitemap
        assert forum.secret_post.uri not in sitemap


async def test_not_in_the_public_html_lists(federation: Federation) -> None:
    forum = await _forum(federation)
    async with visitor(forum) as http:
        for path in ("/", "/forum", "/@alice", "/tags/budget", "/forum/housing"):
            answer = await http.get(path)
            assert answer.status_code == 200, path
            assert SECRET not in answer.text and forum.secret.slug not in answer.text and "/forum/board" not in answer.text, path
        assert "Housing" in (await http.get("/forum")).text
        assert "Open rooms" in (await http.get("/forum/housing")).text


async def test_its_pages_refuse_visitors(federation: Federation) -> None:
    forum = await _forum(federation)
    slug = forum.secret.slug
    post_path = "/posts/" + forum.secret_post.uri.rsplit("/", 1)[-1]
    async with visitor(forum) as http:
        for path in ("/forum/board", f"/topics/{slug}", f"/topics/{slug}?page=2", f"/topics/{slug}/posts/1",
                     f"/topics/{slug}/posts/0/history", post_path):
            answer = await http.get(path, headers={"Accept": "text/html"})
            assert answer.status_code in (303, 404), (path, answer.status_code)
            assert SECRET not in answer.text, path
            if answer.status_code == 303:
                assert answer.headers["location"].startswith("/login"), path
        assert (await http.get(f"/topics/{forum.public.slug}")).status_code == 200
