"""Reading an iCalendar file (RFC 5545) for import: the events it holds with the line of each event
and property (icalendar keeps none), time-zone names as IANA names, and the error that says where a
file is wrong."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from typing import Any

import icalendar
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from federation import events as wire
from federation import vocab

MAX_BYTES = 2 * 1024 * 1024
MAX_EVENTS = 2_000


class CalendarError(ValueError):
    """A calendar that cannot be imported: where (line, UID, property) and why."""

    def __init__(self, source: str, reason: str, *, line: int | None = None, uid: str | None = None,
                 prop: str | None = None) -> None:
        self.source = source
        self.reason = reason
        self.line = line
        self.uid = uid
        self.prop = prop
        where = f"{source} line {line}" if line else source
        super().__init__(f"{where}: {reason}")


_USED = frozenset({
    "UID", "DTSTART", "DTEND", "DURATION", "SUMMARY", "DESCRIPTION", "LOCATION", "GEO", "URL", "STATUS",
    "CATEGORIES", "RRULE", "EXDATE", "RDATE", "RECURRENCE-ID", "CONFERENCE", "X-GOOGLE-CONFERENCE",
})
SPECIAL_UTC = frozenset({"UTC", "GMT", "Z", "ETC/UTC", "ETC/GMT", "UNIVERSAL", "ZULU", "ETC/UNIVERSAL", "ETC/ZULU"})


def iana_zone(tzid: object) -> str | None:
    """The IANA name for a TZID: an IANA name itself, a vendor-prefixed one
    (/freeassociation.sourceforge.net/Tzfile/Europe/Paris, /mozilla.org/.../Europe/Paris), a Windows
    name (Romance Standard Time) or a UTC alias; None when it is none of those."""
    if not isinstance(tzid, str) or not tzid.strip() or len(tzid) > 200:
        return None
    name = tzid.strip().strip('"')
    candidates = [name]
    if name in WINDOWS_TO_OLSON:
        candidates.append(WINDOWS_TO_OLSON[name])
    parts = [p for p in name.split("/") if p]
    if name.startswith("/") or len(parts) > 3:
        candidates += ["/".join(parts[-k:]) for k in (3, 2) if len(parts) >= k]
    for candidate in candidates:
        if candidate.upper() in SPECIAL_UTC:
            return "UTC"
        try:
            wire.zone_of(candidate)
        except (vocab.VocabError, ValueError):
            continue
        return candidate
    return None


@dataclass
class Span:
    begin: int  # line of BEGIN:VEVENT
    end: int  # line of END:VEVENT
    props: dict[str, int]  # first line of each property name


def _lines(text: str) -> list[str]:
    return re.split(r"\r\n|\n|\r", text)


_CONTENT_NAME = re.compile(r"([A-Za-z0-9-]+)[;:]")


def _scan(text: str, source: str) -> list[Span]:
    """Line numbers of every VEVENT and of its properties, from the raw text (icalendar keeps none).
    Also catches a BEGIN without its END, which icalendar would silently drop."""
    spans: list[Span] = []
    stack: list[tuple[str, int]] = []
    current: Span | None = None
    for number, line in enumerate(_lines(text), 1):
        if not line.strip() or line[0] in " \t":
            continue  # blank, or the continuation of a folded line
        head = line.split(":", 1)
        name = head[0].strip().upper()
        value = head[1].strip().upper() if len(head) == 2 else ""
        if name == "BEGIN":
            stack.append((value, number))
            if value == "VEVENT":
                current = Span(number, number, {})
        elif name == "END":
            if not stack or stack[-1][0] != value:
                if any(open_name == value for open_name, _ in stack):
                    unclosed, at = stack[-1]
                    raise CalendarError(source, f"BEGIN:{unclosed} without END:{unclosed}", line=at)
                raise CalendarError(source, f"END:{value} without BEGIN:{value}", line=number)
            stack.pop()
            if value == "VEVENT" and current is not None:
                current.end = number
                spans.append(current)
                current = None
        elif current is not None:
            m = _CONTENT_NAME.match(line)
            if m is None:
                raise CalendarError(source, f"not an iCalendar content line: {line[:60]!r}", line=number)
            current.props.setdefault(m.group(1).upper(), number)
    if stack:
        what, number = stack[-1]
        raise CalendarError(source, f"BEGIN:{what} without END:{what}", line=number)
    return spans


def one(component: icalendar.Component, name: str) -> Any:
    value = component.get(name)
    return value[0] if isinstance(value, list) and value else value


def refusal(source: str, reason: str, span: Span, prop: str | None = None, uid: str | None = None) -> CalendarError:
    """The error for `span` of the file, at the line of `prop` when the event has it."""
    line = span.props.get(prop, span.begin) if prop else span.begin
    return CalendarError(source, reason, line=line, uid=uid, prop=prop)


def parse(data: bytes, source: str) -> tuple[list[tuple[icalendar.Component, Span, str | None]], str | None]:
    """Every VEVENT of the file with its lines and UID, and the calendar's own zone (X-WR-TIMEZONE)."""
    if len(data) > MAX_BYTES:
        raise CalendarError(source, f"the calendar is larger than {MAX_BYTES // (1024 * 1024)} MB")
    text = data.decode("utf-8-sig", errors="replace")
    if "BEGIN:VCALENDAR" not in text.upper():
        raise CalendarError(source, "not an iCalendar file (no BEGIN:VCALENDAR)")
    spans = _scan(text, source)
    if len(spans) > MAX_EVENTS:
        raise CalendarError(source, f"the calendar has {len(spans)} events; at most {MAX_EVENTS} can be imported at once")
    try:
        with warnings.catch_warnings():  # e.g. vendor-prefixed TZIDs: iana_zone() decides about those
            warnings.simplefilter("ignore")
            calendars = icalendar.Calendar.from_ical(text, multiple=True)
    except (ValueError, IndexError, KeyError, TypeError) as exc:
        raise CalendarError(source, f"unreadable iCalendar: {str(exc)[:200]}") from None
    components = [c for cal in calendars for c in cal.walk("VEVENT")]
    if len(components) != len(spans):
        raise CalendarError(source, f"{len(spans)} BEGIN:VEVENT lines but {len(components)} readable events")
    calendar_zone: str | None = None
    for cal in calendars:  # Google's calendar zone, in which it means its UTC times
        zone_name = iana_zone(str(one(cal, "X-WR-TIMEZONE") or ""))
        if zone_name and calendar_zone is None:
            calendar_zone = zone_name
    out: list[tuple[icalendar.Component, Span, str | None]] = []
    for component, span in zip(components, spans, strict=True):
        uid = one(component, "UID")
        uid_text = str(uid).strip() if uid is not None else None
        for prop, problem in getattr(component, "errors", []):
            prop_name = str(prop).upper() if prop else ""
            if prop_name in _USED:  # a broken property we do not read (X-APPLE-..., ATTENDEE...) is no reason to refuse
                raise refusal(source, f"{prop_name} cannot be read: {str(problem)[:160]}", span, prop_name, uid_text)
        out.append((component, span, uid_text))
    return out, calendar_zone
