"""What an initiative is made of before it is stored: the organizer's input (InitiativeInput and its
NeedInputs), the limits and the lifecycle it is checked against, amounts of money, and the one error
(InitiativeError) whose message names the field and the reason."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from decimal import Decimal, InvalidOperation
from typing import Any

from federation import initiatives as wire
from federation import vocab
from federation.events import Place
from node.core.multilingual import Translation, check_translations, normalize_tag
from node.initiatives.models import Initiative
from node.posts.content import MAX_SOURCE

FORMAT_VERSION = 1
MAX_TITLE = 300
MAX_SUMMARY = 2_000
MAX_NEEDS = 50
MAX_TAGS = 50
MAX_RESPONSIBLE = 50
MAX_SKILLS = 30
MAX_QUANTITY = 1_000_000
MAX_UNITS = 10**11  # 100 billion units of any currency: anything above is a typing mistake
MAX_MINOR = 10**14
MAX_LEDGER = 10_000
NEED_KINDS = ("volunteers", "materials", "money")
DIRECTIONS = ("received", "spent")
NATURES = ("money", "in_kind")
OPEN_STATUSES = ("proposed", "active")
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,63}")
LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")
CURRENCY = re.compile(r"[A-Z]{3}")

TRANSITIONS: dict[str, set[str]] = {
    "proposed": {"active", "abandoned"},
    "active": {"achieved", "closed", "abandoned"},
    "achieved": {"closed"},
    "closed": set(),
    "abandoned": set(),
}


class InitiativeError(ValueError):
    """An initiative, pledge or ledger entry that cannot be accepted as given; the message names the
    field and the reason ("needs[2].goal: not a number"). A check that looks at everything (validate,
    the form) gives every problem as `problems`, (field, reason) pairs; the message is the first."""

    def __init__(self, message: str = "", *, problems: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems or (("", message),)


PROBLEM_FIELD = re.compile(
    r"(title|kind|summary|description|place_(?:there|here)(?:\.\w+)?|cover_\w+|language|tags|responsible"
    r"|needs(?:\[\d+\](?:\.\w+)?)?): (.*)", re.S)


def problem_of(exc: InitiativeError) -> tuple[str, str]:
    """An initiative's refusal as (field, reason) when its message starts with the field ("", else)."""
    found = PROBLEM_FIELD.fullmatch(str(exc))
    return (found.group(1), found.group(2)) if found else ("", str(exc))


@dataclass(frozen=True)
class NeedInput:
    kind: str
    title: str
    description: str = ""
    skills: tuple[str, ...] = ()
    quantity: int | None = None
    goal: str | None = None
    currency: str | None = None


@dataclass(frozen=True)
class InitiativeInput:
    title: str
    kind: str
    summary: str = ""
    description: str = ""
    place_there: Place | None = None
    place_here: Place | None = None
    cover_url: str | None = None
    cover_alt: str = ""
    cover_media_type: str | None = None
    language: str | None = None
    tags: tuple[str, ...] = ()
    responsible: tuple[str, ...] = ()
    needs: tuple[NeedInput, ...] = ()
    supporters_public: bool = True
    translations: tuple[Translation, ...] | None = None  # None: an edit keeps the other languages
    draft: bool = False


def checked_money(value: Any, currency: Any, field: str) -> wire.Money:
    """A positive amount in a currency, or InitiativeError naming `field`."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise InitiativeError(f"{field}: not a number")
    text = str(value).strip().replace(",", ".") if isinstance(value, str) else str(value)
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise InitiativeError(f"{field}: not a number") from None
    if not number.is_finite():
        raise InitiativeError(f"{field}: not a number")
    if number <= 0:
        raise InitiativeError(f"{field}: must be more than zero")
    if number > MAX_UNITS:
        raise InitiativeError(f"{field}: {text} is an absurd amount (at most {MAX_UNITS:,})")
    if not isinstance(currency, str) or not CURRENCY.fullmatch(currency.strip().upper()):
        raise InitiativeError(f"{field}: needs a currency (three letters, e.g. EUR)")
    try:
        money = wire.parse_money(text, currency.strip().upper())
    except (vocab.VocabError, ValueError) as exc:
        raise InitiativeError(f"{field}: {exc}") from None
    if money.minor <= 0:
        raise InitiativeError(f"{field}: must be more than zero")
    if money.minor > MAX_MINOR:
        raise InitiativeError(f"{field}: {text} {money.currency} is an absurd amount")
    return money


def amount_text(minor: int, currency: str) -> str:
    """Minor units as a plain decimal string ("1250.50"), the form the JSON export uses."""
    return wire.money_amount(wire.Money(minor, currency))


def _check_url(value: str | None, field: str) -> None:
    if value is not None and not vocab.is_http_url(value):
        raise InitiativeError(f"{field}: must be an http(s) address")


def _check_place(place: Place | None, field: str) -> None:
    if place is None:
        return
    if not (place.name or place.locality or place.country).strip():
        raise InitiativeError(f"{field}: give at least a name, a locality or a country")
    if place.latitude is not None and not -90 <= place.latitude <= 90:
        raise InitiativeError(f"{field}.latitude: must be between -90 and 90")
    if place.longitude is not None and not -180 <= place.longitude <= 180:
        raise InitiativeError(f"{field}.longitude: must be between -180 and 180")


def check_quantity(value: Any, field: str, required: bool) -> int | None:
    if value is None:
        if required:
            raise InitiativeError(f"{field}: required")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InitiativeError(f"{field}: not a whole number")
    if not 0 < value <= MAX_QUANTITY:
        raise InitiativeError(f"{field}: must be between 1 and {MAX_QUANTITY}")
    return value


def _check_need(need: NeedInput, i: int) -> None:
    field = f"needs[{i}]"
    if need.kind not in NEED_KINDS:
        raise InitiativeError(f"{field}.kind: must be one of {', '.join(NEED_KINDS)}")
    if not need.title.strip():
        raise InitiativeError(f"{field}.title: required")
    if len(need.title) > MAX_TITLE:
        raise InitiativeError(f"{field}.title: longer than {MAX_TITLE} characters")
    if len(need.description) > MAX_SOURCE:
        raise InitiativeError(f"{field}.description: longer than {MAX_SOURCE} characters")
    if len(need.skills) > MAX_SKILLS or any(not s.strip() or len(s) > 100 for s in need.skills):
        raise InitiativeError(f"{field}.skills: at most {MAX_SKILLS}, each 1 to 100 characters")
    if need.kind == "money":
        if need.quantity is not None:
            raise InitiativeError(f"{field}.quantity: a money need has a goal, not a quantity")
        if need.goal is None:
            raise InitiativeError(f"{field}.goal: required for a money need")
        checked_money(need.goal, need.currency, f"{field}.goal")
    else:
        if need.goal is not None or need.currency is not None:
            raise InitiativeError(f"{field}.goal: only money needs have a goal")
        check_quantity(need.quantity, f"{field}.quantity", required=False)


def _check_texts(inp: InitiativeInput) -> None:
    if not inp.title.strip():
        raise InitiativeError("title: required")
    if len(inp.title) > MAX_TITLE:
        raise InitiativeError(f"title: longer than {MAX_TITLE} characters")


def _check_kind(inp: InitiativeInput) -> None:
    if inp.kind not in wire.KINDS:
        raise InitiativeError(f"kind: must be one of {', '.join(wire.KINDS)}")


def _check_story(inp: InitiativeInput) -> None:
    if len(inp.summary) > MAX_SUMMARY:
        raise InitiativeError(f"summary: longer than {MAX_SUMMARY} characters")
    if len(inp.description) > MAX_SOURCE:
        raise InitiativeError(f"description: longer than {MAX_SOURCE} characters")


def _check_cover(inp: InitiativeInput) -> None:
    _check_url(inp.cover_url, "cover_url")
    if len(inp.cover_alt) > 1000:
        raise InitiativeError("cover_alt: longer than 1000 characters")
    if inp.cover_media_type is not None and not re.fullmatch(r"image/[a-z0-9.+-]{1,50}", inp.cover_media_type):
        raise InitiativeError("cover_media_type: must be an image type such as image/jpeg")


def _check_lists(inp: InitiativeInput) -> None:
    if inp.language is not None and not LANGUAGE.fullmatch(inp.language):
        raise InitiativeError(f"language: not a language tag: {inp.language!r}")
    if len(inp.tags) > MAX_TAGS or any(not t.strip("# ") or len(t) > 100 for t in inp.tags):
        raise InitiativeError(f"tags: at most {MAX_TAGS}, each 1 to 100 characters")
    if len(inp.responsible) > MAX_RESPONSIBLE or any(not r.strip() or len(r) > 500 for r in inp.responsible):
        raise InitiativeError(f"responsible: at most {MAX_RESPONSIBLE}, each 1 to 500 characters")


def _check_translations(inp: InitiativeInput) -> None:
    if not inp.translations:
        return
    check_translations(normalize_tag(inp.language or ""), inp.translations, InitiativeError)
    for item in inp.translations:
        where = f"translations ({item.language})"
        if item.is_blank():
            raise InitiativeError(f"{where}: empty; give a title, a summary or a story")
        if len(item.title) > MAX_TITLE:
            raise InitiativeError(f"{where}.title: longer than {MAX_TITLE} characters")
        if len(item.summary) > MAX_SUMMARY:
            raise InitiativeError(f"{where}.summary: longer than {MAX_SUMMARY} characters")
        if len(item.text) > MAX_SOURCE:
            raise InitiativeError(f"{where}.description: longer than {MAX_SOURCE} characters")


def _check_needs(inp: InitiativeInput) -> None:
    if len(inp.needs) > MAX_NEEDS:
        raise InitiativeError(f"needs: at most {MAX_NEEDS}")


def validate(inp: InitiativeInput) -> None:
    """Every check at once: InitiativeError's message is the first problem, its `problems` all of them
    (one per field at most)."""
    checks: list[Callable[[], None]] = [
        lambda: _check_texts(inp), lambda: _check_kind(inp), lambda: _check_story(inp),
        lambda: _check_place(inp.place_there, "place_there"), lambda: _check_place(inp.place_here, "place_here"),
        lambda: _check_cover(inp), lambda: _check_lists(inp), lambda: _check_translations(inp),
        lambda: _check_needs(inp),
    ]
    checks += [partial(_check_need, need, i) for i, need in enumerate(inp.needs)]
    errors: list[InitiativeError] = []
    for check in checks:
        try:
            check()
        except InitiativeError as exc:
            errors.append(exc)
    if errors:
        raise InitiativeError(str(errors[0]), problems=tuple(problem_of(exc) for exc in errors))


def check_editable(initiative: Initiative) -> None:
    if initiative.deleted_at is not None or not initiative.local:
        raise InitiativeError("initiative: cannot be edited here")


def check_published(initiative: Initiative, what: str) -> None:
    if initiative.draft:
        raise InitiativeError(f"initiative: not published yet; {what} once it is")

