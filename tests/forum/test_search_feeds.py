"""The forum in the site search (titles and bodies in every language), its RSS and Atom feeds per
category and per topic, its place in the sitemap and a public thread's link preview."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from node.core.multilingual import Translation
from node.core.runtime import Node
from node.forum import threads
from node.forum.categories import CategoryInput, create_category
from node.forum.models import Category, Topic
from node.posts.content import Draft
from tests.conftest import Federation, client_for, member

ATOM = "{http://www.w3.org/2005/Atom}"


async def _thread(node: Node) -> tuple[Category, Topic]:
    alice, _ = await member(node, "alice")
    with node.ctx:
        category = await create_category(node, "housing", CategoryInput(names={"en": "Housing", "fr": "Logement"}))
        topic = await threads.start_topic(node, alice, category, Draft(
            text="Where do I find a room near the university?", title="Rooms in Paris", language="en",
            titles=(("ar", "غرف في باريس"),), translations=(Translation(language="fr", text="Où trouver une chambre près de la fac ?"),),
        ))
        await threads.reply(node, alice, topic, Draft(text="Ask the housing office on Tuesdays."))
    return category, topic


async def test_search_finds_titles_and_bodies_in_every_language(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    _, topic = await _thread(a)
    async with client_for(a) as http:
        for query in ("rooms in paris", "university", "chambre près", "غرف", "housing office"):
            page = (await http.get("/search", params={"q": query})).text
            assert f"/topics/{topic.slug}" in page, query
        reply = (await http.get("/search", params={"q": "housing office"})).text
        assert f"/topics/{topic.slug}/posts/1" in reply and "Forum" in reply
        assert f"/topics/{topic.slug}" not in (await http.get("/search", params={"q": "nothing like it"})).text


async def test_category_and_topic_feeds(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    _, topic = await _thread(a)
    async with client_for(a) as http:
        atom = await http.get("/forum/housing/feed.atom")
        assert atom.status_code == 200 and atom.headers["content-type"].startswith("application/atom+xml")
        entries = ET.fromstring(atom.text).findall(f"{ATOM}entry")
        assert [e.findtext(f"{ATOM}title") for e in entries] == ["Rooms in Paris"]
        assert entries[0].find(f"{ATOM}link").get("href") == f"http://a.test/topics/{topic.slug}"  # type: ignore[union-attr]
        rss = await http.get("/forum/housing/feed.rss")
        assert [i.findtext("title") for i in ET.fromstring(rss.text).iter("item")] == ["Rooms in Paris"]
        posts = ET.fromstring((await http.get(f"/topics/{topic.slug}/feed.atom")).text).findall(f"{ATOM}entry")
        assert len(posts) == 2 and "housing office" in (posts[0].findtext(f"{ATOM}content") or "")
        assert (await http.get("/forum/nowhere/feed.atom")).status_code == 404
        assert (await http.get("/topics/nowhere/feed.rss")).status_code == 404


async def test_sitemap_and_link_preview_of_a_public_thread(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    _, topic = await _thread(a)
    async with client_for(a) as http:
        sitemap = ET.fromstring((await http.get("/sitemap.xml")).text)
        places = [e.text for e in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
        assert f"http://a.test/topics/{topic.slug}" in places and "http://a.test/forum/housing" in places
        assert "Sitemap: http://a.test/sitemap.xml" in (await http.get("/robots.txt")).text
        page = (await http.get(f"/topics/{topic.slug}")).text
        assert '<meta property="og:title" content="Rooms in Paris">' in page
        assert '<meta property="og:site_name" content="Association of a.test">' in page
        assert f'<meta property="og:url" content="http://a.test/topics/{topic.slug}">' in page
        assert f'href="http://a.test/topics/{topic.slug}/feed.atom"' in page
