"""Time zones and spans: the IANA zone an event happens in, and its start and end in that zone (an
all-day event as whole local days)."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from federation.events.model import EventData
from federation.vocab import VocabError

_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+){0,3}")


def zone_of(name: object) -> ZoneInfo:
    """The IANA zone called `name`, or VocabError."""
    if not isinstance(name, str) or len(name) > 64 or not _ZONE_NAME.fullmatch(name):
        raise VocabError(f"unknown time zone {str(name)[:64]!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise VocabError(f"unknown time zone {name!r}") from None


def zone_name_for(moment: datetime) -> str:
    """A zone name for a bare UTC offset (when a peer sends none): Etc/GMT-2 is UTC+02:00."""
    offset = moment.utcoffset() or timedelta(0)
    minutes = offset // timedelta(minutes=1)
    if minutes and minutes % 60 == 0 and -12 * 60 <= minutes <= 14 * 60:
        return f"Etc/GMT{-minutes // 60:+d}"
    return "UTC"


def _local(moment: datetime, zone: ZoneInfo) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(zone)


END_OF_DAY: Final = time(23, 59, 59)


def span(ev: EventData) -> tuple[datetime, datetime | None, ZoneInfo]:
    """Start and end in the event's zone; all-day events normalised to 00:00:00 .. 23:59:59 local."""
    zone = zone_of(ev.timezone)
    start = _local(ev.start, zone)
    end = _local(ev.end, zone) if ev.end is not None else None
    if not ev.all_day:
        return start, end, zone
    first = start.date()
    last = first
    if end is not None:
        last = end.date()
        if end.time() == time(0) and last > first:  # an exclusive (iCalendar-style) end
            last -= timedelta(days=1)
    return datetime.combine(first, time(0), zone), datetime.combine(last, END_OF_DAY, zone), zone
