"""What an event is made of before it is stored: the member's input (EventInput, its Recurrence), the
limits it is checked against, the one error (EventError) and the time-zone helpers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from federation import events as wire
from federation import vocab
from node.core.multilingual import Translation

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
    """An event or a participation that cannot be accepted as given; the message says why."""


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

