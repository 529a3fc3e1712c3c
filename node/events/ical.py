"""iCalendar (RFC 5545) for the association's events, with the `icalendar` library.

Export: one `.ics` per event, the feed of upcoming (and the last 30 days of) local events, and each
member's private feed of the events they joined (a signed token in the URL). Every file carries the
VTIMEZONE of the zones it uses, so it reads the same in any client.

Import (:func:`import_calendar`): a Google Calendar, Mobilizon or other export becomes the association's
events. Everything is read and checked first (every occurrence built as an :class:`EventInput` and run
through ``events.validate``/``events.occurrences``); only then is anything written, in one transaction.
A bad file raises :class:`CalendarError` with the line and the reason, and leaves nothing behind.

How a VEVENT maps:

* UID (required) -> ``ical_uid``; re-importing matches on it and updates instead of duplicating. The
  occurrences of a repeating event are stored as ``UID#YYYY-MM-DD`` (the occurrence's original date in
  the event's zone, as ``create_event`` names them) and share a ``series_uid``.
* SUMMARY -> name; DESCRIPTION -> description (plain text, or Google's HTML, made Markdown-safe).
* DTSTART/DTEND (or DURATION): a TZID that is an IANA name, a Windows name or a vendor-prefixed IANA
  name gives the event's zone; a TZID only a VTIMEZONE defines gives UTC times (the offset is applied);
  an unknown TZID without VTIMEZONE is refused. UTC times use the calendar's X-WR-TIMEZONE (Google
  writes its single events in UTC) or `default_timezone`, else UTC. Floating times need one of those.
  DATE values make an all-day event (DTEND is exclusive).
* LOCATION -> a place (GEO -> its coordinates); a LOCATION that is only a web address, or
  X-GOOGLE-CONFERENCE / CONFERENCE, -> the online address. URL (http/https, not this node) -> the
  external registration link. STATUS -> status. CATEGORIES -> tags.
* RRULE: FREQ=WEEKLY (on the start's weekday) or FREQ=MONTHLY;BYDAY=nXX (the start's weekday and week,
  -1 for the last), with INTERVAL and COUNT or UNTIL; EXDATE -> exceptions. Any other rule, RDATE, or a
  rule without end is refused with the line and reason.
* RECURRENCE-ID overrides are applied to the occurrence they name (its own times, title, place...).
  An override that names no occurrence, or whose repeating event is not in the file, is refused.

On re-import, what the file does not say is kept (capacity, join mode, banner... and a missing
DESCRIPTION, LOCATION, URL, CATEGORIES or STATUS); an event whose stored values already match is left
alone (no Update is sent); occurrences of a series that the file no longer produces are cancelled;
events deleted here are not brought back. Matching is limited to the organizer's own local events.
"""

from __future__ import annotations

import calendar as _stdcal
import dataclasses
import re
import secrets
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON
from itsdangerous import BadSignature, URLSafeSerializer
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from federation import events as wire
from federation import vocab
from node.events import events
from node.events.events import EventError, EventInput, Recurrence
from node.core.models import Actor, User
from node.events.models import Event, Participation
from node.core.runtime import VERSION, Node

__all__ = [
    "MAX_BYTES",
    "MAX_EVENTS",
    "CalendarError",
    "ImportResult",
    "event_calendar",
    "feed_calendar",
    "fetch_calendar",
    "html_to_text",
    "import_calendar",
    "markdown_safe",
    "member_calendar",
    "member_feed_url",
    "member_id_from_token",
    "member_token",
]

MAX_BYTES = 2 * 1024 * 1024
MAX_EVENTS = 2_000
FEED_PAST = timedelta(days=30)
FEED_LIMIT = 2_000
PRODID = f"-//Agora//Agora {VERSION}//EN"
CONTENT_TYPE = "text/calendar; charset=utf-8"
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


# ------------------------------------------------------------------ text


_BLOCKS = frozenset({
    "p", "div", "ul", "ol", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table", "tr",
    "section", "article", "header", "footer",
})


class _Text(HTMLParser):
    """The text of an HTML fragment: paragraphs, line breaks and list items kept; a link whose text is
    not its address gets the address after it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[tuple[str | None, int]] = []
        self.pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in _BLOCKS:
            self.parts.append("\n\n")
            self.pre += tag == "pre"
        elif tag == "a":
            self.links.append((dict(attrs).get("href"), len(self.parts)))

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n\n")
            self.pre -= tag == "pre" and self.pre > 0
        elif tag == "li":
            self.parts.append("\n")
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            text = "".join(self.parts[start:]).strip()
            if (href and vocab.is_http_url(href) and text and text[0] not in "#@"
                    and href.rstrip("/") != text.rstrip("/") and href not in text):
                self.parts.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        self.parts.append(data if self.pre else re.sub(r"\s+", " ", data))

    def text(self) -> str:
        lines = [line.strip() for line in "".join(self.parts).split("\n")]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment (our rendered descriptions, Google's HTML descriptions)."""
    parser = _Text()
    parser.feed(fragment)
    parser.close()
    return parser.text()


_LOOKS_HTML = re.compile(r"<(?:a\s|br\s*/?>|p>|p\s|/p>|b>|i>|u>|strong>|em>|ul>|ol>|li>|div|span)", re.I)
_URL_RUN = re.compile(r"https?://[^\s<>\"]+")
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>~&|])")
_BLOCK_START = re.compile(r"(?:#|>|[-+]\s|[-+=]+$)")
_ORDERED_START = re.compile(r"(\d{1,9})([.)])(?=\s|$)")


def _escape_line(line: str) -> str:
    out: list[str] = []
    pos = 0
    for m in _URL_RUN.finditer(line):
        out.append(_INLINE_SPECIAL.sub(r"\\\1", line[pos:m.start()]))
        out.append(m.group())  # addresses stay whole, so that they are still linked
        pos = m.end()
    out.append(_INLINE_SPECIAL.sub(r"\\\1", line[pos:]))
    text = "".join(out)
    if _BLOCK_START.match(text):
        return "\\" + text
    ordered = _ORDERED_START.match(text)
    if ordered:
        return f"{ordered.group(1)}\\{ordered.group(2)}{text[ordered.end():]}"
    return text


def markdown_safe(text: str) -> str:
    """Plain text (or an HTML description) as Markdown that renders as that same text: special
    characters escaped outside web addresses, line breaks kept, paragraphs kept."""
    if _LOOKS_HTML.search(text):
        text = html_to_text(text)
    lines = [line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    out: list[str] = []
    for index, line in enumerate(lines):
        escaped = _escape_line(line)
        following = index + 1 < len(lines) and lines[index + 1] != ""
        out.append(escaped + "  " if escaped and following else escaped)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()


# ------------------------------------------------------------------ export


def _place_line(place: wire.Place) -> str:
    parts: list[str] = []
    town = f"{place.postal_code} {place.locality}".strip()
    for part in (place.name, place.street, town, place.region, place.country):
        part = part.strip()
        if part and all(part.casefold() != seen.casefold() for seen in parts):
            parts.append(part)
    return ", ".join(parts)


def _in_zone(moment: datetime, zone_name: str) -> datetime:
    if zone_name in ("UTC", "Etc/UTC", "Etc/Universal", "Universal", "Zulu", "Etc/Zulu"):
        return moment.astimezone(timezone.utc)  # written as ...Z, no VTIMEZONE needed
    return moment.astimezone(events.zone(zone_name))


def event_component(node: Node, event: Event, organizer: Actor) -> icalendar.Event:
    """One VEVENT: times in the event's zone (TZID), DATE values for all-day events."""
    try:
        tz = events.zone(event.timezone)
    except EventError:  # a remote event (member feed) with a zone we do not know: UTC rather than nothing
        event.timezone, tz = "UTC", ZoneInfo("UTC")
    start = event.start.astimezone(tz)
    begin: date | datetime
    finish: date | datetime | None
    if event.all_day:
        first = start.date()
        last = max(event.end.astimezone(tz).date(), first) if event.end else first
        begin, finish = first, last + timedelta(days=1)  # DTEND of a DATE event is exclusive
    else:
        begin = _in_zone(event.start, event.timezone)
        finish = _in_zone(event.end, event.timezone) if event.end else None
    places = events.places_of(event)
    location = "; ".join(line for line in map(_place_line, places) if line) or event.online_url or None
    text = html_to_text(event.content) if event.content else ""
    if event.online_url:
        text = f"{text}\n\n{event.online_url}".strip()
    organizer_address = icalendar.vCalAddress(organizer.url or organizer.uri)
    organizer_address.params["CN"] = organizer.name or organizer.handle
    component = icalendar.Event.new(
        uid=event.uri, start=begin, end=finish, summary=event.name, description=text or None,
        location=location, url=event.url or event.uri, status=event.status,  # type: ignore[arg-type]
        categories=list(event.tags), organizer=organizer_address,
        stamp=(event.updated or event.published).astimezone(timezone.utc),
        created=event.published.astimezone(timezone.utc),
        last_modified=event.updated.astimezone(timezone.utc) if event.updated else None,
    )
    geo = next((p for p in places if p.latitude is not None and p.longitude is not None), None)
    if geo is not None:
        component.add("GEO", (geo.latitude, geo.longitude))
    if event.banner_url:
        component.add("ATTACH", event.banner_url,
                      parameters={"FMTTYPE": event.banner_media_type} if event.banner_media_type else {})
    return component


def _calendar(name: str, uid: str, *, feed: bool) -> icalendar.Calendar:
    cal = icalendar.Calendar.new(prodid=PRODID, name=name, uid=uid, method="PUBLISH", calscale="GREGORIAN")
    if feed:
        cal.add("REFRESH-INTERVAL", timedelta(hours=1), parameters={"VALUE": "DURATION"})
        cal.add("X-PUBLISHED-TTL", "PT1H")
    return cal


def _finish(cal: icalendar.Calendar, rows: Sequence[Event]) -> bytes:
    """Add the VTIMEZONE of every zone used, for the years the events span."""
    if rows:
        first = min(r.start for r in rows).date() - timedelta(days=366)
        last = max((r.end or r.start) for r in rows).date() + timedelta(days=366)
        cal.add_missing_timezones(first_date=max(first, date(1970, 1, 1)), last_date=last)
    return cal.to_ical()


def event_calendar(node: Node, event: Event, organizer: Actor) -> bytes:
    cal = _calendar(event.name, f"{event.uri}.ics", feed=False)
    if event.timezone != "UTC":
        cal.add("X-WR-TIMEZONE", event.timezone)  # the zone of an all-day event, for importers that read it
    cal.add_component(event_component(node, event, organizer))
    return _finish(cal, [event])


async def _organizers(rows: Iterable[Event]) -> dict[int, Actor]:
    ids = {r.organizer_id for r in rows}  # type: ignore[attr-defined]
    return {a.id: a for a in await Actor.filter(id__in=ids)}


def _window(now: datetime | None = None) -> Q:
    since = (now or datetime.now(timezone.utc)) - FEED_PAST
    return Q(start__gte=since) | Q(end__gte=since)


async def _feed(node: Node, rows: list[Event], name: str, uid: str) -> bytes:
    cal = _calendar(name, uid, feed=True)
    organizers = await _organizers(rows)
    for row in rows:
        cal.add_component(event_component(node, row, organizers[row.organizer_id]))  # type: ignore[attr-defined]
    return _finish(cal, rows)


async def feed_calendar(node: Node) -> bytes:
    """The association's local events: upcoming ones and those of the last 30 days."""
    rows = await Event.filter(_window(), local=True, deleted_at=None, draft=False).order_by("start", "id").limit(FEED_LIMIT)
    return await _feed(node, rows, node.settings.association.name, f"{node.urls.base}/events.ics")


def _serializer(node: Node) -> URLSafeSerializer:
    return URLSafeSerializer(node.settings.secret_key or "development-only-secret", salt="calendar")


def member_token(node: Node, user: User) -> str:
    return _serializer(node).dumps(user.id)


def member_id_from_token(node: Node, token: str) -> int | None:
    try:
        value = _serializer(node).loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def member_feed_url(node: Node, user: User) -> str:
    """The address of the member's private calendar (the events they joined), to show on their pages."""
    return f"{node.urls.base}/members/{member_token(node, user)}/events.ics"


async def member_calendar(node: Node, user: User) -> bytes:
    """The events (ours or the network's) the member takes part in, within the feed's window."""
    joined = await Participation.filter(actor_id=user.actor_id, state="accepted").values_list("event_id", flat=True)  # type: ignore[attr-defined]
    rows = await Event.filter(_window(), id__in=list(joined), deleted_at=None, draft=False).order_by("start", "id").limit(FEED_LIMIT)
    name = f"{node.settings.association.name} – {user.username}"
    return await _feed(node, rows, name, f"{node.urls.base}/@{user.username}#calendar")


# ------------------------------------------------------------------ import: errors and results


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


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    cancelled: int = 0  # occurrences of a series that the file no longer has
    skipped: int = 0  # events deleted here since the last import: not brought back
    urls: list[str] = field(default_factory=list)  # every event of the file, in the file's order

    def summary(self) -> str:
        line = f"created {self.created}, updated {self.updated}"
        extra = [f"{n} {what}" for n, what in ((self.unchanged, "unchanged"), (self.cancelled, "cancelled"),
                                               (self.skipped, "deleted here, not restored")) if n]
        return f"{line} ({', '.join(extra)})" if extra else line


# ------------------------------------------------------------------ import: reading


_USED = frozenset({
    "UID", "DTSTART", "DTEND", "DURATION", "SUMMARY", "DESCRIPTION", "LOCATION", "GEO", "URL", "STATUS",
    "CATEGORIES", "RRULE", "EXDATE", "RDATE", "RECURRENCE-ID", "CONFERENCE", "X-GOOGLE-CONFERENCE",
})
_SPECIAL_UTC = frozenset({"UTC", "GMT", "Z", "ETC/UTC", "ETC/GMT", "UNIVERSAL", "ZULU", "ETC/UNIVERSAL", "ETC/ZULU"})


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
        if candidate.upper() in _SPECIAL_UTC:
            return "UTC"
        try:
            wire.zone_of(candidate)
        except (vocab.VocabError, ValueError):
            continue
        return candidate
    return None


@dataclass
class _Span:
    begin: int  # line of BEGIN:VEVENT
    end: int  # line of END:VEVENT
    props: dict[str, int]  # first line of each property name


@dataclass
class _Fields:
    """What the file says about one occurrence. None: the file does not say (keep what is stored)."""

    name: str
    start: datetime  # aware, or naive wall time in `timezone`
    end: datetime | None
    timezone: str
    all_day: bool
    description: str | None = None
    places: tuple[wire.Place, ...] | None = None
    online_url: str | None = None
    external_url: str | None = None
    tags: tuple[str, ...] | None = None
    status: str | None = None

    def new_input(self, key: str) -> EventInput:
        return EventInput(
            name=self.name, start=self.start, end=self.end, timezone=self.timezone, all_day=self.all_day,
            description=self.description or "", places=self.places or (), online_url=self.online_url,
            external_url=self.external_url, tags=self.tags or (), status=self.status or "CONFIRMED", ical_uid=key,
        )

    def merged(self, base: EventInput) -> EventInput:
        return dataclasses.replace(
            base, name=self.name, start=self.start, end=self.end, timezone=self.timezone, all_day=self.all_day,
            description=base.description if self.description is None else self.description,
            places=base.places if self.places is None else self.places,
            online_url=self.online_url or base.online_url,
            external_url=self.external_url or base.external_url,
            tags=base.tags if self.tags is None else self.tags,
            status=self.status or base.status, recurrence=None,
        )


@dataclass
class _Occurrence:
    key: str
    fields: _Fields
    line: int


@dataclass
class _Group:
    """Everything the file says about one UID."""

    uid: str
    line: int
    series: bool
    occurrences: list[_Occurrence] = field(default_factory=list)
    rows: list[Event] = field(default_factory=list)  # stored events of this UID


def _lines(text: str) -> list[str]:
    return re.split(r"\r\n|\n|\r", text)


_CONTENT_NAME = re.compile(r"([A-Za-z0-9-]+)[;:]")


def _scan(text: str, source: str) -> list[_Span]:
    """Line numbers of every VEVENT and of its properties, from the raw text (icalendar keeps none).
    Also catches a BEGIN without its END, which icalendar would silently drop."""
    spans: list[_Span] = []
    stack: list[tuple[str, int]] = []
    current: _Span | None = None
    for number, line in enumerate(_lines(text), 1):
        if not line.strip() or line[0] in " \t":
            continue  # blank, or the continuation of a folded line
        head = line.split(":", 1)
        name = head[0].strip().upper()
        value = head[1].strip().upper() if len(head) == 2 else ""
        if name == "BEGIN":
            stack.append((value, number))
            if value == "VEVENT":
                current = _Span(number, number, {})
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


def _one(component: icalendar.Component, name: str) -> Any:
    value = component.get(name)
    return value[0] if isinstance(value, list) and value else value


class _Reader:
    def __init__(self, node: Node, source: str, default_timezone: str | None) -> None:
        self.node = node
        self.source = source
        self.default_timezone = default_timezone
        self.calendar_zone: str | None = None

    def error(self, reason: str, span: _Span, prop: str | None = None, uid: str | None = None) -> CalendarError:
        line = span.props.get(prop, span.begin) if prop else span.begin
        return CalendarError(self.source, reason, line=line, uid=uid, prop=prop)

    # -- parse ---------------------------------------------------------------

    def parse(self, data: bytes) -> list[tuple[icalendar.Component, _Span, str | None]]:
        if len(data) > MAX_BYTES:
            raise CalendarError(self.source, f"the calendar is larger than {MAX_BYTES // (1024 * 1024)} MB")
        text = data.decode("utf-8-sig", errors="replace")
        if "BEGIN:VCALENDAR" not in text.upper():
            raise CalendarError(self.source, "not an iCalendar file (no BEGIN:VCALENDAR)")
        spans = _scan(text, self.source)
        if len(spans) > MAX_EVENTS:
            raise CalendarError(self.source, f"the calendar has {len(spans)} events; at most {MAX_EVENTS} can be imported at once")
        try:
            with warnings.catch_warnings():  # e.g. vendor-prefixed TZIDs: iana_zone() decides about those
                warnings.simplefilter("ignore")
                calendars = icalendar.Calendar.from_ical(text, multiple=True)
        except (ValueError, IndexError, KeyError, TypeError) as exc:
            raise CalendarError(self.source, f"unreadable iCalendar: {str(exc)[:200]}") from None
        components = [c for cal in calendars for c in cal.walk("VEVENT")]
        if len(components) != len(spans):
            raise CalendarError(self.source, f"{len(spans)} BEGIN:VEVENT lines but {len(components)} readable events")
        for cal in calendars:  # Google's calendar zone, in which it means its UTC times
            zone_name = iana_zone(str(_one(cal, "X-WR-TIMEZONE") or ""))
            if zone_name and self.calendar_zone is None:
                self.calendar_zone = zone_name
        out: list[tuple[icalendar.Component, _Span, str | None]] = []
        for component, span in zip(components, spans, strict=True):
            uid = _one(component, "UID")
            uid_text = str(uid).strip() if uid is not None else None
            for prop, problem in getattr(component, "errors", []):
                prop_name = str(prop).upper() if prop else ""
                if prop_name in _USED:  # a broken property we do not read (X-APPLE-..., ATTENDEE...) is no reason to refuse
                    raise self.error(f"{prop_name} cannot be read: {str(problem)[:160]}", span, prop_name, uid_text)
            out.append((component, span, uid_text))
        return out

    # -- times ---------------------------------------------------------------

    def fallback_zone(self) -> str | None:
        return self.calendar_zone or self.default_timezone

    def moment(self, component: icalendar.Component, name: str, span: _Span, uid: str) -> tuple[date | datetime, str | None]:
        """A DTSTART/DTEND value and the IANA zone it names (None for UTC and DATE values)."""
        prop = component.get(name)
        if isinstance(prop, list):
            raise self.error(f"{name} appears more than once", span, name, uid)
        value = prop.dt
        if not isinstance(value, (date, datetime)):
            raise self.error(f"{name} is not a date or a date-time", span, name, uid)
        if not isinstance(value, datetime):
            return value, None
        tzid = prop.params.get("TZID")
        if value.tzinfo is None:
            if tzid:
                raise self.error(f"unknown time zone {str(tzid)[:64]!r} (not an IANA or Windows name, and no VTIMEZONE defines it)", span, name, uid)
            zone_name = self.fallback_zone()
            if zone_name is None:
                raise self.error(f"{name} is a floating time (no TZID, no Z); give the calendar's time zone (X-WR-TIMEZONE, or --timezone)", span, name, uid)
            return value.replace(tzinfo=ZoneInfo(zone_name)), zone_name
        key = getattr(value.tzinfo, "key", None)
        if isinstance(key, str):
            if not tzid and key.upper() in _SPECIAL_UTC:
                return value, None
            named = iana_zone(key)
            if named is not None:
                return value, named
        named = iana_zone(tzid)
        if named is not None:
            return value.replace(tzinfo=None).replace(tzinfo=ZoneInfo(named)), named
        if value.utcoffset() is None:
            raise self.error(f"unknown time zone {str(tzid)[:64]!r}", span, name, uid)
        return value.astimezone(timezone.utc), "UTC"  # a zone only its VTIMEZONE defines: keep the instant

    def day_of(self, value: object, zone: ZoneInfo) -> date | None:
        if isinstance(value, datetime):
            return value.astimezone(zone).date() if value.tzinfo is not None else value.date()
        if isinstance(value, date):
            return value
        return None

    def times(self, component: icalendar.Component, span: _Span, uid: str) -> tuple[datetime, datetime | None, str, bool]:
        if component.get("DTSTART") is None:
            raise self.error("DTSTART missing", span, None, uid)
        start, start_zone = self.moment(component, "DTSTART", span, uid)
        end: date | datetime | None = None
        if component.get("DTEND") is not None:
            if component.get("DURATION") is not None:
                raise self.error("DTEND and DURATION together", span, "DURATION", uid)
            end, _ = self.moment(component, "DTEND", span, uid)
        elif component.get("DURATION") is not None:
            length = _one(component, "DURATION").dt
            if not isinstance(length, timedelta):
                raise self.error("DURATION is not a duration", span, "DURATION", uid)
            if length < timedelta(0):
                raise self.error("DURATION is negative", span, "DURATION", uid)
            end = start + length
        if not isinstance(start, datetime):  # all day
            if end is not None and isinstance(end, datetime):
                raise self.error("DTSTART is a date but DTEND a date-time", span, "DTEND", uid)
            zone_name = start_zone or self.fallback_zone() or "UTC"
            if end is not None and end < start:
                raise self.error("DTEND is before DTSTART", span, "DTEND" if "DTEND" in span.props else "DURATION", uid)
            last = end - timedelta(days=1) if end is not None and end > start else start  # DTEND is exclusive
            return (datetime.combine(start, time(0)), datetime.combine(last, time(0)) if last > start else None,
                    zone_name, True)
        if end is not None and not isinstance(end, datetime):
            raise self.error("DTSTART is a date-time but DTEND a date", span, "DTEND", uid)
        zone_name = start_zone or self.fallback_zone() or "UTC"
        tz = events.zone(zone_name)
        begin = start.astimezone(tz)
        finish = end.astimezone(tz) if isinstance(end, datetime) else None
        if finish is not None and finish < begin:
            raise self.error("DTEND is before DTSTART", span, "DTEND" if "DTEND" in span.props else "DURATION", uid)
        return begin, finish, zone_name, False

    # -- other properties ----------------------------------------------------

    def fields(self, component: icalendar.Component, span: _Span, uid: str, defaults: _Fields | None = None) -> _Fields:
        start, end, zone_name, all_day = self.times(component, span, uid)
        summary = _one(component, "SUMMARY")
        name = " ".join(str(summary).split()) if summary is not None else ""
        if not name:
            if defaults is None:
                raise self.error("SUMMARY missing (the event needs a title)", span, "SUMMARY" if "SUMMARY" in span.props else None, uid)
            name = defaults.name
        description = _one(component, "DESCRIPTION")
        text = markdown_safe(str(description)) if description is not None and str(description).strip() else None
        places: tuple[wire.Place, ...] | None = None
        online = None
        for prop in ("X-GOOGLE-CONFERENCE", "CONFERENCE"):
            value = str(_one(component, prop) or "").strip()
            if value and vocab.is_http_url(value):
                online = value
                break
        raw_location = str(_one(component, "LOCATION") or "")
        location = ", ".join(" ".join(part.split()) for part in raw_location.splitlines() if part.strip())
        geo = _one(component, "GEO")
        lat = lon = None
        if geo is not None:
            lat, lon = float(geo.latitude), float(geo.longitude)
        if location and vocab.is_http_url(location) and " " not in location:
            online = online or location
        elif location or lat is not None:
            places = (wire.Place(name=(location or f"{lat}, {lon}")[:wire.MAX_FIELD], latitude=lat, longitude=lon),)
        url = str(_one(component, "URL") or "").strip()
        external = url if url and vocab.is_http_url(url) and not self.node.urls.is_local(url) else None
        categories = component.get("CATEGORIES")
        tags: tuple[str, ...] | None = None
        if categories is not None:
            found: list[str] = []
            for group in categories if isinstance(categories, list) else [categories]:
                for category in getattr(group, "cats", []):
                    tag = re.sub(r"\W+", "_", str(category).strip().lstrip("#")).strip("_")[:64]
                    if tag and tag.lower() not in (t.lower() for t in found):
                        found.append(tag)
            tags = tuple(found)
        status = _one(component, "STATUS")
        status_text = str(status).strip().upper() if status is not None else None
        if status_text is not None and status_text not in wire.STATUSES:
            raise self.error(f"STATUS {status_text[:30]!r} is not one of CONFIRMED, TENTATIVE, CANCELLED", span, "STATUS", uid)
        if defaults is not None:
            text = defaults.description if text is None else text
            places = defaults.places if places is None else places
            online = online or defaults.online_url
            external = external or defaults.external_url
            tags = defaults.tags if tags is None else tags
            status_text = status_text or defaults.status
        return _Fields(name=name, start=start, end=end, timezone=zone_name, all_day=all_day, description=text,
                       places=places, online_url=online, external_url=external, tags=tags, status=status_text)

    # -- recurrence ----------------------------------------------------------

    def recurrence(self, component: icalendar.Component, span: _Span, uid: str, fields: _Fields) -> Recurrence:
        prop = component.get("RRULE")
        if isinstance(prop, list):
            raise self.error("several RRULEs are not supported", span, "RRULE", uid)
        rule = {str(k).upper(): v for k, v in prop.items()}

        def refuse(reason: str) -> CalendarError:
            return self.error(f"RRULE {prop.to_ical().decode(errors='replace')[:80]}: {reason}", span, "RRULE", uid)

        unsupported = sorted(set(rule) - {"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "WKST"})
        if unsupported:
            raise refuse(f"{unsupported[0]} is not supported (only weekly, or monthly on a weekday such as BYDAY=2TU)")
        freq = str(rule.get("FREQ", [""])[0]).upper()
        interval = int(rule.get("INTERVAL", [1])[0])
        count = rule.get("COUNT", [None])[0]
        until = rule.get("UNTIL", [None])[0]
        tz = events.zone(fields.timezone)
        wall = events.localize(fields.start, tz).replace(tzinfo=None)
        weekday = WEEKDAYS[wall.weekday()]
        days = [str(d).upper().lstrip("+") for d in rule.get("BYDAY", [])]
        last = False
        if freq == "WEEKLY":
            if days and days != [weekday]:
                raise refuse(f"a weekly event repeats on its start's weekday only ({weekday}), not BYDAY={','.join(days)}")
        elif freq == "MONTHLY":
            if len(days) != 1:
                raise refuse("a monthly event repeats on one weekday of the month such as BYDAY=2TU (by date is not supported)")
            m = re.fullmatch(r"(-?\d)?(MO|TU|WE|TH|FR|SA|SU)", days[0])
            if m is None or m.group(2) != weekday or not m.group(1):
                raise refuse(f"BYDAY={days[0]} does not name the start's weekday with its week (such as 2{weekday})")
            nth = (wall.day - 1) // 7 + 1
            n = int(m.group(1))
            if n == -1:
                if wall.day + 7 <= _stdcal.monthrange(wall.year, wall.month)[1]:
                    raise refuse(f"the start ({wall.date()}) is not the last {weekday} of its month")
                last = True
            elif n != nth:
                raise refuse(f"BYDAY={days[0]} does not match the start ({wall.date()} is the {nth}{weekday} of its month)")
        else:
            raise refuse(f"FREQ={freq or '?'} is not supported (only WEEKLY, or MONTHLY with BYDAY such as 2TU)")
        if count is not None and until is not None:
            raise refuse("COUNT and UNTIL together")
        if count is None and until is None:
            raise refuse("repeats without end; give it a number of occurrences (COUNT) or a last date (UNTIL)")
        until_day: date | None = None
        if isinstance(until, datetime):
            local = until.astimezone(tz).replace(tzinfo=None) if until.tzinfo is not None else until
            until_day = local.date() if local.time() >= wall.time() else local.date() - timedelta(days=1)
        elif isinstance(until, date):
            until_day = until
        exceptions: set[date] = set()
        exdates = component.get("EXDATE")
        for group in exdates if isinstance(exdates, list) else [exdates] if exdates is not None else []:
            for item in getattr(group, "dts", []):
                day = self.day_of(item.dt, tz)
                if day is not None:
                    exceptions.add(day)
        if component.get("RDATE") is not None:
            raise self.error("RDATE (extra dates) is not supported", span, "RDATE", uid)
        plain = Recurrence(freq="weekly" if freq == "WEEKLY" else "monthly", interval=interval,
                           count=int(count) if count is not None else None, until=until_day, last=last)
        try:
            dates = events.occurrences(dataclasses.replace(fields.new_input(uid), recurrence=plain))
        except EventError as exc:
            raise refuse(str(exc)) from None
        if not exceptions:
            return plain
        # RFC 5545 counts excluded dates in COUNT; Recurrence does not: bound it by the last date instead
        return dataclasses.replace(plain, count=None, until=dates[-1][0].date(), exceptions=tuple(sorted(exceptions)))

    # -- whole file ----------------------------------------------------------

    def groups(self, data: bytes) -> list[_Group]:
        parsed = self.parse(data)
        masters: dict[str, tuple[icalendar.Component, _Span]] = {}
        overrides: dict[str, list[tuple[icalendar.Component, _Span]]] = {}
        order: list[str] = []
        for component, span, uid in parsed:
            if not uid:
                raise self.error("UID missing", span)
            if len(uid) > 400:
                raise self.error("UID longer than 400 characters", span, "UID", uid)
            if uid not in order:
                order.append(uid)
            if component.get("RECURRENCE-ID") is not None:
                overrides.setdefault(uid, []).append((component, span))
            elif uid in masters:
                raise self.error(f"UID {uid[:80]} is used by two events (the other at line {masters[uid][1].begin})", span, "UID", uid)
            else:
                masters[uid] = (component, span)
        result: list[_Group] = []
        total = 0
        for uid in order:
            if uid not in masters:
                component, span = overrides[uid][0]
                raise self.error("RECURRENCE-ID without the repeating event it changes (same UID) in the file", span, "RECURRENCE-ID", uid)
            component, span = masters[uid]
            group = self.group(uid, component, span, overrides.get(uid, []))
            total += len(group.occurrences)
            if total > MAX_EVENTS:
                raise self.error(f"the calendar gives more than {MAX_EVENTS} events; at most {MAX_EVENTS} can be imported at once", span, "RRULE" if group.series else None, uid)
            result.append(group)
        return result

    def group(self, uid: str, component: icalendar.Component, span: _Span,
              changed: list[tuple[icalendar.Component, _Span]]) -> _Group:
        fields = self.fields(component, span, uid)
        self.check(fields.new_input(uid), span, uid)
        if component.get("RRULE") is None:
            if changed:
                raise self.error("RECURRENCE-ID for an event that does not repeat", changed[0][1], "RECURRENCE-ID", uid)
            return _Group(uid, span.begin, False, [_Occurrence(uid, fields, span.begin)])
        rule = self.recurrence(component, span, uid, fields)
        try:
            dates = events.occurrences(dataclasses.replace(fields.new_input(uid), recurrence=rule))
        except EventError as exc:
            raise self.error(f"RRULE: {exc}", span, "RRULE", uid) from None
        tz = events.zone(fields.timezone)
        group = _Group(uid, span.begin, True)
        by_day: dict[date, _Occurrence] = {}
        for begin, finish in dates:
            day = begin.date()
            occurrence = _Occurrence(f"{uid}#{day.isoformat()}", dataclasses.replace(
                fields, start=begin.replace(tzinfo=None) if fields.all_day else begin,
                end=(finish.replace(tzinfo=None) if fields.all_day else finish) if finish is not None else None), span.begin)
            by_day[day] = occurrence
            group.occurrences.append(occurrence)
        for other, other_span in changed:
            recurrence_day = self.day_of(_one(other, "RECURRENCE-ID").dt, tz)
            if recurrence_day in rule.exceptions:
                continue  # an override of an excluded date: the date stays excluded
            if recurrence_day is None or recurrence_day not in by_day:
                raise self.error(f"RECURRENCE-ID {recurrence_day} names no occurrence of the repeating event (line {span.begin})", other_span, "RECURRENCE-ID", uid)
            occurrence = by_day[recurrence_day]
            if occurrence.line != span.begin:
                raise self.error(f"a second RECURRENCE-ID for {recurrence_day}", other_span, "RECURRENCE-ID", uid)
            if other.get("RRULE") is not None:
                raise self.error("an override (RECURRENCE-ID) cannot repeat itself", other_span, "RRULE", uid)
            occurrence.fields = self.fields(other, other_span, uid, defaults=fields)
            occurrence.line = other_span.begin
            self.check(occurrence.fields.new_input(occurrence.key), other_span, uid)
        return group

    def check(self, inp: EventInput, span: _Span, uid: str) -> None:
        try:
            events.validate(inp)
        except EventError as exc:
            prop = {"URL": "URL", "latitude": "GEO", "longitude": "GEO", "title": "SUMMARY"}
            where = next((p for word, p in prop.items() if word in str(exc) and p in span.props), None)
            raise self.error(str(exc), span, where, uid) from None


# ------------------------------------------------------------------ import: writing


def input_of(event: Event) -> EventInput:
    """A stored event as the EventInput that would produce it (the base of an import's update)."""
    tz = events.zone(event.timezone)
    return EventInput(
        name=event.name, start=event.start.astimezone(tz), end=event.end.astimezone(tz) if event.end else None,
        timezone=event.timezone, description=event.source, all_day=event.all_day, places=events.places_of(event),
        online_url=event.online_url, banner_url=event.banner_url, banner_alt=event.banner_alt,
        banner_media_type=event.banner_media_type, category=event.category, language=event.language,
        tags=tuple(event.tags), capacity=event.capacity, join_mode=event.join_mode, external_url=event.external_url,
        contacts=tuple(event.contacts), anonymous_participation=event.anonymous_participation,
        comments_enabled=event.comments_enabled, replies_moderation=event.replies_moderation,
        ical_uid=event.ical_uid, status=event.status,
    )


_COMPARED = ("name", "source", "start", "end", "timezone", "all_day", "places", "online_url", "status", "tags", "external_url")


def _differs(node: Node, event: Event, inp: EventInput) -> bool:
    """Whether update_event would change anything an iCalendar file carries."""
    tz = events.zone(inp.timezone)
    begin, finish = events._day_bounds(events.localize(inp.start, tz), events.localize(inp.end, tz) if inp.end else None, inp.all_day)
    values = events._values(node, inp, begin, finish)
    return any(getattr(event, key) != values[key] for key in _COMPARED)


async def _match(organizer: Actor, groups: list[_Group]) -> None:
    """Attach the stored events of each UID (this organizer's local events)."""
    singles = [g for g in groups if not g.series]
    by_uid = {g.uid: g for g in singles}
    keys = list(by_uid)
    for start in range(0, len(keys), 500):
        for row in await Event.filter(local=True, organizer_id=organizer.id, ical_uid__in=keys[start:start + 500]).order_by("id"):
            by_uid[row.ical_uid or ""].rows.append(row)
    for group in groups:
        if group.series:
            rows = await Event.filter(local=True, organizer_id=organizer.id, ical_uid__startswith=f"{group.uid}#").order_by("id")
            group.rows = [r for r in rows if (r.ical_uid or "").rpartition("#")[0] == group.uid]


@dataclass
class _Step:
    """What the import does with one occurrence of the file, decided (and validated) before writing."""

    occurrence: _Occurrence
    row: Event | None  # the stored event it updates; None: create
    inp: EventInput
    change: bool


def _plan(node: Node, source: str, groups: list[_Group]) -> list[tuple[_Group, list[_Step], list[Event]]]:
    """Every create and update as the EventInput it will use, each validated; and the stored
    occurrences of a series that the file no longer has (to cancel)."""
    plan: list[tuple[_Group, list[_Step], list[Event]]] = []
    for group in groups:
        stored: dict[str, Event] = {}
        for row in sorted(group.rows, key=lambda r: (r.deleted_at is not None, r.id)):
            stored.setdefault(row.ical_uid or "", row)
        steps: list[_Step] = []
        for occurrence in group.occurrences:
            row = stored.get(occurrence.key)
            if row is None:
                steps.append(_Step(occurrence, None, occurrence.fields.new_input(occurrence.key), True))
                continue
            if row.deleted_at is not None:
                steps.append(_Step(occurrence, row, input_of(row), False))
                continue
            inp = occurrence.fields.merged(input_of(row))
            try:
                events.validate(inp)
                if inp.capacity is not None and inp.capacity < row.participant_count:
                    raise EventError(f"{row.participant_count} people take part already; capacity cannot be lower")
            except EventError as exc:
                raise CalendarError(source, f"cannot update {row.url or row.uri}: {exc}", line=occurrence.line,
                                    uid=group.uid) from None
            steps.append(_Step(occurrence, row, inp, _differs(node, row, inp)))
        wanted = {o.key for o in group.occurrences}
        gone = [r for r in group.rows if group.series and r.ical_uid not in wanted and r.deleted_at is None
                and r.status != "CANCELLED"]
        plan.append((group, steps, gone))
    return plan


async def _write(node: Node, organizer: Actor, plan: list[tuple[_Group, list[_Step], list[Event]]]) -> ImportResult:
    result = ImportResult()
    for group, steps, gone in plan:
        created: list[Event] = []
        for step in steps:
            if step.row is None:
                [event] = await events.create_event(node, organizer, step.inp)
                created.append(event)
                result.created += 1
                result.urls.append(event.url or event.uri)
            elif step.row.deleted_at is not None:
                result.skipped += 1  # deleted here since: not brought back
            else:
                if step.change:
                    await events.update_event(node, step.row, step.inp)
                    result.updated += 1
                else:
                    result.unchanged += 1  # nothing stored, nothing sent
                result.urls.append(step.row.url or step.row.uri)
        if not group.series:
            continue
        series = next((r.series_uid for r in group.rows if r.series_uid), None)
        series = series or f"{node.urls.base}/events/series/{secrets.token_hex(6)}"
        loose = [e.id for e in created] + [r.id for r in group.rows if r.series_uid != series]
        if loose:  # the occurrences of one UID share a series (not on the wire: no activity needed)
            await Event.filter(id__in=loose).update(series_uid=series)
        for row in gone:
            await events.cancel_event(node, row)
            result.cancelled += 1
    return result


async def import_calendar(node: Node, organizer: Actor, data: bytes, *, source: str,
                          default_timezone: str | None = None) -> ImportResult:
    """Import an iCalendar file as `organizer`'s events; all or nothing (see the module's docstring).
    `default_timezone` is used for floating times and dates when the file has no X-WR-TIMEZONE."""
    if default_timezone is not None:
        named = iana_zone(default_timezone)
        if named is None:
            raise CalendarError(source, f"unknown time zone {default_timezone!r}")
        default_timezone = named
    groups = _Reader(node, source, default_timezone).groups(data)
    await _match(organizer, groups)
    plan = _plan(node, source, groups)
    async with in_transaction():
        return await _write(node, organizer, plan)


async def fetch_calendar(node: Node, url: str) -> bytes:
    """A calendar from the web, through the federation client (its SSRF guard, timeouts and body limit)."""
    _, text = await node.client.get_text(url, accept="text/calendar, text/plain;q=0.5, */*;q=0.1")
    data = text.encode("utf-8")
    if len(data) > MAX_BYTES:
        raise CalendarError(url, f"the calendar is larger than {MAX_BYTES // (1024 * 1024)} MB")
    return data
