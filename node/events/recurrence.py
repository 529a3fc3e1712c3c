"""Repeating events: the dates of every occurrence of a weekly or monthly-by-weekday rule, with its
exceptions, wall-clock times kept across daylight-saving changes, never past the window of dates
(inputs.LATEST)."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta

from node.core import i18n
from node.events.inputs import LATEST, EventError, EventInput, Recurrence, check_window, localize, zone

MAX_OCCURRENCES = 200
PAST_WINDOW = LATEST + timedelta(days=1)


def _nth_weekday(year: int, month: int, weekday: int, nth: int, last: bool) -> date | None:
    days = [d for d in calendar.Calendar().itermonthdates(year, month) if d.month == month and d.weekday() == weekday]
    if last:
        return days[-1]
    return days[nth - 1] if nth <= len(days) else None


def _day(wall: datetime, rule: Recurrence, nth: int, step: int) -> date | None:
    """The date of the `step`th repetition (None: that month has no such weekday); LATEST's next day
    for one past the window, which is never computed (Python's dates end in year 9999)."""
    if rule.freq == "weekly":
        ordinal = wall.date().toordinal() + 7 * step * rule.interval
        return date.fromordinal(ordinal) if ordinal <= LATEST.toordinal() else PAST_WINDOW
    months = wall.month - 1 + step * rule.interval
    year = wall.year + months // 12
    if year > LATEST.year:
        return PAST_WINDOW
    return _nth_weekday(year, months % 12 + 1, wall.weekday(), nth, rule.last)


def occurrences(inp: EventInput) -> list[tuple[datetime, datetime | None]]:
    """The (start, end) of every occurrence, as aware datetimes in the event's zone. Wall-clock times
    are kept across daylight-saving changes (19:00 stays 19:00). A repetition that would go past the
    window of dates is refused (EventError), never computed."""
    check_window(inp)
    tz = zone(inp.timezone)
    start = localize(inp.start, tz)
    length = localize(inp.end, tz) - start if inp.end is not None else None
    rule = inp.recurrence
    if rule is None:
        return [(start, start + length if length is not None else None)]
    if rule.interval < 1 or rule.interval > 52:
        raise EventError("repeat interval must be between 1 and 52", field="interval")
    if rule.count is None and rule.until is None:
        raise EventError("a repeating event needs a number of occurrences or an end date", field="count")
    if rule.count is not None and not 1 <= rule.count <= MAX_OCCURRENCES:
        raise EventError(f"at most {MAX_OCCURRENCES} occurrences can be created at once", field="count")
    wall = start.replace(tzinfo=None)
    nth = (wall.day - 1) // 7 + 1
    found: list[tuple[datetime, datetime | None]] = []
    for step in range(MAX_OCCURRENCES * 5 + 1):
        day = _day(wall, rule, nth, step)
        if day is None:
            continue
        if rule.until is not None and day > rule.until:
            break
        if day > LATEST:
            raise EventError(i18n.gettext("the repeated dates go past %(last)s: give fewer dates or an earlier end",
                                          last=LATEST.isoformat()), field="until" if rule.count is None else "count")
        if day not in rule.exceptions:
            begin = datetime.combine(day, wall.time()).replace(tzinfo=tz)
            found.append((begin, begin + length if length is not None else None))
        if rule.count is not None and len(found) >= rule.count:
            break
        if len(found) > MAX_OCCURRENCES:
            raise EventError(f"at most {MAX_OCCURRENCES} occurrences can be created at once")
    if not found:
        raise EventError("the repetition gives no occurrence")
    return found

