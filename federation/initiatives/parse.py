"""A remote initiative (an Article or Page with agora: terms) as :class:`InitiativeData`, read within
bounds; VocabError says why a document is not a usable initiative."""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final, cast

from federation.events.parse import banner
from federation.events.places import Place, parse_place
from federation.fields import (
    MAX_CONTENT,
    MAX_NAME,
    MAX_TAG,
    MAX_TAGS,
    addressees,
    clean,
    first_text,
    hashtag_names,
    object_language,
    other_languages,
    page_url,
)
from federation.initiatives.model import (
    KINDS,
    MAX_HISTORY,
    MAX_NEEDS,
    MAX_QUANTITY,
    MAX_RESPONSIBLE,
    MAX_SKILLS,
    MAX_SUMMARY,
    MAX_SUPPORT,
    MAX_TOTALS,
    NEED_KINDS,
    STATUSES,
    CurrencyTotal,
    InitiativeData,
    Money,
    NeedData,
    NeedKind,
)
from federation.initiatives.money import currency_code, money_of
from federation.vocab import VocabError, as_list, id_of, ids_of, language_map, type_of

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
    goal = money_of(item["goal"], f"{where} goal") if item.get("goal") is not None else None
    pledged = money_of(item["pledged"], f"{where} pledged") if item.get("pledged") is not None else None
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
    currency = currency_code(item.get("currency"))
    amounts: list[Money] = []
    for key in ("received", "spent"):
        value = item.get(key)
        money = money_of(value, f"{where} {key}") if value is not None else Money(0, currency)
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
            place = parse_place(item)
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
    cover_url, cover_alt, cover_type = banner(doc, attachments)
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
