"""A remote opportunity (a Note or Article with agora: opportunity terms) as :class:`OpportunityData`,
read within bounds; VocabError says why a document is not a usable opportunity."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Final

from federation.fields import (
    MAX_CONTENT, MAX_NAME, MAX_TAG, MAX_TAGS, addressees, clean, first_text, hashtag_names, object_language,
    page_url,
)
from federation.opportunities.model import KINDS, MAX_LANGUAGES, MAX_PLACE, PLACES, PURPOSES, STATUSES, OpportunityData
from federation.vocab import VocabError, as_list, id_of, is_language_tag, language_map, parse_datetime, type_of

_TYPES: Final = ("Note", "Article", "Page")


def is_opportunity(doc: Mapping[str, Any]) -> bool:
    """A Note (or Article, Page) carrying Agora's opportunity terms."""
    if not isinstance(doc, Mapping):
        return False
    kinds = [k for k in as_list(doc.get("type")) if isinstance(k, str)]
    return any(k in _TYPES for k in kinds) and "opportunityKind" in doc


def _choice(doc: Mapping[str, Any], key: str, allowed: tuple[str, ...]) -> str:
    value = doc.get(key)
    if not isinstance(value, str) or value not in allowed:
        raise VocabError(f"{key} must be one of {', '.join(allowed)}, not {str(value)[:40]!r}")
    return value


def _day(value: Any) -> date | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def _place_name(doc: Mapping[str, Any]) -> str:
    location = doc.get("location")
    for item in as_list(location)[:1]:
        if isinstance(item, Mapping):
            return clean(item.get("name"), MAX_PLACE)
    return ""


def _tags(doc: Mapping[str, Any]) -> tuple[str, ...]:
    names = [t.get("name") for t in as_list(doc.get("tag"))[: MAX_TAGS * 2]
             if isinstance(t, Mapping) and type_of(t) == "Hashtag"]
    return hashtag_names(names)[:MAX_TAGS]


def _languages(doc: Mapping[str, Any]) -> tuple[str, ...]:
    found = [v.strip() for v in as_list(doc.get("languages"))[:MAX_LANGUAGES]
             if isinstance(v, str) and len(v) <= 35 and is_language_tag(v.strip())]
    return tuple(dict.fromkeys(found))


def _moment(doc: Mapping[str, Any], key: str) -> datetime | None:
    value = parse_datetime(doc.get(key))
    return value if value is None or value.tzinfo is not None else None


def parse_opportunity(doc: Mapping[str, Any]) -> OpportunityData:
    """The opportunity a document describes; VocabError when it is not one we can show."""
    if not is_opportunity(doc):
        raise VocabError("not an opportunity (no opportunityKind)")
    object_id = id_of(doc)
    organizer = id_of(as_list(doc.get("attributedTo"))[0] if as_list(doc.get("attributedTo")) else None)
    if object_id is None or organizer is None:
        raise VocabError("an opportunity needs an id and attributedTo")
    expires = _moment(doc, "expires")
    if expires is None:
        raise VocabError("an opportunity needs an expires date-time with a time zone")
    title = clean(first_text(doc, "name"), MAX_NAME)
    if not title:
        raise VocabError("an opportunity needs a name")
    language = object_language(doc)
    text = doc.get("opportunityText")
    names = {k: clean(v, MAX_NAME) for k, v in language_map(doc.get("nameMap"), MAX_NAME).items() if v.strip()}
    texts = language_map(doc.get("opportunityTextMap"), MAX_CONTENT)
    return OpportunityData(
        id=object_id, url=page_url(doc, object_id), title=title,
        content_html=text[:MAX_CONTENT] if isinstance(text, str) else "",
        kind=_choice(doc, "opportunityKind", KINDS), purpose=_choice(doc, "purpose", PURPOSES),
        place_kind=_choice(doc, "placeKind", PLACES), place_name=_place_name(doc),
        status=_choice(doc, "opportunityStatus", STATUSES), expires=expires, organizer=organizer,
        starts=_day(doc.get("validFrom")), ends=_day(doc.get("validThrough")), closed=_moment(doc, "closed"),
        language=language, languages=_languages(doc), tags=tuple(t[:MAX_TAG] for t in _tags(doc)),
        published=_moment(doc, "published"), updated=_moment(doc, "updated"),
        to=addressees(doc.get("to")), cc=addressees(doc.get("cc")),
        name_map={k: v for k, v in names.items() if k != language},
        content_map={k: v for k, v in texts.items() if k != language},
    )
