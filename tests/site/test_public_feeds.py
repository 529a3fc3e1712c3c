"""RSS 2.0 and Atom feeds of the association's public posts."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from email.utils import parsedate_to_datetime

from node.core.models import Post
from node.core.runtime import Node
from tests.conftest import Federation, client_for
from tests.helpers import publish

ATOM = "{http://www.w3.org/2005/Atom}"


async def fixture(node: Node) -> dict[str, Post]:
    posts = {
        "public": await publish(node, "Meeting on <Friday> & **Saturday** \x0b"),
        "warning": await publish(node, "Details of the vote", summary="Election results"),
        "followers": await publish(node, "Members-only budget", "followers"),
        "unlisted": await publish(node, "Unlisted notice", "unlisted"),
        "draft": await publish(node, "Unfinished draft"),
        "held": await publish(node, "Held message"),
    }
    with node.ctx:
        await Post.filter(id=posts["draft"].id).update(draft=True)
        await Post.filter(id=posts["held"].id).update(held=True)
    return posts


async def test_rss_feed_parses_and_carries_public_posts_only(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    posts = await fixture(a)
    async with client_for(a) as http:
        response = await http.get("/feed.rss")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/rss+xml")
    root = ET.fromstring(response.content)
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel is not None
    assert channel.findtext("title") == "Association of a.test"
    assert channel.findtext("link") == "http://a.test/"
    items = channel.findall("item")
    guids = [item.findtext("guid") for item in items]
    assert guids == [posts["warning"].uri, posts["public"].uri]  # newest first, nothing hidden
    public = items[1]
    assert public.findtext("link") == posts["public"].uri
    description = public.findtext("description") or ""
    assert "<strong>Saturday</strong>" in description and "&lt;Friday&gt; &amp;" in description
    assert parsedate_to_datetime(public.findtext("pubDate") or "").timestamp() == int(posts["public"].published.timestamp())
    assert items[0].findtext("title") == "Election results"
    for hidden in ("Members-only", "Unlisted", "Unfinished", "Held"):
        assert hidden not in response.text


async def test_atom_feed_parses_with_absolute_links(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    posts = await fixture(a)
    async with client_for(a) as http:
        response = await http.get("/feed.atom")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    assert root.findtext(f"{ATOM}id") == "http://a.test/feed.atom"
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
    assert links == {"self": "http://a.test/feed.atom", "alternate": "http://a.test/"}
    entries = root.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}id") for e in entries] == [posts["warning"].uri, posts["public"].uri]
    content = entries[1].find(f"{ATOM}content")
    assert content is not None and content.get("type") == "html"
    assert "<strong>Saturday</strong>" in (content.text or "")
    link = entries[1].find(f"{ATOM}link")
    assert link is not None and link.get("href", "").startswith("http://a.test/posts/")
    for hidden in ("Members-only", "Unlisted", "Unfinished", "Held"):
        assert hidden not in response.text


async def test_feeds_hold_the_latest_20_posts_and_parse_when_empty(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with client_for(a) as http:
        for path in ("/feed.rss", "/feed.atom"):
            empty = await http.get(path)
            assert empty.status_code == 200
            ET.fromstring(empty.content)
    for i in range(23):
        await publish(a, f"News {i}")
    async with client_for(a) as http:
        rss = ET.fromstring((await http.get("/feed.rss")).content)
        atom = ET.fromstring((await http.get("/feed.atom")).content)
    titles = [item.findtext("title") for item in rss.iter("item")]
    assert len(titles) == 20 and titles[0] == "News 22" and "News 2" not in titles
    assert len(atom.findall(f"{ATOM}entry")) == 20
