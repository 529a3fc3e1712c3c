"""Events and initiatives in several languages (nameMap, contentMap, summaryMap across two nodes, pages
in the reader's language), their drafts and previews, and the rules that pick a reader's language."""

from __future__ import annotations

import re

from federation import events as event_wire
from federation import initiatives as initiative_wire
from federation import remote
from federation import vocab
from node.core.models import Activity, Post
from node.events.models import Event
from node.initiatives.models import Initiative
from node.core.multilingual import accept_languages, choose, reader_wishes, show_post
from tests.conftest import Federation, client_for
from tests.helpers import csrf_of, follow_association, logged_in
from tests.events.test_event_pages import FORM as EVENT_FORM
from tests.initiatives.test_initiative_pages import FORM as INITIATIVE_FORM

AS2 = {"Accept": "application/activity+json"}
FRENCH = {"Accept-Language": "fr"}


def event_form(token: str, **changes: str) -> dict[str, str]:
    return {**EVENT_FORM, "csrf": token, "tr_count": "1", "tr0_language": "fr", "tr0_title": "Soirée d'accueil",
            "tr0_text": "Thé et *musique*", "action": "publish", **changes}


def initiative_form(token: str, **changes: str) -> dict[str, str]:
    return {**INITIATIVE_FORM, "csrf": token, "tr_count": "2", "tr0_language": "fr",
            "tr0_title": "Reconstruire l'école de Kayes", "tr0_summary": "Trois classes pour les enfants du village.",
            "tr0_text": "Le toit est tombé pendant la *saison des pluies*.", "tr1_language": "ar",
            "tr1_title": "إعادة بناء مدرسة كايس", "action": "publish", **changes}


def heading(page_text: str, element: str) -> tuple[str, str]:
    found = re.search(rf'<h1 id="{element}-title" lang="([^"]+)"[^>]*>([^<]*)</h1>', page_text)
    assert found is not None, page_text
    return found.group(1), found.group(2)


# ------------------------------------------------------------------ choosing a language


def test_accept_language_is_read_by_weight() -> None:
    assert accept_languages("fr-CH, fr;q=0.9, en;q=0.8, *;q=0.5") == ["fr-CH", "fr", "en"]
    assert accept_languages("en;q=0.2, ar") == ["ar", "en"]
    assert accept_languages("de;q=0, x!y, es;q=abc, pt-BR") == ["pt-BR"]
    assert accept_languages("") == []


def test_the_exact_tag_wins_then_the_primary_language() -> None:
    assert choose(["en", "fr", "fr-CA"], ["fr-CA"]) == "fr-CA"
    assert choose(["en", "fr"], ["fr-CA", "en"]) == "fr"  # the reader's first wish, by its primary language
    assert choose(["en", "pt-BR"], ["pt"]) == "pt-BR"
    assert choose(["en", "fr"], ["de", "ar"]) is None
    assert reader_wishes("ar", "fr", None, "en;q=0.5, es") == ["ar", "fr", "es", "en"]
    assert reader_wishes("<script>", None, "es", "") == ["es"]


def test_a_post_shows_the_default_text_where_a_language_lacks_a_field() -> None:
    post = Post(language="en", content="<p>Hello</p>", summary="Noise",
                content_map={"en": "<p>Hello</p>", "fa": "<p>سلام</p>"}, summary_map=None)
    shown = show_post(post, ["fa-IR"], "en")
    assert (shown.language, shown.dir, shown.content, shown.summary) == ("fa", "rtl", "<p>سلام</p>", "Noise")
    assert [tag for tag, _ in shown.alternatives] == ["en"] and dict(shown.languages)["fa"] == "فارسی"
    assert show_post(post, [], "en").content == "<p>Hello</p>"


def test_wire_documents_put_the_default_language_first() -> None:
    doc = {"type": "Event", "id": "https://x.example/e/1", "name": "Fête", "startTime": "2030-01-01T10:00:00Z",
           "actor": "https://x.example/u/a", "nameMap": {"fr": "Fête", "en": "Party", "not a tag": "x", "es": ""},
           "contentMap": {"fr": "<p>Oui</p>", "de": "<p>Ja</p>"}}
    ev = event_wire.parse_event(doc)
    assert ev.language == "fr" and ev.name == "Fête"  # the other languages besides the event's own:
    assert ev.name_map == {"en": "Party"} and ev.content_map == {"de": "<p>Ja</p>"}
    note = remote.parse_note({"type": "Note", "id": "https://x.example/n/1", "attributedTo": "https://x.example/u/a",
                             "summaryMap": {"ar": "تنبيه", "en": "Warning"}, "contentMap": {"ar": "<p>نص</p>"}})
    assert note.summary == "تنبيه" and note.summary_map == {"ar": "تنبيه", "en": "Warning"} and note.language == "ar"


# ------------------------------------------------------------------ events


async def test_an_event_in_two_languages_reaches_the_network_calendar_whole(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    await follow_association(federation, a, b)
    async with logged_in(a, "carla", "editor") as http:
        token = await csrf_of(http, "/events/new")
        response = await http.post("/events/new", data=event_form(token))
        assert response.status_code == 303, response.text
        path = response.headers["location"]
        french = await http.get(path, headers=FRENCH)
        english = await http.get(path)
        edit = await http.get(f"{path}/edit")
        assert "Soirée d&#39;accueil" in edit.text and "Thé et *musique*" in edit.text
    await federation.settle()
    with a.ctx:
        event = await Event.get(local=True)
        assert event.name_map == {"en": "Welcome evening", "fr": "Soirée d'accueil"}
        assert event.source_map == {"en": EVENT_FORM["description"], "fr": "Thé et *musique*"}
    assert heading(french.text, "event") == ("fr", "Soirée d&#39;accueil")
    assert '<div class="content" lang="fr">' in french.text and "<em>musique</em>" in french.text
    assert heading(english.text, "event") == ("en", "Welcome evening") and f'href="?lang=fr"' in english.text
    async with client_for(a) as http:
        doc = (await http.get(event.uri, headers=AS2)).json()
    assert doc["name"] == "Welcome evening" and doc["nameMap"] == {"en": "Welcome evening", "fr": "Soirée d'accueil"}
    assert list(doc["contentMap"]) == ["en", "fr"] and "<em>musique</em>" in doc["contentMap"]["fr"]
    assert list(doc["summaryMap"]) == ["en", "fr"] and doc["summaryMap"]["en"] == doc["summary"]
    assert "juillet" in doc["summaryMap"]["fr"]  # the date line in French for French readers
    with b.ctx:
        copy = await Event.get(uri=event.uri)
        assert not copy.local and copy.name_map == {"en": "Welcome evening", "fr": "Soirée d'accueil"}
        assert copy.content_map and "<em>musique</em>" in copy.content_map["fr"]

    # an edit changes one language and keeps the other; the Update carries both
    async with logged_in(a, "erin", "editor") as http:
        token = await csrf_of(http, f"{path}/edit")
        response = await http.post(f"{path}/edit", data=event_form(token, title="Welcome night", repeat=""))
        assert response.status_code == 303, response.text
    await federation.settle()
    with b.ctx:
        copy = await Event.get(uri=event.uri)
        assert copy.name == "Welcome night" and copy.name_map == {"en": "Welcome night", "fr": "Soirée d'accueil"}


async def test_an_event_draft_is_nowhere_until_published(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    await follow_association(federation, a, b)
    async with logged_in(a, "carla", "editor") as http:
        token = await csrf_of(http, "/events/new")
        response = await http.post("/events/new", data=event_form(token, action="draft", title="Secret picnic"))
        assert response.status_code == 303
        path = response.headers["location"]
        mine = await http.get(path)
        assert mine.status_code == 200 and "Draft: not published" in mine.text
        assert "Secret picnic" in (await http.get("/drafts")).text
        assert "Secret picnic" not in (await http.get("/events")).text
    await federation.settle()
    with a.ctx:
        event = await Event.get(local=True)
        assert event.draft and not await Activity.filter(outgoing=True, kind="Create").exists()
    with b.ctx:
        assert not await Event.filter(uri=event.uri).exists()
    async with client_for(a) as visitor:
        assert (await visitor.get(path)).status_code == 404
        assert (await visitor.get(path, headers=AS2)).status_code == 404
        assert (await visitor.get(f"{path}.ics")).status_code == 404
        assert "Secret picnic" not in (await visitor.get("/events.ics")).text
        assert "Secret picnic" not in (await visitor.get("/events?view=month&month=2030-07")).text
        assert (await visitor.get("/search", params={"q": "picnic"})).text.count("Secret picnic") == 0
    async with logged_in(a, "dan", "member") as dan:
        token = await csrf_of(dan, "/")
        assert (await dan.post(f"{path}/join", data={"csrf": token})).status_code == 404

    async with logged_in(a, "erin", "editor") as http:
        token = await csrf_of(http, "/drafts")
        response = await http.post("/drafts", data={"csrf": token, "kind": "event", "id": str(event.id), "do": "publish"})
        assert response.status_code == 303 and response.headers["location"] == path
    await federation.settle()
    with b.ctx:
        copy = await Event.get(uri=event.uri)
        assert copy.name == "Secret picnic" and copy.name_map and copy.name_map["fr"] == "Soirée d'accueil"
    async with client_for(a) as visitor:
        assert (await visitor.get(path, headers=AS2)).status_code == 200
        assert "Secret picnic" in (await visitor.get("/events.ics")).text


async def test_an_event_preview_saves_nothing(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with logged_in(a, "carla", "editor") as http:
        token = await csrf_of(http, "/events/new")
        page = await http.post("/events/new", data=event_form(token, action="preview"))
        assert page.status_code == 200
        preview = page.text.split('class="preview"', 1)[1].split("</section>", 1)[0]
        assert '<div class="content" lang="fr">' in preview and "Soirée d&#39;accueil" in preview
        assert "<em>musique</em>" in preview and "juillet" in preview and "July" in preview
        more = await http.post("/events/new", data=event_form(token, action="add_language"))
        assert 'name="tr1_title"' in more.text and "Soirée d&#39;accueil" in more.text
        bad = await http.post("/events/new", data=event_form(token, action="preview", tr0_language="en"))
        assert bad.status_code == 400 and "written twice" in bad.text
    with a.ctx:
        assert not await Event.all().exists() and not await Activity.filter(outgoing=True).exists()


async def test_an_event_banner_can_be_uploaded(federation: Federation) -> None:
    from tests.posts.test_compose import png
    a = await federation.add_node("a.test")
    async with logged_in(a, "carla", "editor") as http:
        token = await csrf_of(http, "/events/new")
        refused = await http.post("/events/new", data=event_form(token), files={"banner_file": ("b.png", png(), "image/png")})
        assert refused.status_code == 400 and "alt text" in refused.text
        response = await http.post("/events/new", data=event_form(token, banner_alt="Dancers in the square"),
                                   files={"banner_file": ("b.png", png(), "image/png")})
        assert response.status_code == 303, response.text
    with a.ctx:
        event = await Event.get(local=True)
        assert event.banner_url and event.banner_url.startswith("http://a.test/media/")
        assert event.banner_alt == "Dancers in the square" and event.banner_media_type and event.banner_media_type.startswith("image/")
    async with client_for(a) as http:
        doc = (await http.get(event.uri, headers=AS2)).json()
        assert doc["attachment"][0]["url"] == event.banner_url and doc["attachment"][0]["name"] == "Dancers in the square"


# ------------------------------------------------------------------ initiatives


async def test_an_initiative_in_three_languages_reaches_the_network_whole(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    await follow_association(federation, a, b)
    async with logged_in(a, "carla", "editor") as http:
        token = await csrf_of(http, "/initiatives/new")
        response = await http.post("/initiatives/new", data=initiative_form(token))
        assert response.status_code == 303, response.text
        path = response.headers["location"]
        french = await http.get(path, headers=FRENCH)
        arabic = await http.get(path, headers={"Accept-Language": "ar"})
    await federation.settle()
    assert heading(french.text, "initiative") == ("fr", "Reconstruire l&#39;école de Kayes")
    assert "Trois classes pour les enfants" in french.text and "<em>saison des pluies</em>" in french.text
    assert heading(arabic.text, "initiative") == ("ar", "إعادة بناء مدرسة كايس")
    assert "Three classrooms" in arabic.text  # no Arabic summary: the default one
    with a.ctx:
        initiative = await Initiative.get(local=True)
    async with client_for(a) as http:
        doc = (await http.get(initiative.uri, headers=AS2)).json()
    assert list(doc["nameMap"]) == ["en", "ar", "fr"] and doc["name"] == INITIATIVE_FORM["title"]
    assert doc["abstractMap"] == {"en": INITIATIVE_FORM["summary"], "fr": "Trois classes pour les enfants du village."}
    assert list(doc["summaryMap"]) == ["en", "ar", "fr"] and "Trois classes" in doc["summaryMap"]["fr"]
    assert "Projet de développement" in doc["summaryMap"]["fr"] and doc["summaryMap"]["en"] == doc["summary"]
    parsed = initiative_wire.parse_initiative(doc)
    assert parsed.summary_map["fr"] == "Trois classes pour les enfants du village."
    with b.ctx:
        copy = await Initiative.get(uri=initiative.uri)
        assert copy.name_map == {"en": INITIATIVE_FORM["title"], "fr": "Reconstruire l'école de Kayes",
                                 "ar": "إعادة بناء مدرسة كايس"}
        assert copy.summary_map == {"en": INITIATIVE_FORM["summary"], "fr": "Trois classes pour les enfants du village."}
        assert copy.content_map and "<em>saison des pluies</em>" in copy.content_map["fr"]


async def test_an_initiative_draft_is_nowhere_until_published(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    await follow_association(federation, a, b)
    async with logged_in(a, "carla", "editor") as http:
        token = await csrf_of(http, "/initiatives/new")
        before = await http.post("/initiatives/new", data=initiative_form(token, action="preview", title="Quiet well"))
        assert before.status_code == 200 and "Quiet well" in before.text.split('class="preview"', 1)[1]
        with a.ctx:
            assert not await Initiative.all().exists()
        response = await http.post("/initiatives/new", data=initiative_form(token, action="draft", title="Quiet well"))
        assert response.status_code == 303
        path = response.headers["location"]
        assert (await http.get(path)).status_code == 200
        assert "Quiet well" in (await http.get("/drafts")).text
        assert "Quiet well" not in (await http.get("/initiatives")).text
        progress = await http.post(f"{path}/progress", data={"csrf": token, "text": "Started"})
        assert progress.status_code == 400 and "not published yet" in progress.text
    await federation.settle()
    with a.ctx:
        initiative = await Initiative.get(local=True)
        assert initiative.draft and not await Activity.filter(outgoing=True).exclude(kind__in=["Follow", "Accept"]).exists()
    with b.ctx:
        assert not await Initiative.filter(uri=initiative.uri).exists()
    async with client_for(a) as visitor:
        assert (await visitor.get(path)).status_code == 404
        assert (await visitor.get(path, headers=AS2)).status_code == 404
        assert (await visitor.get(f"{path}.json")).status_code == 404
    async with logged_in(a, "erin", "editor") as http:
        edit = await http.get(f"{path}/edit")
        assert "Save as draft" in edit.text and "Reconstruire" in edit.text
        token = await csrf_of(http, f"{path}/edit")
        response = await http.post(f"{path}/edit", data=initiative_form(token, action="publish", title="Clean well"))
        assert response.status_code == 303
    await federation.settle()
    with b.ctx:
        copy = await Initiative.get(uri=initiative.uri)
        assert copy.title == "Clean well" and copy.name_map and copy.name_map["ar"] == "إعادة بناء مدرسة كايس"
    with a.ctx:
        published = await Initiative.get(id=initiative.id)
        assert not published.draft and published.published > initiative.published


async def test_an_initiative_cover_can_be_uploaded(federation: Federation) -> None:
    from tests.posts.test_compose import png
    a = await federation.add_node("a.test")
    async with logged_in(a, "carla", "editor") as http:
        token = await csrf_of(http, "/initiatives/new")
        refused = await http.post("/initiatives/new", data=initiative_form(token),
                                  files={"cover_file": ("c.png", png(), "image/png")})
        assert refused.status_code == 400 and "alt text" in refused.text
        preview = await http.post("/initiatives/new", data=initiative_form(token, action="preview", cover_alt="The school roof"),
                                  files={"cover_file": ("c.png", png(), "image/png")})
        assert preview.status_code == 200
        url = re.search(r'id="cover_url" name="cover_url" type="url" placeholder="https://" value="([^"]+)"', preview.text)
        assert url is not None and url.group(1).startswith("http://a.test/media/")
        with a.ctx:
            assert not await Initiative.all().exists()
        response = await http.post("/initiatives/new", data=initiative_form(token, cover_url=url.group(1), cover_alt="The school roof"))
        assert response.status_code == 303
    with a.ctx:
        initiative = await Initiative.get(local=True)
        assert initiative.cover_url == url.group(1) and initiative.cover_alt == "The school roof"
    async with client_for(a) as http:
        doc = (await http.get(initiative.uri, headers=AS2)).json()
        assert doc["image"]["url"] == url.group(1) and doc["attachment"][0]["name"] == "The school roof"
