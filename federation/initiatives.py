"""Initiatives on the wire: community projects with needs, a transparency ledger, support and a status.

An initiative travels as an AS2 `Article`, so that every peer sees something valid:

* Mastodon converts an Article into `<h2>name</h2>` + `summary` + a link to `url` (see
  :func:`federation.events.mastodon_rendering`); `summary` is therefore :func:`initiative_summary`, one
  plain, localised, HTML-escaped line with the kind, the status and the progress. The cover image is
  `attachment[0]` (a `Document` whose `name` is the alt text) and `image`.
* Peers that ignore extensions read `name`, `content` (HTML), `url`, `attributedTo`, `tag`, `location`
  (the place "there", an AS2 `Place` with a schema.org `PostalAddress`, as Mobilizon writes it).
* Another Agora node rebuilds the whole initiative from the extension terms below.

Extension namespace: ``https://w3id.org/agora/ns#`` (prefix ``agora:``; :data:`AGORA_NS`). It is not
dereferenceable yet, so the terms are defined inline in :data:`INITIATIVE_CONTEXT` and nobody needs to
fetch it. Terms (all in ``agora:`` unless said otherwise):

``initiativeKind``   one of :data:`KINDS`.
``initiativeStatus`` one of :data:`STATUSES`.
``statusHistory``    ordered list of ``{"type": "StatusChange", "initiativeStatus", "published"}``.
``needs``            ordered list of ``Need`` objects: ``needKind`` (volunteers, materials, money),
                     ``name`` (title), ``summary`` (description), ``skills`` (strings), ``quantity``,
                     ``pledgedQuantity``, ``goal`` and ``pledged`` (money).
``ledgerTotals``     ``CurrencyTotal`` objects: ``currency`` plus ``received`` and ``spent`` (money, in
                     that same currency). Totals are derived from the ledger by the sender.
``supportCount``     how many local members and remote actors support it.
``placeThere``       where it acts (also sent as AS2 ``location``); ``placeHere``: where the diaspora is.
``responsible``      ids of the people responsible.
``abstract``         (schema.org) the initiative's own short summary; the AS2 `summary` carries the
                     generated line Mastodon shows.
``abstractMap``      the same in every language the initiative is written in (a JSON-LD language map
                     of ``sc:abstract``), next to AS2's ``nameMap``, ``summaryMap`` and ``contentMap``.

Money is ``{"type": "MonetaryAmount", "amount": "1250.50", "currency": "EUR"}`` (schema.org
`MonetaryAmount` and `currency`, ``agora:amount``): the amount is a decimal *string* with at most the
currency's ISO 4217 minor digits, never a float.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Final, Literal, cast

from babel.numbers import format_currency, format_percent, get_currency_precision, is_currency

from federation.events import EVENT_TERMS, Place, _banner, _parse_place, _place_document, place_line
from federation.fields import (
    MAX_ADDRESSEES,
    MAX_CONTENT,
    MAX_NAME,
    MAX_TAG,
    MAX_TAGS,
    add_language_maps,
    addressees,
    babel_locale,
    clean,
    first_text,
    hashtag_names,
    hashtags,
    image_media_type,
    object_language,
    other_languages,
    page_url,
    with_default,
)
from federation.vocab import AS2, MASTODON_TERMS, SECURITY_V1, VocabError, as_list, id_of, ids_of, iso, language_map, type_of

__all__ = [
    "AGORA_NS",
    "INITIATIVE_CONTEXT",
    "KINDS",
    "MAX_ADDRESSEES",
    "MAX_CONTENT",
    "MAX_NAME",
    "MAX_TAG",
    "MAX_TAGS",
    "STATUSES",
    "CurrencyTotal",
    "InitiativeData",
    "Money",
    "NeedData",
    "format_money",
    "initiative_document",
    "initiative_summary",
    "is_initiative",
    "money_amount",
    "parse_initiative",
    "parse_money",
]

AGORA_NS: Final = "https://w3id.org/agora/ns#"

KINDS: Final = ("development", "humanitarian", "advocacy", "mutual_aid", "cultural")
STATUSES: Final = ("proposed", "active", "achieved", "closed", "abandoned")
NEED_KINDS: Final = ("volunteers", "materials", "money")
NeedKind = Literal["volunteers", "materials", "money"]

_SCHEMA_TERMS: Final = ("sc", "PostalAddress", "address", "addressCountry", "addressRegion", "postalCode",
                        "addressLocality", "streetAddress", "inLanguage")
_MASTODON_TERMS: Final = ("toot", "sensitive", "Hashtag")

INITIATIVE_TERMS: Final[dict[str, Any]] = {
    **{key: EVENT_TERMS[key] for key in _SCHEMA_TERMS},
    **{key: MASTODON_TERMS[key] for key in _MASTODON_TERMS},
    "agora": AGORA_NS,
    "initiativeKind": "agora:initiativeKind",
    "initiativeStatus": "agora:initiativeStatus",
    "statusHistory": {"@id": "agora:statusHistory", "@container": "@list"},
    "StatusChange": "agora:StatusChange",
    "needs": {"@id": "agora:needs", "@container": "@list"},
    "Need": "agora:Need",
    "needKind": "agora:needKind",
    "skills": "agora:skills",
    "quantity": "agora:quantity",
    "pledgedQuantity": "agora:pledgedQuantity",
    "goal": "agora:goal",
    "pledged": "agora:pledged",
    "MonetaryAmount": "sc:MonetaryAmount",
    "amount": "agora:amount",
    "currency": "sc:currency",
    "ledgerTotals": "agora:ledgerTotals",
    "CurrencyTotal": "agora:CurrencyTotal",
    "received": "agora:received",
    "spent": "agora:spent",
    "supportCount": "agora:supportCount",
    "placeHere": "agora:placeHere",
    "placeThere": "agora:placeThere",
    "responsible": {"@id": "agora:responsible", "@type": "@id"},
    "abstract": "sc:abstract",
    "abstractMap": {"@id": "sc:abstract", "@container": "@language"},
}
INITIATIVE_CONTEXT: Final[list[Any]] = [AS2, SECURITY_V1, INITIATIVE_TERMS]

# Bounds on what we accept from a remote document.
# (MAX_NAME, MAX_CONTENT, MAX_TAGS, MAX_TAG and MAX_ADDRESSEES are those of federation.fields.)
MAX_SUMMARY: Final = 5_000
MAX_NEEDS: Final = 100
MAX_SKILLS: Final = 50
MAX_HISTORY: Final = 200
MAX_TOTALS: Final = 50
MAX_RESPONSIBLE: Final = 100
MAX_QUANTITY: Final = 1_000_000_000
MAX_SUPPORT: Final = 1_000_000_000
MAX_UNITS: Final = 10**12  # major currency units
SUMMARY_TEXT_LIMIT: Final = 280  # of the initiative's own summary inside the Mastodon line


# ---------------------------------------------------------------- data


@dataclass(frozen=True)
class Money:
    """An amount in minor units (cents; yen) of an ISO 4217 currency (upper case)."""

    minor: int
    currency: str


@dataclass(frozen=True)
class NeedData:
    kind: NeedKind
    title: str
    description: str = ""
    skills: tuple[str, ...] = ()
    quantity: int | None = None
    goal: Money | None = None
    pledged_quantity: int = 0
    pledged: Money | None = None


@dataclass(frozen=True)
class CurrencyTotal:
    currency: str
    received_minor: int
    spent_minor: int


@dataclass(frozen=True)
class InitiativeData:
    """What a node knows about one initiative. `content_html` from a peer is not sanitised."""

    id: str
    url: str
    title: str
    summary: str
    content_html: str
    kind: str
    status: str
    status_history: tuple[tuple[str, datetime], ...]
    place_there: Place | None
    place_here: Place | None
    cover_url: str | None
    cover_alt: str
    cover_media_type: str | None
    language: str | None
    tags: tuple[str, ...]
    responsible: tuple[str, ...]
    needs: tuple[NeedData, ...]
    totals: tuple[CurrencyTotal, ...]
    support_count: int
    organizer: str
    published: datetime | None
    updated: datetime | None
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    # Other languages: {language: text}. `title`, `summary`, `content_html` are in `language`.
    name_map: dict[str, str] = field(default_factory=dict)
    summary_map: dict[str, str] = field(default_factory=dict)
    content_map: dict[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------- money

_AMOUNT: Final = re.compile(r"([0-9]{1,13})(?:\.([0-9]{1,6}))?")
_CURRENCY: Final = re.compile(r"[A-Za-z]{3}")


def _currency(code: object) -> str:
    if not isinstance(code, str) or not _CURRENCY.fullmatch(code.strip()):
        raise VocabError(f"not an ISO 4217 currency code: {str(code)[:16]!r}")
    upper = code.strip().upper()
    if not is_currency(upper):
        raise VocabError(f"unknown currency {upper!r}")
    return upper


def parse_money(amount: str, currency: str) -> Money:
    """A decimal string and a currency code as Money: "1250.50", "EUR" -> Money(125050, "EUR")."""
    code = _currency(currency)
    if not isinstance(amount, str):
        raise VocabError(f"amount must be a decimal string, not {type(amount).__name__}")
    raw = amount.strip()
    if raw.startswith("-"):
        raise VocabError(f"negative amount {raw[:40]!r}")
    match = _AMOUNT.fullmatch(raw)
    if match is None:
        raise VocabError(f"amount is not a plain decimal number: {raw[:40]!r}")
    units, fraction = match.group(1), match.group(2) or ""
    precision = get_currency_precision(code)
    if len(fraction) > precision:
        raise VocabError(f"{raw!r} has more decimals than {code} allows ({precision})")
    if int(units) > MAX_UNITS:
        raise VocabError(f"absurd amount {raw!r} {code} (more than {MAX_UNITS})")
    return Money(int(units) * 10**precision + int(fraction.ljust(precision, "0") or "0"), code)


def money_amount(money: Money) -> str:
    """The decimal string for the wire: Money(125050, "EUR") -> "1250.50"."""
    precision = get_currency_precision(money.currency)
    if precision == 0:
        return str(money.minor)
    units, cents = divmod(money.minor, 10**precision)
    return f"{units}.{cents:0{precision}d}"


def _decimal(money: Money) -> Decimal:
    return Decimal(money.minor).scaleb(-get_currency_precision(money.currency))


def format_money(m: Money, locale: str | None) -> str:
    """Money for people, e.g. "1 250,50 €" in French (babel)."""
    return str(format_currency(_decimal(m), m.currency, locale=babel_locale(locale)))


def _money_document(m: Money) -> dict[str, Any]:
    return {"type": "MonetaryAmount", "amount": money_amount(m), "currency": m.currency}


def _money_of(value: Any, where: str) -> Money:
    if not isinstance(value, Mapping):
        raise VocabError(f"{where} is not a MonetaryAmount object")
    amount = value.get("amount", value.get("value"))  # schema.org says `value`; accept it
    if isinstance(amount, int) and not isinstance(amount, bool):
        amount = str(amount)
    if not isinstance(amount, str):
        raise VocabError(f"{where} amount must be a decimal string")
    try:
        return parse_money(amount, str(value.get("currency", "")))
    except VocabError as exc:
        raise VocabError(f"{where}: {exc}") from None


# ---------------------------------------------------------------- summary (what Mastodon shows)


@dataclass(frozen=True)
class _Words:
    kinds: dict[str, str]
    statuses: dict[str, str]
    money: str  # {pledged} of {goal} ({percent})
    volunteers: str  # {count} of {total} volunteers
    volunteers_open: str  # {count} volunteers
    totals: str  # received {received}, spent {spent}
    there: str
    here: str


_WORDS: Final[dict[str, _Words]] = {
    "en": _Words(
        {"development": "Development project", "humanitarian": "Humanitarian appeal",
         "advocacy": "Advocacy", "mutual_aid": "Mutual aid", "cultural": "Cultural"},
        {"proposed": "Proposed", "active": "Active", "achieved": "Achieved", "closed": "Closed",
         "abandoned": "Abandoned"},
        "{pledged} of {goal} ({percent})", "{count} of {total} volunteers", "{count} volunteers",
        "received {received}, spent {spent}", "There: {place}", "Here: {place}"),
    "fr": _Words(
        {"development": "Projet de développement", "humanitarian": "Appel humanitaire",
         "advocacy": "Plaidoyer", "mutual_aid": "Entraide", "cultural": "Culturel"},
        {"proposed": "Proposée", "active": "En cours", "achieved": "Réalisée", "closed": "Close",
         "abandoned": "Abandonnée"},
        "{pledged} sur {goal} ({percent})", "{count} bénévoles sur {total}", "{count} bénévoles",
        "reçu {received}, dépensé {spent}", "Là-bas : {place}", "Ici : {place}"),
    "es": _Words(
        {"development": "Proyecto de desarrollo", "humanitarian": "Llamamiento humanitario",
         "advocacy": "Incidencia", "mutual_aid": "Ayuda mutua", "cultural": "Cultural"},
        {"proposed": "Propuesta", "active": "En curso", "achieved": "Lograda", "closed": "Cerrada",
         "abandoned": "Abandonada"},
        "{pledged} de {goal} ({percent})", "{count} de {total} voluntarios", "{count} voluntarios",
        "recibido {received}, gastado {spent}", "Allá: {place}", "Aquí: {place}"),
    "ar": _Words(
        {"development": "مشروع تنموي", "humanitarian": "نداء إنساني", "advocacy": "مناصرة",
         "mutual_aid": "تضامن متبادل", "cultural": "ثقافي"},
        {"proposed": "مقترحة", "active": "جارية", "achieved": "منجزة", "closed": "مغلقة",
         "abandoned": "متروكة"},
        "{pledged} من {goal} ({percent})", "{count} من {total} متطوعين", "{count} متطوعين",
        "المستلم {received}، المصروف {spent}", "هناك: {place}", "هنا: {place}"),
}


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def initiative_summary(data: InitiativeData, *, locale: str | None = None) -> str:
    """One plain HTML-escaped line: kind · status · progress · ledger · places · summary text.

    e.g. "Development project · Active · €1,250.00 of €5,000.00 (25%) · 3 of 10 volunteers · …"."""
    loc = babel_locale(locale or data.language)
    words = _WORDS.get(loc.language, _WORDS["en"])
    parts = [words.kinds.get(data.kind, data.kind), words.statuses.get(data.status, data.status)]
    for need in data.needs:
        if need.kind == "money" and need.goal is not None:
            pledged = need.pledged or Money(0, need.goal.currency)
            ratio = pledged.minor / need.goal.minor if need.goal.minor else 0.0
            parts.append(words.money.format(
                pledged=format_money(pledged, str(loc)), goal=format_money(need.goal, str(loc)),
                percent=format_percent(ratio, locale=loc)))
        elif need.kind == "volunteers":
            if need.quantity:
                parts.append(words.volunteers.format(count=need.pledged_quantity, total=need.quantity))
            else:
                parts.append(words.volunteers_open.format(count=need.pledged_quantity))
    for total in data.totals:
        parts.append(f"{total.currency}: " + words.totals.format(
            received=format_money(Money(total.received_minor, total.currency), str(loc)),
            spent=format_money(Money(total.spent_minor, total.currency), str(loc))))
    if data.place_there is not None and place_line(data.place_there, street=False):
        parts.append(words.there.format(place=place_line(data.place_there, street=False)))
    if data.place_here is not None and place_line(data.place_here, street=False):
        parts.append(words.here.format(place=place_line(data.place_here, street=False)))
    if data.summary.strip():
        parts.append(_shorten(data.summary, SUMMARY_TEXT_LIMIT))
    return html.escape(" · ".join(parts))


# ---------------------------------------------------------------- building


def _need_document(need: NeedData) -> dict[str, Any]:
    doc: dict[str, Any] = {"type": "Need", "needKind": need.kind, "name": need.title}
    if need.description:
        doc["summary"] = need.description
    if need.skills:
        doc["skills"] = list(need.skills)
    if need.quantity is not None:
        doc["quantity"] = need.quantity
    doc["pledgedQuantity"] = need.pledged_quantity
    if need.goal is not None:
        doc["goal"] = _money_document(need.goal)
    if need.pledged is not None:
        doc["pledged"] = _money_document(need.pledged)
    return doc


def initiative_document(data: InitiativeData, *, locale: str | None = None) -> dict[str, Any]:
    """The AS2 `Article` for `data`, with the agora: terms another Agora node rebuilds it from."""
    doc: dict[str, Any] = {
        "@context": INITIATIVE_CONTEXT,
        "id": data.id,
        "type": "Article",
        "url": data.url or data.id,
        "name": data.title,
        "summary": initiative_summary(data, locale=locale),
        "content": data.content_html,
        "mediaType": "text/html",
        "attributedTo": data.organizer,
        "tag": hashtags(data.id, data.tags),
        "attachment": [],
        "initiativeKind": data.kind,
        "initiativeStatus": data.status,
        "statusHistory": [
            {"type": "StatusChange", "initiativeStatus": status, "published": iso(moment)}
            for status, moment in data.status_history
        ],
        "needs": [_need_document(need) for need in data.needs],
        "ledgerTotals": [
            {
                "type": "CurrencyTotal",
                "currency": total.currency,
                "received": _money_document(Money(total.received_minor, total.currency)),
                "spent": _money_document(Money(total.spent_minor, total.currency)),
            }
            for total in data.totals
        ],
        "supportCount": data.support_count,
        "responsible": list(data.responsible),
        "to": list(data.to),
        "cc": list(data.cc),
    }
    doc["abstract"] = data.summary  # even when empty: `summary` is the generated line, not this
    if data.cover_url:
        cover = {"type": "Document", "mediaType": image_media_type(data.cover_media_type, data.cover_url), "url": data.cover_url,
                 "name": data.cover_alt}
        doc["attachment"] = [cover]
        doc["image"] = dict(cover)
    if data.language:
        abstracts = with_default(data.language, data.summary, data.summary_map)
        add_language_maps(
            doc, data.language, name=(data.title, data.name_map), content=(data.content_html, data.content_map),
            summary_in=lambda language: initiative_summary(
                replace(data, summary=abstracts.get(language, data.summary)), locale=language),
            extra={"abstractMap": abstracts},
        )
    if data.published is not None:
        doc["published"] = iso(data.published)
    if data.updated is not None:
        doc["updated"] = iso(data.updated, precise=True)
    if data.place_there is not None:
        doc["location"] = _place_document(data.place_there)
        doc["placeThere"] = _place_document(data.place_there)
    if data.place_here is not None:
        doc["placeHere"] = _place_document(data.place_here)
    return doc


# ---------------------------------------------------------------- parsing

_INITIATIVE_KEYS: Final = ("initiativeKind", "initiativeStatus")


def is_initiative(doc: Mapping[str, Any]) -> bool:
    """An Article (or Page) carrying Agora's initiative terms."""
    if not isinstance(doc, Mapping):
        return False
    kinds = [k for k in as_list(doc.get("type")) if isinstance(k, str)]
    return any(k in ("Article", "Page") for k in kinds) and any(key in doc for key in _INITIATIVE_KEYS)


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        return None
    raw = value.strip()
    try:
        parsed = datetime.fromisoformat(raw[:-1] + "+00:00" if raw[-1] in "Zz" else raw)
    except ValueError:
        return None
    if parsed.tzinfo is None or not 1900 <= parsed.year <= 2200:
        return None
    return parsed


def _whole(value: Any, where: str, bound: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise VocabError(f"{where} is not a whole number: {str(value)[:40]!r}")
    if value < 0:
        raise VocabError(f"{where} is negative ({value})")
    if value > bound:
        raise VocabError(f"absurd {where} {value} (at most {bound})")
    return value


def _bounded_list(value: Any, where: str, bound: int) -> list[Any]:
    items = as_list(value)
    if len(items) > bound:
        raise VocabError(f"too many {where}: {len(items)} (at most {bound})")
    return items


def _parse_need(item: Any, index: int) -> NeedData:
    where = f"need {index + 1}"
    if not isinstance(item, Mapping):
        raise VocabError(f"{where} is not an object")
    kind = item.get("needKind")
    if kind not in NEED_KINDS:
        raise VocabError(f"{where} has an unknown needKind {str(kind)[:40]!r}")
    title = clean(first_text(item, "name"), MAX_NAME)
    if not title:
        raise VocabError(f"{where} has no name")
    skills: list[str] = []
    for skill in _bounded_list(item.get("skills"), f"skills in {where}", MAX_SKILLS):
        cleaned = clean(skill, MAX_TAG)
        if cleaned and cleaned not in skills:
            skills.append(cleaned)
    quantity = item.get("quantity")
    goal = _money_of(item["goal"], f"{where} goal") if item.get("goal") is not None else None
    pledged = _money_of(item["pledged"], f"{where} pledged") if item.get("pledged") is not None else None
    if goal is not None and pledged is not None and goal.currency != pledged.currency:
        raise VocabError(f"{where} mixes currencies: goal in {goal.currency}, pledged in {pledged.currency}")
    return NeedData(
        kind=cast(NeedKind, kind),
        title=title,
        description=clean(first_text(item, "summary"), MAX_SUMMARY),
        skills=tuple(skills),
        quantity=_whole(quantity, f"{where} quantity", MAX_QUANTITY) if quantity is not None else None,
        goal=goal,
        pledged_quantity=_whole(item.get("pledgedQuantity", 0), f"{where} pledgedQuantity", MAX_QUANTITY),
        pledged=pledged,
    )


def _parse_total(item: Any, index: int) -> CurrencyTotal:
    where = f"ledger total {index + 1}"
    if not isinstance(item, Mapping):
        raise VocabError(f"{where} is not an object")
    currency = _currency(item.get("currency"))
    amounts: list[Money] = []
    for key in ("received", "spent"):
        value = item.get(key)
        money = _money_of(value, f"{where} {key}") if value is not None else Money(0, currency)
        if money.currency != currency:
            raise VocabError(f"{where} mixes currencies: {key} in {money.currency} in a {currency} total")
        amounts.append(money)
    return CurrencyTotal(currency=currency, received_minor=amounts[0].minor, spent_minor=amounts[1].minor)


def _parse_history(value: Any) -> tuple[tuple[str, datetime], ...]:
    history: list[tuple[str, datetime]] = []
    for index, item in enumerate(_bounded_list(value, "status changes", MAX_HISTORY)):
        if not isinstance(item, Mapping):
            raise VocabError(f"status change {index + 1} is not an object")
        status = item.get("initiativeStatus")
        if status not in STATUSES:
            raise VocabError(f"status change {index + 1} has an unknown status {str(status)[:40]!r}")
        moment = _moment(item.get("published"))
        if moment is None:
            raise VocabError(f"status change {index + 1} has no valid date (published)")
        history.append((cast(str, status), moment))
    return tuple(history)


def _parse_tags(value: Any) -> tuple[str, ...]:
    hashtags = [t for t in as_list(value) if isinstance(t, Mapping) and type_of(t) == "Hashtag"]
    if len(hashtags) > MAX_TAGS:
        raise VocabError(f"too many tags: {len(hashtags)} (at most {MAX_TAGS})")
    return hashtag_names(item.get("name") for item in hashtags)


def _place(value: Any) -> Place | None:
    for item in as_list(value)[:10]:
        if isinstance(item, str) and item.strip():
            return Place(name=item.strip()[:500])
        if isinstance(item, Mapping) and type_of(item) != "VirtualLocation":
            place = _parse_place(item)
            if place is not None:
                return place
    return None


def parse_initiative(doc: Mapping[str, Any]) -> InitiativeData:
    """A remote initiative (an Article with agora: terms) as InitiativeData; VocabError says why not."""
    if not isinstance(doc, Mapping):
        raise VocabError("initiative is not a JSON object")
    if not is_initiative(doc):
        raise VocabError(f"not an initiative: a {type_of(doc) or 'typeless object'!r} without agora terms")
    initiative_id = id_of(doc)
    if initiative_id is None or not isinstance(doc.get("id"), str):
        raise VocabError("initiative has no id (an http(s) URL)")
    title = clean(first_text(doc, "name"), MAX_NAME)
    if not title:
        raise VocabError("initiative has no name")
    kind = doc.get("initiativeKind")
    if kind not in KINDS:
        raise VocabError(f"unknown initiative kind {str(kind)[:40]!r} (expected one of {', '.join(KINDS)})")
    status = doc.get("initiativeStatus")
    if status not in STATUSES:
        raise VocabError(f"unknown initiative status {str(status)[:40]!r} (expected one of {', '.join(STATUSES)})")
    organizer = id_of(doc.get("attributedTo")) or next(
        (a for a in ids_of(doc.get("attributedTo")) if id_of(a)), None)
    if organizer is None:
        raise VocabError("initiative has no organizer (attributedTo)")

    needs = tuple(_parse_need(item, i) for i, item in enumerate(_bounded_list(doc.get("needs"), "needs", MAX_NEEDS)))
    totals = tuple(_parse_total(item, i)
                   for i, item in enumerate(_bounded_list(doc.get("ledgerTotals"), "ledger totals", MAX_TOTALS)))
    currencies = [t.currency for t in totals]
    if len(set(currencies)) != len(currencies):
        raise VocabError("ledger totals list a currency twice")
    support = doc.get("supportCount")
    support_count = _whole(support, "supportCount", MAX_SUPPORT) if support is not None else 0

    url = page_url(doc, initiative_id)
    attachments = [a for a in as_list(doc.get("attachment"))[:50] if isinstance(a, Mapping)]
    cover_url, cover_alt, cover_type = _banner(doc, attachments)
    abstract = doc.get("abstract")
    summary = (clean(abstract, MAX_SUMMARY) if isinstance(abstract, str)
               else html.unescape(clean(first_text(doc, "summary"), MAX_SUMMARY)))
    place_there = _place(doc.get("placeThere")) if doc.get("placeThere") is not None else _place(doc.get("location"))
    responsible = [r for r in ids_of(doc.get("responsible"))[:MAX_RESPONSIBLE * 4] if id_of(r)]

    return InitiativeData(
        id=initiative_id,
        url=url,
        title=title,
        summary=summary,
        content_html=first_text(doc, "content")[:MAX_CONTENT],
        kind=kind,
        status=status,
        status_history=_parse_history(doc.get("statusHistory")),
        place_there=place_there,
        place_here=_place(doc.get("placeHere")),
        cover_url=cover_url,
        cover_alt=cover_alt,
        cover_media_type=cover_type,
        language=object_language(doc),
        tags=_parse_tags(doc.get("tag")),
        responsible=tuple(dict.fromkeys(responsible))[:MAX_RESPONSIBLE],
        needs=needs,
        totals=totals,
        support_count=support_count,
        organizer=organizer,
        published=_moment(doc.get("published")),
        updated=_moment(doc.get("updated")),
        to=addressees(doc.get("to")),
        cc=addressees(doc.get("cc")),
        **other_languages(doc, object_language(doc), summary_map=_abstracts(doc)),
    )


def _abstracts(doc: Mapping[str, Any]) -> dict[str, str]:
    """The initiative's own summary per language: `abstractMap` (Agora), else the `summaryMap` lines."""
    abstracts = language_map(doc.get("abstractMap"), MAX_SUMMARY)
    if abstracts or isinstance(doc.get("abstract"), str):
        return {k: v.strip() for k, v in abstracts.items()}
    return {k: html.unescape(v.strip()) for k, v in language_map(doc.get("summaryMap"), MAX_SUMMARY).items()}
