"""Texts made in Python follow the reader's language: label dicts, messages with placeholders, confirm
pages, admin notices, moderation and report errors, dates and money, and the reader's version of titles
on the lists."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from jinja2 import Environment

from federation import events as wire
from node.core import i18n, i18n_jinja
from node.opportunities.pages_common import STATUS_LABELS
from node.initiatives import initiatives
from node.accounts.actors import local_actor
from node.events.events import create_event
from node.events.inputs import EventInput
from node.initiatives.inputs import InitiativeInput
from node.events.models import Event
from node.initiatives.models import Initiative
from node.core.runtime import Node
from tests.conftest import Federation, client_for
from tests.helpers import CSRF, csrf_of, logged_in

FR = {"Accept-Language": "fr"}
AR = {"Accept-Language": "ar"}
ES = {"Accept-Language": "es"}


async def an_event(node: Node, **changes: Any) -> Event:
    values: dict[str, Any] = {
        "name": "Language café", "start": datetime(2030, 7, 11, 19, 0), "end": datetime(2030, 7, 11, 22, 0),
        "timezone": "Europe/Paris", "language": "en", "category": "COMMUNITY",
        "places": (wire.Place(name="Library", locality="Paris"),),
    }
    values.update(changes)
    with node.ctx:
        actor = await local_actor("asso")
        assert actor is not None
        [event] = await create_event(node, actor, EventInput(**values))
    return event


def slug(row: Event | Initiative) -> str:
    return row.uri.rsplit("/", 1)[-1]


async def test_calendar_labels_dates_and_titles_follow_the_reader(federation: Federation) -> None:
    node = await federation.add_node("a.test")
    event = await an_event(node)
    with node.ctx:
        event.name_map = {"fr": "Café des langues"}
        await event.save(update_fields=["name_map"])
    async with client_for(node) as http:
        french = (await http.get("/events", headers=FR)).text
        assert "Café des langues" in french and 'lang="fr"' in french
        assert "Communauté" in french and "juillet 2030" in french and "July" not in french
        spanish = (await http.get("/events", headers=ES)).text
        assert "Language café" in spanish and "Comunidad" in spanish and "julio de 2030" in spanish
        arabic_month = (await http.get("/events?view=month&month=2030-07", headers=AR)).text
        english_month = (await http.get("/events?view=month&month=2030-07", headers={"Accept-Language": "en"})).text
    # the week starts where the reader's language says (babel: Monday for "ar" and "en"), named in it
    first_ar = arabic_month.split('<th scope="col"><abbr title="', 1)[1].split('"', 1)[0]
    first_en = english_month.split('<th scope="col"><abbr title="', 1)[1].split('"', 1)[0]
    assert first_ar == "الاثنين" and first_en == "Monday"
    assert "يوليو" in arabic_month


async def test_confirm_pages_and_messages_with_placeholders(federation: Federation) -> None:
    node = await federation.add_node("a.test")
    event = await an_event(node, name="<b>Iftar</b>")
    async with logged_in(node, "editor1", "editor") as http:
        page = await http.get(f"/events/{slug(event)}/delete", headers=AR)
        assert page.status_code == 200
        assert "حذف هذه الفعالية" in page.text and "حذف الفعالية نهائيًا" in page.text
    async with client_for(node) as http:
        bad_zone = await http.get(f"/events/{slug(event)}", params={"tz": "Mars/Olympus"}, headers=ES)
        assert bad_zone.status_code == 400 and "zona horaria desconocida" in bad_zone.text
        assert "&#39;Mars/Olympus&#39;" in bad_zone.text or "'Mars/Olympus'" in bad_zone.text
        missing = await http.get("/events/remote-join-nowhere/remote-join", params={"handle": "x"}, headers=FR)
        assert missing.status_code == 404 and "Introuvable" in missing.text


async def test_admin_notices_are_translated_on_the_next_page(federation: Federation) -> None:
    node = await federation.add_node("a.test")
    async with logged_in(node, "root", "admin") as http:
        token = await csrf_of(http, "/admin/jobs")
        done = await http.post("/admin/jobs", data={"csrf": token, "job": "999", "action": "retry"})
        assert done.status_code == 303
        page = await http.get("/admin/jobs", headers=ES)
        assert "Esta tarea ya no está muerta." in page.text


async def test_report_errors_are_translated(federation: Federation) -> None:
    node = await federation.add_node("a.test")
    async with client_for(node) as http:
        token = CSRF.search((await http.get("/report")).text).group(1)  # type: ignore[union-attr]
        refused = await http.post("/report", data={"csrf": token, "uri": "", "comment": "spam"}, headers=FR)
        assert refused.status_code in (400, 404)
        assert "Donnez l&#39;adresse (URL) d&#39;un compte" in refused.text or "Donnez l'adresse (URL) d'un compte" in refused.text


async def test_initiative_labels_money_and_titles_follow_the_reader(federation: Federation) -> None:
    node = await federation.add_node("a.test")
    with node.ctx:
        actor = await local_actor("asso")
        assert actor is not None
        initiative = await initiatives.create_initiative(node, actor, InitiativeInput(
            title="Medicine for Derna", kind="mutual_aid", summary="After the flood.", language="en"))
        initiative.name_map = {"es": "Medicinas para Derna"}
        await initiative.save(update_fields=["name_map"])
        await initiatives.add_ledger_entry(node, initiative, direction="received", nature="money",
                                           description="Gift", occurred_on=date(2026, 1, 5), amount="1500.50",
                                           currency="EUR", receipt_url=None)
    async with client_for(node) as http:
        listing = (await http.get("/initiatives", headers=ES)).text
        assert "Medicinas para Derna" in listing and "Ayuda mutua" in listing
        page = (await http.get(f"/initiatives/{slug(initiative)}", headers=FR)).text
        assert "Entraide" in page
        assert "1\u202f500,50\xa0€" in page or "1\xa0500,50\xa0€" in page  # the totals in French


def test_a_word_that_is_a_status_and_an_action_is_translated_by_its_context() -> None:
    """"Open" is a vote's or an opportunity's status and a link's action; "Vote" a noun and a button."""
    env = Environment(autoescape=True)
    i18n_jinja.install(env)
    page = env.from_string('{{ pgettext("vote status", "Open") }}|{{ _("Open") }}|{{ pgettext("noun", "Vote") }}|{{ _("Vote") }}')
    expected = {"fr": ("Ouvert", "Ouvrir", "Vote", "Voter", "Ouverte"), "es": ("Abierta", "Abrir", "Votación", "Votar", "Abierta"),
                "ar": ("مفتوح", "افتح", "التصويت", "تصويت", "مفتوحة")}
    try:
        for language, (status, action, noun, verb, opportunity) in expected.items():
            i18n.activate(language)
            assert page.render() == f"{status}|{action}|{noun}|{verb}"
            assert str(STATUS_LABELS["open"]) == opportunity
    finally:
        i18n.activate("en")
    assert str(STATUS_LABELS["open"]) == "Open"
