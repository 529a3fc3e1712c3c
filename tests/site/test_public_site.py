"""The public site: home page, about page, search, Open Graph tags, profile paging, page weight."""

from __future__ import annotations

from datetime import datetime, timedelta
from html.parser import HTMLParser
from typing import Any

from node.initiatives import initiatives
from node.core import site_settings
from node.posts.content import Draft, create_post
from node.events.events import create_event
from node.events.inputs import EventInput
from node.initiatives.initiatives import create_initiative
from node.initiatives.inputs import InitiativeInput, NeedInput
from node.events.models import Event
from node.initiatives.models import Initiative, Need
from node.initiatives.pledges import pledge
from node.core.models import Post
from node.core.runtime import Node
from node.web.pages import association_actor
from tests.conftest import Federation, client_for
from tests.helpers import publish

WEIGHT_LIMIT = 50 * 1024


class MetaTags(HTMLParser):
    """<meta> and <link> tags of a page's head, by name/property and rel."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.links: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "meta" and ("property" in values or "name" in values):
            self.meta[values.get("property") or values["name"]] = values.get("content", "")
        if tag == "link":
            self.links.append(values)


def head_of(html: str) -> MetaTags:
    parser = MetaTags()
    parser.feed(html)
    return parser


async def make_event(node: Node, name: str, days: int = 5, description: str = "Bring food to share") -> Event:
    with node.ctx:
        asso = await association_actor(node)
        assert asso is not None
        start = (datetime.now() + timedelta(days=days)).replace(microsecond=0, second=0)
        inp = EventInput(name=name, start=start, end=start + timedelta(hours=2), timezone="Europe/Paris",
                         description=description)
        return (await create_event(node, asso, inp))[0]


async def make_initiative(node: Node, title: str, summary: str = "Rebuild the village school", goal: str = "5000",
                          active: bool = True) -> Initiative:
    with node.ctx:
        asso = await association_actor(node)
        assert asso is not None
        inp = InitiativeInput(title=title, kind="development", summary=summary,
                              needs=(NeedInput(kind="money", title="Funds", goal=goal, currency="EUR"),))
        initiative = await create_initiative(node, asso, inp)
        if active:
            initiative = await initiatives.set_status(node, initiative, "active")
        return initiative


async def content_fixture(node: Node) -> dict[str, Any]:
    """Public content, and things that must never show: a draft, a held post, a followers-only post, a
    draft event, a cancelled event, a draft initiative."""
    shown = await publish(node, "Harvest festival on the square #Culture")
    followers = await publish(node, "Members-only harvest budget", "followers")
    draft = await publish(node, "Unfinished harvest draft")
    held = await publish(node, "Held harvest reply")
    event = await make_event(node, "Harvest dinner")
    draft_event = await make_event(node, "Secret harvest planning")
    cancelled = await make_event(node, "Cancelled harvest picnic")
    school = await make_initiative(node, "School rebuilding", summary="Harvest money for the school")
    draft_initiative = await make_initiative(node, "Hidden harvest project")
    with node.ctx:
        await Post.filter(id=draft.id).update(draft=True)
        await Post.filter(id=held.id).update(held=True)
        await Event.filter(id=draft_event.id).update(draft=True)
        await Event.filter(id=cancelled.id).update(status="CANCELLED")
        await Initiative.filter(id=draft_initiative.id).update(draft=True)
        need = await Need.get(initiative=school)
        await pledge(node, need, name="Awa", email="awa@example.org", amount="1250")
    return {"post": shown, "followers": followers, "draft": draft, "held": held, "event": event,
            "draft_event": draft_event, "cancelled": cancelled, "initiative": school,
            "draft_initiative": draft_initiative}


HIDDEN = ("Members-only harvest budget", "Unfinished harvest draft", "Held harvest reply", "Secret harvest planning",
          "Hidden harvest project")


async def test_home_shows_identity_posts_events_initiatives_and_how_to_follow(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    await content_fixture(a)
    async with client_for(a) as http:
        page = await http.get("/")
    assert page.status_code == 200
    html = page.text
    assert "Association of a.test" in html and "@asso@a.test" in html
    assert 'action="/remote-follow"' in html and 'name="handle"' in html
    assert "Harvest festival on the square" in html
    assert "Harvest dinner" in html and "Cancelled harvest picnic" not in html
    assert "School rebuilding" in html and "<progress" in html and 'max="500000"' in html and 'value="125000"' in html
    for text in HIDDEN:
        assert text not in html, text
    head = head_of(html)
    feeds = {link["type"]: link["href"] for link in head.links if link.get("rel") == "alternate"}
    assert feeds["application/rss+xml"] == "http://a.test/feed.rss"
    assert feeds["application/atom+xml"] == "http://a.test/feed.atom"


async def test_home_lists_the_active_initiatives_before_proposed_ones_and_not_closed_ones(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    await make_initiative(a, "Active library", active=True)
    await make_initiative(a, "Proposed garden", active=False)
    closed = await make_initiative(a, "Closed well", active=True)
    with a.ctx:
        await initiatives.set_status(a, closed, "closed")
    async with client_for(a) as http:
        html = (await http.get("/")).text
    assert html.index("Active library") < html.index("Proposed garden")
    assert "Closed well" not in html


async def test_open_graph_and_meta_tags_on_home_profile_and_about(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    with a.ctx:
        asso = await association_actor(a)
        assert asso is not None
        asso.summary = "<p>Diaspora <b>solidarity</b> since 1998</p>"
        asso.icon_url = "/media/avatarkey1234567890-400.png"
        await asso.save()
    async with client_for(a) as http:
        for path, url, kind in (("/", "http://a.test/", "website"), ("/@asso", "http://a.test/@asso", "profile"),
                                ("/about", "http://a.test/about", "website")):
            head = head_of((await http.get(path)).text)
            assert head.meta["og:url"] == url and head.meta["og:type"] == kind, path
            assert head.meta["og:site_name"] == "Association of a.test"
            assert "Association of a.test" in head.meta["og:title"]
            assert head.meta["description"] == head.meta["og:description"] == "Diaspora solidarity since 1998"
            assert head.meta["og:image"] == "http://a.test/media/avatarkey1234567890-400.png"
            assert head.meta["twitter:card"] == "summary"
            assert {"rel": "canonical", "href": url} in head.links


async def test_about_page_shows_the_texts_edited_in_the_console_and_the_node_facts(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    with a.ctx:
        await site_settings.save_about({"mission": "We **help** newcomers", "contacts": "Write to <b>us</b>",
                                        "statutes": "", "rules": "Be kind"})
    async with client_for(a) as http:
        page = await http.get("/about")
    assert page.status_code == 200
    assert "We <strong>help</strong> newcomers" in page.text
    assert "&lt;b&gt;us&lt;/b&gt;" in page.text and "<b>us</b>" not in page.text  # raw HTML in Markdown is escaped
    assert "Be kind" in page.text and "Statutes" not in page.text
    assert "Agora 0.1.0" in page.text and "@asso@a.test" in page.text
    assert "Open: this node talks to every Fediverse server" in page.text
    assert head_of(page.text).meta["og:description"] == "We help newcomers"


async def test_search_finds_posts_events_and_initiatives_but_nothing_hidden(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    made = await content_fixture(a)
    async with client_for(a) as http:
        empty = await http.get("/search")
        assert empty.status_code == 200 and 'name="q"' in empty.text and "Nothing found" not in empty.text
        page = await http.get("/search", params={"q": "HARVEST"})
        assert page.status_code == 200
        html = page.text
        assert made["post"].uri in html and "<mark>Harvest</mark>" in html
        assert made["event"].uri in html
        assert "/initiatives/" + made["initiative"].uri.rsplit("/", 1)[-1] in html
        assert made["cancelled"].uri in html  # a cancelled event can still be found
        for text in HIDDEN:
            assert text not in html, text
        assert made["draft"].uri not in html and made["followers"].uri not in html
        nothing = await http.get("/search", params={"q": "%"})
        assert nothing.status_code == 200 and "Nothing found" in nothing.text  # LIKE wildcards are escaped
        assert (await http.get("/search", params={"q": "x" * 5000, "page": "abc"})).status_code == 200


async def test_search_pages_through_many_results(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    with a.ctx:
        asso = await association_actor(a)
        assert asso is not None
        for i in range(25):
            await create_post(a, asso, Draft(text=f"Newsletter number {i}"))
    async with client_for(a) as http:
        first = await http.get("/search", params={"q": "newsletter"})
        second = await http.get("/search", params={"q": "newsletter", "page": "2"})
    assert first.text.count("<li><p>") == 20 and 'rel="next"' in first.text
    assert second.text.count("<li><p>") == 5 and 'rel="next"' not in second.text and 'rel="prev"' in second.text
    assert "number 24" in first.text and "number 0<" in second.text.replace("</mark>", "")


async def test_profile_pages_posts_and_hides_drafts(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    for i in range(23):
        await publish(a, f"Post number {i}")
    draft = await publish(a, "A draft on the profile")
    with a.ctx:
        await Post.filter(id=draft.id).update(draft=True)
    async with client_for(a) as http:
        first = await http.get("/@asso")
        second = await http.get("/@asso", params={"page": "2"})
        assert (await http.get("/@nobody")).status_code == 404
    assert "Post number 22" in first.text and "Post number 2<" not in first.text
    assert "Post number 0" in second.text and "A draft on the profile" not in first.text + second.text


async def test_tag_page_hides_drafts(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    await publish(a, "Festival #Culture")
    draft = await publish(a, "Draft festival #Culture")
    with a.ctx:
        await Post.filter(id=draft.id).update(draft=True)
    async with client_for(a) as http:
        page = await http.get("/tags/culture")
    assert "Festival" in page.text and "Draft festival" not in page.text


async def test_home_page_with_its_css_weighs_under_50_kb(federation: Federation) -> None:
    """Realistic content: 20 posts of a few paragraphs, 5 events, 5 initiatives. Fails when the page
    (HTML + /static/agora.css, before images) grows past 50 KB."""
    a = await federation.add_node("a.test")
    paragraph = ("Our association met on Saturday with families from Dakar, Thiès and Saint-Louis to plan the "
                 "summer programme: language classes for children, a #Culture evening and help with paperwork. ")
    for i in range(20):
        await publish(a, f"**Update {i}**\n\n{paragraph}\n\n{paragraph}\n\nMore at https://example.org/news/{i}")
    for i in range(6):
        await make_event(a, f"Monthly meeting and shared dinner number {i}", days=i + 1,
                         description=paragraph)
    for i in range(6):
        await make_initiative(a, f"Rebuilding the school of village number {i}", summary=paragraph[:200])
    async with client_for(a) as http:
        page = await http.get("/")
        css = await http.get("/static/agora.css")
    assert page.status_code == 200 and css.status_code == 200
    assert page.text.count('class="post"') >= 10
    weight = len(page.content) + len(css.content)
    assert weight < WEIGHT_LIMIT, f"home page weighs {weight} bytes (HTML {len(page.content)}, CSS {len(css.content)})"



async def test_home_and_search_show_events_and_initiatives_in_the_readers_language(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    event = await make_event(a, "Harvest dinner")
    school = await make_initiative(a, "School rebuilding", summary="Harvest money for the school")
    with a.ctx:
        await Event.filter(id=event.id).update(name_map={"en": "Harvest dinner", "fr": "Dîner des récoltes"})
        await Initiative.filter(id=school.id).update(name_map={"en": "School rebuilding", "fr": "Reconstruire l'école"},
                                                      summary_map={"fr": "L'argent de la récolte pour l'école"})
    async with client_for(a) as http:
        french = await http.get("/", headers={"Accept-Language": "fr"})
        english = await http.get("/", headers={"Accept-Language": "en"})
        found = await http.get("/search", params={"q": "harvest"}, headers={"Accept-Language": "fr"})
    assert 'lang="fr"' in french.text and "Dîner des récoltes" in french.text and "Harvest dinner" not in french.text
    assert "Reconstruire l&#39;école" in french.text and "L&#39;argent de la récolte" in french.text
    assert "Harvest dinner" in english.text and "Dîner des récoltes" not in english.text
    assert "Dîner des récoltes" in found.text and "Reconstruire l&#39;école" in found.text
