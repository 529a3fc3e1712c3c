"""The visitors' thread page cache (node/forum/pages_cache.py): a visitor is served the page rendered a
moment ago with their own CSRF token in its forms; a change in this process shows at once, one made
without a model signal within the cache's lifetime; members and odd queries never get a stored page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from types import SimpleNamespace

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from node.core.models import Post
from node.forum import pages_cache, threads
from node.forum.categories import CategoryInput, create_category
from node.forum.models import Topic
from node.web import auth
from node.posts.content import Draft
from tests.conftest import Federation, client_for, member
from tests.helpers import logged_in


@pytest.fixture
def clock() -> Iterator[list[float]]:
    now = [1000.0]
    saved = pages_cache.clock
    pages_cache.clock = lambda: now[0]
    yield now
    pages_cache.clock = saved


async def _thread(federation: Federation) -> tuple[object, Topic]:
    node = await federation.add_node("a.test")
    author, _ = await member(node, "starter")
    with node.ctx:
        category = await create_category(node, "housing", CategoryInput(names={"en": "Housing"}))
        topic = await threads.start_topic(node, author, category, Draft(text="Where do I find a room?", title="Rooms in Paris"))
    return node, topic


async def test_visitors_share_the_page_but_not_the_token(federation: Federation, clock: list[float]) -> None:
    node, topic = await _thread(federation)
    path = f"/topics/{topic.slug}"
    async with client_for(node) as one, client_for(node) as two:
        first = await one.get(path)
        assert first.status_code == 200 and "Where do I find a room?" in first.text
        with node.ctx:  # a change no signal reports: the stored page is served until it expires
            await Post.filter(id=topic.post_id).update(content="<p>Rooms near the Gare du Nord</p>")
        second = await two.get(path)
        assert second.status_code == 200 and "Where do I find a room?" in second.text, "the page was rendered again"
        assert one.cookies.get("agora_session") and two.cookies.get("agora_session") != one.cookies.get("agora_session")
        clock[0] += pages_cache.CACHE_SECONDS + 0.1
        third = await two.get(path)
        assert "Gare du Nord" in third.text, "an expired page was served"


def _request(node: object, session: dict[str, str]) -> Request:
    app = SimpleNamespace(state=SimpleNamespace(node=node))
    return Request({"type": "http", "method": "GET", "path": "/topics/t", "query_string": b"", "headers": [],
                    "session": session, "app": app})


async def test_each_visitor_gets_their_own_token_in_the_stored_page(clock: list[float]) -> None:
    node = SimpleNamespace(extra={})
    built: list[str] = []

    async def build(request: Request) -> Response:
        token = auth.csrf_token(request)
        built.append(token)
        return HTMLResponse(f'<form><input name="csrf" value="{token}"></form>')

    first = await pages_cache.visitor_page(_request(node, {}), build)
    returning = _request(node, {"csrf": "returning-visitor-token"})
    second = await pages_cache.visitor_page(returning, build)
    fresh = _request(node, {})
    third = await pages_cache.visitor_page(fresh, build)
    assert len(built) == 1, "the stored page was rendered again"
    assert built[0].encode() in first.body
    assert b'value="returning-visitor-token"' in second.body and built[0].encode() not in second.body
    assert fresh.session["csrf"].encode() in third.body and fresh.session["csrf"] != built[0]
    member = await pages_cache.visitor_page(_request(node, {"uid": "7"}), build)
    assert len(built) == 2 and built[1].encode() in member.body, "a member was served the stored page"


async def test_a_change_here_shows_at_once_and_members_see_their_own_page(federation: Federation, clock: list[float]) -> None:
    node, topic = await _thread(federation)
    path = f"/topics/{topic.slug}"
    replier, _ = await member(node, "helper")
    async with client_for(node) as visitor:
        assert "Rue de Lyon" not in (await visitor.get(path)).text
        with node.ctx:
            await threads.reply(node, replier, topic, Draft(text="Try the Rue de Lyon hostel"))
        assert "Rue de Lyon" in (await visitor.get(path)).text, "a reply saved here was hidden by the cache"
        with node.ctx:
            await Post.filter(id=topic.post_id).update(content="<p>changed quietly</p>")
        assert "changed quietly" in (await visitor.get(f"{path}?page=1&quote=0")).text, "a quote form was served stored"
    async with logged_in(node, "reader") as http:
        page = await http.get(path)
        assert "changed quietly" in page.text, "a member was served the visitors' page"
        assert 'href="/logout"' in page.text or "reader" in page.text
