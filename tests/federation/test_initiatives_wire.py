"""Initiatives on the wire (federation/initiatives.py): round trip, what Mastodon shows, JSON-LD, money,
refusals."""

from __future__ import annotations

import copy
import dataclasses
import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from federation import jsonld
from federation.events import Place, mastodon_rendering
from federation.initiatives import (
    AGORA_NS,
    INITIATIVE_CONTEXT,
    KINDS,
    STATUSES,
    CurrencyTotal,
    InitiativeData,
    Money,
    NeedData,
    format_money,
    initiative_document,
    initiative_summary,
    is_initiative,
    money_amount,
    parse_initiative,
    parse_money,
)
from federation.vocab import PUBLIC, VocabError

UTC = timezone.utc
T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)

VILLAGE = Place(name="École de Ndiawar", locality="Ndiawar", region="Saint-Louis", country="Sénégal",
                latitude=16.1, longitude=-15.9)
PARIS = Place(name="Maison des associations", street="12 rue Saint-Maur", postal_code="75011",
              locality="Paris", country="France", latitude=48.8589, longitude=2.3801)

BASE = InitiativeData(
    id="https://asso.example/initiatives/3",
    url="https://asso.example/i/ecole-ndiawar",
    title="Rebuild the Ndiawar school",
    summary="Three classrooms & a roof before the rains.",
    content_html="<p>The roof <strong>collapsed</strong> in August.</p>",
    kind="development",
    status="active",
    status_history=(("proposed", T0), ("active", T0 + timedelta(days=20))),
    place_there=VILLAGE,
    place_here=PARIS,
    cover_url="https://asso.example/media/school.jpg",
    cover_alt="The school with its collapsed roof",
    cover_media_type="image/jpeg",
    language="en",
    tags=("Senegal", "Education"),
    responsible=("https://asso.example/users/awa", "https://other.example/users/moussa"),
    needs=(
        NeedData(kind="money", title="Roof and walls", description="Sheet metal, cement, labour",
                 goal=Money(500000, "EUR"), pledged=Money(125000, "EUR")),
        NeedData(kind="volunteers", title="Builders", skills=("masonry", "carpentry"), quantity=10,
                 pledged_quantity=3),
        NeedData(kind="materials", title="School desks", quantity=40, pledged_quantity=12),
        NeedData(kind="money", title="Teachers' first term", goal=Money(900000, "XOF"), pledged=Money(0, "XOF")),
    ),
    totals=(
        CurrencyTotal("EUR", received_minor=125050, spent_minor=30000),
        CurrencyTotal("XOF", received_minor=250000, spent_minor=0),
        CurrencyTotal("JPY", received_minor=5000, spent_minor=1200),
    ),
    support_count=42,
    organizer="https://asso.example/groups/diaspora-ndiawar",
    published=T0,
    updated=T0 + timedelta(days=20, milliseconds=250),
    to=(PUBLIC,),
    cc=("https://asso.example/groups/diaspora-ndiawar/followers",),
)


def doc_of(data: InitiativeData = BASE, **changes: Any) -> dict[str, Any]:
    doc = initiative_document(dataclasses.replace(data, **changes) if changes else data)
    # What travels is JSON: make sure it serialises and drop any Python-only types.
    reparsed = json.loads(json.dumps(doc))
    assert isinstance(reparsed, dict)
    return reparsed


# ---------------------------------------------------------------- round trip


def test_round_trip_preserves_every_field() -> None:
    assert parse_initiative(doc_of()) == BASE


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("status", STATUSES)
def test_round_trip_of_each_kind_and_status(kind: str, status: str) -> None:
    data = dataclasses.replace(BASE, kind=kind, status=status)
    assert parse_initiative(doc_of(data)) == data


def test_round_trip_of_a_bare_initiative() -> None:
    bare = dataclasses.replace(
        BASE, summary="", content_html="", status_history=(), place_there=None, place_here=None,
        cover_url=None, cover_alt="", cover_media_type=None, language=None, tags=(), responsible=(),
        needs=(), totals=(), support_count=0, published=None, updated=None, to=(), cc=())
    doc = doc_of(bare)
    assert "location" not in doc and "image" not in doc and doc["attachment"] == []
    assert parse_initiative(doc) == bare


def test_document_shape() -> None:
    doc = doc_of()
    assert doc["@context"] == json.loads(json.dumps(INITIATIVE_CONTEXT))
    assert doc["type"] == "Article"
    assert doc["attributedTo"] == BASE.organizer
    assert doc["mediaType"] == "text/html"
    assert doc["contentMap"] == {"en": BASE.content_html}
    assert doc["attachment"][0] == {"type": "Document", "mediaType": "image/jpeg", "url": BASE.cover_url,
                                    "name": BASE.cover_alt}
    assert doc["image"] == doc["attachment"][0]
    assert doc["location"]["type"] == "Place" and doc["location"]["name"] == VILLAGE.name
    assert doc["location"]["address"]["type"] == "PostalAddress"
    assert {"type": "Hashtag", "name": "#Senegal", "href": "https://asso.example/tags/Senegal"} in doc["tag"]
    assert doc["needs"][0]["goal"] == {"type": "MonetaryAmount", "amount": "5000.00", "currency": "EUR"}
    assert doc["ledgerTotals"][2]["received"] == {"type": "MonetaryAmount", "amount": "5000", "currency": "JPY"}
    assert doc["statusHistory"][1] == {"type": "StatusChange", "initiativeStatus": "active",
                                       "published": "2026-03-21T09:30:00Z"}
    assert doc["updated"] == "2026-03-21T09:30:00.250Z"
    assert doc["abstract"] == BASE.summary
    assert is_initiative(doc)


# ---------------------------------------------------------------- what Mastodon shows


def test_mastodon_rendering_carries_title_status_progress_and_link() -> None:
    rendered = mastodon_rendering(doc_of())
    assert "<h2>Rebuild the Ndiawar school</h2>" in rendered
    assert "Active" in rendered and "Development project" in rendered
    assert "€1,250.00 of €5,000.00 (25%)" in rendered
    assert "3 of 10 volunteers" in rendered
    assert 'href="https://asso.example/i/ecole-ndiawar"' in rendered
    assert "Three classrooms &amp; a roof" in rendered  # escaped once, as Mastodon expects HTML


def test_summary_in_french() -> None:
    line = initiative_summary(BASE, locale="fr")
    assert "Projet de développement · En cours" in line
    assert "1\u202f250,00\xa0€ sur 5\u202f000,00\xa0€ (25\xa0%)" in line
    assert "3 bénévoles sur 10" in line
    assert "reçu 1\u202f250,50\xa0€, dépensé 300,00\xa0€" in line
    assert "Là-bas : École de Ndiawar" in line and "Ici : Maison des associations" in line


@pytest.mark.parametrize(("locale", "word"), [("es", "En curso"), ("ar", "جارية"), ("de", "Active"),
                                               (None, "Active"), ("xx-nope", "Active")])
def test_summary_language(locale: str | None, word: str) -> None:
    assert word in initiative_summary(BASE, locale=locale)


def test_summary_is_one_short_escaped_line() -> None:
    long = dataclasses.replace(BASE, summary="<b>x</b>\n" * 500)
    line = initiative_summary(long)
    assert "\n" not in line and "<b>" not in line and "&lt;b&gt;" in line
    assert len(line) < 1000


# ---------------------------------------------------------------- JSON-LD


def test_expands_offline_as_an_article_with_the_extension_terms() -> None:
    expanded = jsonld.expand(doc_of())
    assert len(expanded) == 1
    node = expanded[0]
    assert node["@type"] == ["https://www.w3.org/ns/activitystreams#Article"]
    assert "https://www.w3.org/ns/activitystreams#name" in node
    for term in ("initiativeKind", "initiativeStatus", "statusHistory", "needs", "ledgerTotals",
                 "supportCount", "placeHere", "placeThere", "responsible"):
        assert f"{AGORA_NS}{term}" in node, term
    needs = node[f"{AGORA_NS}needs"][0]["@list"]
    assert len(needs) == len(BASE.needs)
    assert needs[0]["@type"] == [f"{AGORA_NS}Need"]
    assert node[f"{AGORA_NS}responsible"][0] == {"@id": BASE.responsible[0]}
    location = node["https://www.w3.org/ns/activitystreams#location"][0]
    assert location["@type"] == ["https://www.w3.org/ns/activitystreams#Place"]
    assert "http://schema.org#address" in location


def test_a_peer_ignoring_extensions_reads_an_article() -> None:
    doc = doc_of()
    plain = {key: value for key, value in doc.items() if key in (
        "@context", "id", "type", "name", "summary", "content", "url", "attributedTo", "tag", "attachment",
        "location", "published", "to", "cc")}
    plain["@context"] = "https://www.w3.org/ns/activitystreams"
    expanded = jsonld.expand(plain)
    assert expanded[0]["@type"] == ["https://www.w3.org/ns/activitystreams#Article"]
    assert not is_initiative(plain)


# ---------------------------------------------------------------- money


@pytest.mark.parametrize(("amount", "currency", "expected"), [
    ("1250.50", "EUR", Money(125050, "EUR")),
    ("1250.5", "EUR", Money(125050, "EUR")),
    ("1250", "EUR", Money(125000, "EUR")),
    ("0", "EUR", Money(0, "EUR")),
    ("5000", "JPY", Money(5000, "JPY")),
    ("12.345", "KWD", Money(12345, "KWD")),
    (" 7.25 ", "usd", Money(725, "USD")),
    ("1000000000000", "EUR", Money(10**14, "EUR")),
])
def test_parse_money(amount: str, currency: str, expected: Money) -> None:
    assert parse_money(amount, currency) == expected


@pytest.mark.parametrize(("amount", "currency", "reason"), [
    ("12.345", "EUR", "more decimals"),
    ("12.5", "JPY", "more decimals"),
    ("-5", "EUR", "negative"),
    ("1e3", "EUR", "not a plain decimal"),
    ("abc", "EUR", "not a plain decimal"),
    ("", "EUR", "not a plain decimal"),
    ("1,5", "EUR", "not a plain decimal"),
    ("NaN", "EUR", "not a plain decimal"),
    ("1000000000001", "EUR", "absurd"),
    ("10", "XXY", "unknown currency"),
    ("10", "EURO", "ISO 4217"),
    ("10", "", "ISO 4217"),
])
def test_parse_money_refuses(amount: str, currency: str, reason: str) -> None:
    with pytest.raises(VocabError, match=reason):
        parse_money(amount, currency)


@pytest.mark.parametrize("money", [Money(125050, "EUR"), Money(5000, "JPY"), Money(12345, "KWD"), Money(7, "USD")])
def test_money_amount_round_trip(money: Money) -> None:
    assert parse_money(money_amount(money), money.currency) == money


def test_format_money() -> None:
    assert format_money(Money(125050, "EUR"), "fr") == "1\u202f250,50\xa0€"
    assert format_money(Money(5000, "JPY"), "en") == "¥5,000"
    assert format_money(Money(725, "USD"), None) == "$7.25"


# ---------------------------------------------------------------- refusals


def mutated(path: list[Any], value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(doc_of())
    target: Any = doc
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


_DELETE = object()
MONEY = {"type": "MonetaryAmount", "amount": "10.00", "currency": "EUR"}


@pytest.mark.parametrize(("path", "value", "reason"), [
    (["type"], "Note", "not an initiative"),
    (["initiativeKind"], _DELETE, "unknown initiative kind"),
    (["id"], _DELETE, "no id"),
    (["id"], "urn:x:1", "no id"),
    (["name"], "  ", "no name"),
    (["initiativeKind"], "charity", "unknown initiative kind"),
    (["initiativeStatus"], "paused", "unknown initiative status"),
    (["attributedTo"], _DELETE, "no organizer"),
    (["needs", 0, "goal", "amount"], "12.345", "more decimals"),
    (["needs", 0, "goal", "amount"], "-1", "negative"),
    (["needs", 0, "goal", "amount"], 12.5, "decimal string"),
    (["needs", 0, "goal", "currency"], "XXY", "unknown currency"),
    (["needs", 0, "goal"], "5000", "not a MonetaryAmount"),
    (["needs", 0, "pledged", "currency"], "USD", "mixes currencies"),
    (["needs", 0, "needKind"], "prayers", "unknown needKind"),
    (["needs", 0, "name"], _DELETE, "no name"),
    (["needs", 1, "quantity"], -3, "negative"),
    (["needs", 1, "quantity"], "ten", "not a whole number"),
    (["needs", 1, "pledgedQuantity"], -1, "negative"),
    (["needs", 2, "quantity"], 10**12, "absurd"),
    (["needs", 3], "money", "not an object"),
    (["ledgerTotals", 0, "spent"], {"type": "MonetaryAmount", "amount": "3", "currency": "USD"},
     "mixes currencies"),
    (["ledgerTotals", 0, "currency"], "JPY", "mixes currencies"),
    (["ledgerTotals", 1, "currency"], "EUR", "mixes currencies"),
    (["ledgerTotals", 1], {"type": "CurrencyTotal", "currency": "EUR", "received": MONEY}, "twice"),
    (["ledgerTotals", 0, "received", "amount"], "-10.00", "negative"),
    (["supportCount"], -1, "negative"),
    (["supportCount"], True, "not a whole number"),
    (["statusHistory", 0, "initiativeStatus"], "paused", "unknown status"),
    (["statusHistory", 0, "published"], "yesterday", "no valid date"),
    (["needs"], [{"type": "Need", "needKind": "materials", "name": f"n{i}"} for i in range(101)],
     "too many needs"),
    (["tag"], [{"type": "Hashtag", "name": f"#t{i}"} for i in range(51)], "too many tags"),
])
def test_bad_documents_are_refused(path: list[Any], value: Any, reason: str) -> None:
    with pytest.raises(VocabError, match=reason):
        parse_initiative(mutated(path, value))


def test_not_a_mapping_is_refused() -> None:
    with pytest.raises(VocabError):
        parse_initiative([])  # type: ignore[arg-type]


def test_limits_that_are_just_allowed() -> None:
    doc = mutated(["needs"], [{"type": "Need", "needKind": "materials", "name": f"n{i}"} for i in range(100)])
    doc["tag"] = [{"type": "Hashtag", "name": f"#t{i}"} for i in range(50)]
    parsed = parse_initiative(doc)
    assert len(parsed.needs) == 100 and len(parsed.tags) == 50


# ---------------------------------------------------------------- tolerance


def test_tolerant_reading() -> None:
    doc = doc_of()
    doc["type"] = ["Article", "Document"]
    doc["url"] = "https://elsewhere.example/phish"  # another host: link to the object itself
    doc["attributedTo"] = [{"id": BASE.organizer, "type": "Group"}]
    del doc["placeThere"]  # location is the place there
    del doc["abstract"]  # fall back on the (unescaped) summary line
    doc["needs"][0]["goal"] = {"type": "MonetaryAmount", "value": 5000, "currency": "eur"}
    doc["needs"][1]["skills"] = ["masonry", "masonry", 3, ""]
    doc["tag"].append({"type": "Mention", "href": "https://x.example/u", "name": "@u@x.example"})
    del doc["supportCount"]
    parsed = parse_initiative(doc)
    assert parsed.url == BASE.id
    assert parsed.organizer == BASE.organizer
    assert parsed.place_there == VILLAGE
    assert "Three classrooms & a roof" in parsed.summary
    assert parsed.needs[0].goal == Money(500000, "EUR")
    assert parsed.needs[1].skills == ("masonry",)
    assert parsed.tags == BASE.tags
    assert parsed.support_count == 0
