"""The opportunity on the wire (what Mastodon shows of the Note, what another Agora node reads back,
what it refuses) and the money detector (what it finds in four languages, and what it leaves)."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from federation import opportunities as wire
from federation.events.summary import mastodon_rendering
from federation.vocab import VocabError
from node.opportunities.money import asks_for_money, money_phrases

DATA = wire.OpportunityData(
    id="https://a.test/opportunities/x1", url="https://a.test/opportunities/x1", title="Room for a student",
    content_html="<p>A room in Belleville.</p>", kind="housing", purpose="offer", place_kind="here",
    place_name="Paris", status="open", expires=datetime(2031, 3, 1, 23, 59, tzinfo=timezone.utc),
    organizer="https://a.test/users/asso", starts=date(2031, 1, 15), language="en", languages=("fr",),
    tags=("housing",), name_map={"fr": "Chambre pour étudiant"}, content_map={"fr": "<p>Une chambre.</p>"},
    to=("https://www.w3.org/ns/activitystreams#Public",), cc=("https://a.test/users/asso/followers",),
)


def test_mastodon_shows_the_kind_the_place_and_the_expiry_of_the_note() -> None:
    doc = wire.opportunity_document(DATA)
    assert doc["type"] == "Note" and "summary" not in doc  # a summary would become a content warning
    shown = mastodon_rendering(doc)
    assert "Room for a student" in shown and "Housing offer" in shown and "Here: Paris" in shown
    assert "open until March 1, 2031" in shown and "A room in Belleville." in shown and DATA.url in shown
    assert "Offre de logement" in doc["contentMap"]["fr"] and "Chambre pour étudiant" in doc["contentMap"]["fr"]
    assert list(doc["contentMap"])[0] == "en"  # Mastodon takes the language from the first key


def test_another_node_reads_it_back_and_a_closed_one_says_so() -> None:
    back = wire.parse_opportunity(wire.opportunity_document(DATA))
    assert (back.kind, back.purpose, back.place_kind, back.place_name) == ("housing", "offer", "here", "Paris")
    assert back.content_html == DATA.content_html and back.expires == DATA.expires
    assert back.starts == date(2031, 1, 15) and back.languages == ("fr",) and back.tags == ("housing",)
    assert back.name_map == {"fr": "Chambre pour étudiant"} and back.content_map == {"fr": "<p>Une chambre.</p>"}
    closed = wire.opportunity_document(wire.OpportunityData(**{**DATA.__dict__, "status": "closed"}))
    assert closed["opportunityStatus"] == "closed" and "CLOSED" in closed["content"]
    assert wire.parse_opportunity(closed).status == "closed"


@pytest.mark.parametrize("change", [{"opportunityKind": "lottery"}, {"purpose": "gift"}, {"expires": "soon"},
                                    {"placeKind": "moon"}, {"name": ""}])
def test_a_malformed_opportunity_is_refused(change: dict[str, str]) -> None:
    doc = {**wire.opportunity_document(DATA), **change}
    doc.pop("nameMap", None)
    with pytest.raises(VocabError):
        wire.parse_opportunity(doc)


@pytest.mark.parametrize("text", [
    "Pay the registration fee of 300 euros first", "A security deposit is required", "Send it by Western Union",
    "Frais de dossier : 150 €", "Une caution de deux mois", "Pago por adelantado de la fianza",
    "يجب دفع رسوم التسجيل", "ادفع مقدما عربون",
])
def test_the_detector_finds_requests_for_money(text: str) -> None:
    assert asks_for_money(text), text


@pytest.mark.parametrize("text", [
    "Cook wanted, evenings, paid weekly", "Salaire : 1 800 € brut par mois", "Beca completa, sin costes",
    "غرفة للطلاب قريبة من الجامعة",
])
def test_the_detector_leaves_ordinary_postings(text: str) -> None:
    assert not asks_for_money(text), money_phrases(text)


def test_the_detector_ignores_accents_and_case() -> None:
    assert money_phrases("FRAIS D'INSCRIPTION", "Depósito") == ["frais d'inscription", "deposito"]
