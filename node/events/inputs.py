"""What an event is made of before it is stored: the member's input (EventInput, its Recurrence), the
limits it is checked against (among them the window of dates an event may take, EARLIEST to LATEST),
the one error (EventError) and the time-zone helpers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from federation import events as wire
from federation import vocab
from node.core import i18n
from node.core.multilingual import Translation

_t = i18n.gettext  # texts translated at once (the request's language, English elsewhere)

# The dates an event may take (start, end, repetition, skipped dates), received and imported ones too:
# far enough for any real calendar, and far from the ends of Python's dates and of time-zone offsets.
# The years are those federation/events reads in a received event (wire.MIN_YEAR, wire.MAX_YEAR).
EARLIEST = date(wire.MIN_YEAR, 1, 1)
LATEST = date(wire.MAX_YEAR, 12, 31)
MAX_CAPACITY = 100_000
MAX_NAME = 300
JOIN_MODES = ("free", "restricted", "invite", "external")
MODERATION = ("allow_all", "moderated", "closed")
CATEGORIES = (
    "MEETING", "PARTY", "MOVEMENTS_POLITICS", "LEARNING", "ARTS", "FOOD_DRINK", "COMMUNITY",
    "FAMILY_EDUCATION", "CAUSES", "LANGUAGE_CULTURE", "SPORTS", "OUTDOORS_ADVENTURE", "NETWORKING",
    "THEATRE", "MUSIC", "FILM_MEDIA", "SPIRITUALITY_RELIGION_BELIEFS", "AUTO_BOAT_AIR", "BOOK_CLUBS",
    "COMEDY", "CREATIVE_JOBS", "CRAFTS", "FASHION_BEAUTY", "GAMES", "HEALTH", "PETS", "PHOTOGRAPHY",
    "SCIENCE_TECH",
)  # Mobilizon's identifiers, which its instances and Gancio understand


class EventError(ValueError):
    """An event or a participation that cannot be accepted as given; the message says why, and
    `field` names the form field it is about when there is one ("start_date", "until"...). A form's
    check gives every problem it found at once as `problems`, (field, message) pairs (the message is
    then the first one's)."""

    def __init__(self, message: str = "", *, field: str | None = None,
                 problems: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(message or (problems[0][1] if problems else ""))
        self.field = field if field is not None or not problems else (problems[0][0] or None)
        self.problems = problems or ((field or "", message),)


@dataclass(frozen=True)
class Recurrence:
    """Weekly (every `interval` weeks on the start's weekday) or monthly by weekday (the start's
    weekday in the same week of the month: 2nd Tuesday, or the last one when `last` is set)."""

    freq: Literal["weekly", "monthly"]
    interval: int = 1
    count: int | None = None
    until: date | None = None
    last: bool = False
    exceptions: tuple[date, ...] = ()


@dataclass(frozen=True)
class EventInput:
    name: str
    start: datetime  # naive: wall time in `timezone`; aware: converted
    timezone: str
    description: str = ""
    end: datetime | None = None
    all_day: bool = False
    places: tuple[wire.Place, ...] = ()
    online_url: str | None = None
    banner_url: str | None = None
    banner_alt: str = ""
    banner_media_type: str | None = None
    category: str | None = None
    language: str | None = None
    tags: tuple[str, ...] = ()
    capacity: int | None = None
    join_mode: str = "free"
    external_url: str | None = None
    contacts: tuple[str, ...] = ()
    anonymous_participation: bool = False
    comments_enabled: bool = True
    replies_moderation: str = "allow_all"
    recurrence: Recurrence | None = None
    ical_uid: str | None = None
    status: str = "CONFIRMED"
    extra: dict[str, Any] = field(default_factory=dict)
    translations: tuple[Translation, ...] | None = None  # None: an edit keeps the other languages
    draft: bool = False


def zone(name: str) -> ZoneInfo:
    try:
        return wire.zone_of(name)
    except (vocab.VocabError, ValueError):
        raise EventError(f"unknown time zone {name!r}") from None


def localize(moment: datetime, tz: ZoneInfo) -> datetime:
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment.astimezone(tz)



def in_window(day: date) -> bool:
    """Whether a date (of a start, an end, a repetition) is one an event may take."""
    return EARLIEST <= day <= LATEST


def _bounds() -> dict[str, str]:
    return {"first": EARLIEST.isoformat(), "last": LATEST.isoformat()}


def check_window(inp: EventInput) -> None:
    """Every date of the input within EARLIEST..LATEST (wall dates, as written); EventError names the field."""
    if not in_window(inp.start.date()):
        raise EventError(_t("the start date must be between %(first)s and %(last)s", **_bounds()), field="start_date")
    if inp.end is not None and not in_window(inp.end.date()):
        raise EventError(_t("the end date must be between %(first)s and %(last)s", **_bounds()), field="end_date")
    rule = inp.recurrence
    if rule is None:
        return
    if rule.until is not None and not in_window(rule.until):
        raise EventError(_t("the repeat end date must be between %(first)s and %(last)s", **_bounds()), field="until")
    for day in rule.exceptions:
        if not in_window(day):
            raise EventError(_t("the skipped date %(day)s must be between %(first)s and %(last)s",
                                day=day.isoformat(), **_bounds()), field="exceptions")
