"""What a poster gives for an opportunity (OpportunityInput) and the rules it must follow; the error
a person can act on (OpportunityError, with the problems on each field)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Final

from federation import opportunities as wire
from federation.opportunities.model import MAX_LANGUAGES
from federation.vocab import is_language_tag
from node.core.multilingual import MAX_TRANSLATIONS, Translation, check_translations

DEFAULT_DAYS: Final = 30
MAX_DAYS: Final = 365
MAX_TITLE: Final = 300
MAX_TEXT: Final = 20_000
MAX_TAGS: Final = 10


class OpportunityError(ValueError):
    """What is wrong with an opportunity or an action on it; `problems`: (field, message) pairs."""

    def __init__(self, message: str, problems: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems or (("", message),)


@dataclass(frozen=True)
class OpportunityInput:
    title: str
    kind: str
    text: str = ""
    purpose: str = "offer"
    place_kind: str = "here"
    place_name: str = ""
    starts: date | None = None
    ends: date | None = None
    expires: date | None = None  # the last day it is open; None: DEFAULT_DAYS from now
    language: str | None = None
    languages: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    translations: tuple[Translation, ...] = field(default_factory=tuple)


def expiry(inp: OpportunityInput, now: datetime) -> datetime:
    """When it closes by itself: the end of its last day (UTC), or DEFAULT_DAYS from now."""
    if inp.expires is None:
        return now + timedelta(days=DEFAULT_DAYS)
    return datetime(inp.expires.year, inp.expires.month, inp.expires.day, 23, 59, 59, tzinfo=timezone.utc)


def validate(inp: OpportunityInput, now: datetime) -> None:
    problems: list[tuple[str, str]] = []
    if not inp.title.strip():
        problems.append(("title", "give the opportunity a title"))
    elif len(inp.title) > MAX_TITLE:
        problems.append(("title", f"the title is longer than {MAX_TITLE} characters"))
    if inp.kind not in wire.KINDS:
        problems.append(("kind", f"the kind must be one of {', '.join(wire.KINDS)}"))
    if inp.purpose not in wire.PURPOSES:
        problems.append(("purpose", "say whether it is an offer or a request"))
    if inp.place_kind not in wire.PLACES:
        problems.append(("place_kind", "the place must be here, there or remote"))
    if len(inp.place_name) > 300:
        problems.append(("place_name", "the place name is longer than 300 characters"))
    if len(inp.text) > MAX_TEXT:
        problems.append(("text", f"the text is longer than {MAX_TEXT} characters"))
    if inp.starts and inp.ends and inp.ends < inp.starts:
        problems.append(("ends", "the end date is before the start date"))
    if inp.expires is not None and not now.date() <= inp.expires <= (now + timedelta(days=MAX_DAYS)).date():
        problems.append(("expires", f"the expiry must be between today and {MAX_DAYS} days from now"))
    if inp.language is not None and not is_language_tag(inp.language):
        problems.append(("language", "give the language as a code like en, fr or ar"))
    if any(not is_language_tag(tag) for tag in inp.languages) or len(inp.languages) > MAX_LANGUAGES:
        problems.append(("languages", "give the languages as codes like en, fr or ar, separated by commas"))
    if len(inp.tags) > MAX_TAGS:
        problems.append(("tags", f"at most {MAX_TAGS} tags"))
    if len(inp.translations) > MAX_TRANSLATIONS:
        problems.append(("", f"at most {MAX_TRANSLATIONS} translations"))
    else:
        try:
            check_translations(inp.language or "und", inp.translations, OpportunityError, needs_title=True)
        except OpportunityError as exc:
            problems.append(("", str(exc)))
    if problems:
        raise OpportunityError(problems[0][1], tuple(problems))
