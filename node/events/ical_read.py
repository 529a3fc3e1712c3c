"""The events of an iCalendar file as Agora events: times and zones, the properties an event keeps,
weekly and monthly RRULEs with their exceptions, and RECURRENCE-ID overrides, every occurrence
checked as the EventInput it will be (see ical_import.py for the mapping)."""

from __future__ import annotations

import calendar as _stdcal
import dataclasses
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import icalendar

from federation import events as wire
from federation import vocab
from node.core.runtime import Node
from node.events import events
from node.events.inputs import EARLIEST, LATEST, EventError, EventInput, Recurrence, in_window, localize, zone
from node.events.ical_parse import MAX_EVENTS, SPECIAL_UTC, CalendarError, Span, iana_zone, one, parse, refusal
from node.events.ical_text import markdown_safe
from node.events.models import Event
from node.events.recurrence import occurrences

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass
class Fields:
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
        """A new event; a URL (the registration link) makes its registration external, as Mobilizon's
        `joinMode: external` with `externalParticipationUrl`, so Joins are refused."""
        return EventInput(
            name=self.name, start=self.start, end=self.end, timezone=self.timezone, all_day=self.all_day,
            description=self.description or "", places=self.places or (), online_url=self.online_url,
            external_url=self.external_url, join_mode="external" if self.external_url else "free",
            tags=self.tags or (), status=self.status or "CONFIRMED", ical_uid=key,
        )

    def merged(self, base: EventInput) -> EventInput:
        """The stored event updated with what the file says. A registration link turns a free event
        external (as new_input does); a join mode the organizers chose here (restricted, invite) stays."""
        external = self.external_url or base.external_url
        return dataclasses.replace(
            base, name=self.name, start=self.start, end=self.end, timezone=self.timezone, all_day=self.all_day,
            description=base.description if self.description is None else self.description,
            places=base.places if self.places is None else self.places,
            online_url=self.online_url or base.online_url,
            external_url=external, join_mode="external" if external and base.join_mode == "free" else base.join_mode,
            tags=base.tags if self.tags is None else self.tags,
            status=self.status or base.status, recurrence=None,
        )


@dataclass
class Occurrence:
    key: str
    fields: Fields
    line: int


@dataclass
class Group:
    """Everything the file says about one UID."""

    uid: str
    line: int
    series: bool
    occurrences: list[Occurrence] = field(default_factory=list)
    rows: list[Event] = field(default_factory=list)  # stored events of this UID


class Reader:
    def __init__(self, node: Node, source: str, default_timezone: str | None) -> None:
        self.node = node
        self.source = source
        self.default_timezone = default_timezone
        self.calendar_zone: str | None = None

    def error(self, reason: str, span: Span, prop: str | None = None, uid: str | None = None) -> CalendarError:
        return refusal(self.source, reason, span, prop, uid)

    def fallback_zone(self) -> str | None:
        return self.calendar_zone or self.default_timezone

    def moment(self, component: icalendar.Component, name: str, span: Span, uid: str) -> tuple[date | datetime, str | None]:
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
            if not tzid and key.upper() in SPECIAL_UTC:
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
        try:
            if isinstance(value, datetime):
                return value.astimezone(zone).date() if value.tzinfo is not None else value.date()
        except OverflowError:  # year 1 or 9999 in that zone: no occurrence can be on it
            return None
        if isinstance(value, date):
            return value
        return None

    def dated(self, component: icalendar.Component, name: str, span: Span, uid: str) -> tuple[date | datetime, str | None]:
        """`moment`, refused (with the line) outside the window of dates an event may take."""
        try:
            value, zone_name = self.moment(component, name, span, uid)
        except OverflowError:  # beyond Python's dates once moved to UTC
            self.inside(None, name, span, uid)
            raise
        self.inside(value, name, span, uid)
        return value, zone_name

    def inside(self, value: date | datetime | None, name: str, span: Span, uid: str) -> None:
        """Refuse a DTSTART or DTEND outside the window of dates (None: beyond Python's dates)."""
        day = value.date() if isinstance(value, datetime) else value
        if day is None or not in_window(day):
            shown = f" {day.isoformat()}" if day is not None else ""
            raise self.error(f"{name}{shown} is outside the dates events take here ({EARLIEST} to {LATEST})",
                             span, name if name in span.props else "DURATION", uid)

    def times(self, component: icalendar.Component, span: Span, uid: str) -> tuple[datetime, datetime | None, str, bool]:
        if component.get("DTSTART") is None:
            raise self.error("DTSTART missing", span, None, uid)
        start, start_zone = self.dated(component, "DTSTART", span, uid)
        end: date | datetime | None = None
        if component.get("DTEND") is not None:
            if component.get("DURATION") is not None:
                raise self.error("DTEND and DURATION together", span, "DURATION", uid)
            end, _ = self.dated(component, "DTEND", span, uid)
        elif component.get("DURATION") is not None:
            length = one(component, "DURATION").dt
            if not isinstance(length, timedelta):
                raise self.error("DURATION is not a duration", span, "DURATION", uid)
            if length < timedelta(0):
                raise self.error("DURATION is negative", span, "DURATION", uid)
            try:
                end = start + length
            except OverflowError:
                end = None
            self.inside(end, "DTEND", span, uid)
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
        tz = zone(zone_name)
        begin = start.astimezone(tz)
        finish = end.astimezone(tz) if isinstance(end, datetime) else None
        if finish is not None and finish < begin:
            raise self.error("DTEND is before DTSTART", span, "DTEND" if "DTEND" in span.props else "DURATION", uid)
        return begin, finish, zone_name, False


    def fields(self, component: icalendar.Component, span: Span, uid: str, defaults: Fields | None = None) -> Fields:
        start, end, zone_name, all_day = self.times(component, span, uid)
        summary = one(component, "SUMMARY")
        name = " ".join(str(summary).split()) if summary is not None else ""
        if not name:
            if defaults is None:
                raise self.error("SUMMARY missing (the event needs a title)", span, "SUMMARY" if "SUMMARY" in span.props else None, uid)
            name = defaults.name
        description = one(component, "DESCRIPTION")
        text = markdown_safe(str(description)) if description is not None and str(description).strip() else None
        places: tuple[wire.Place, ...] | None = None
        online = None
        for prop in ("X-GOOGLE-CONFERENCE", "CONFERENCE"):
            value = str(one(component, prop) or "").strip()
            if value and vocab.is_http_url(value):
                online = value
                break
        raw_location = str(one(component, "LOCATION") or "")
        location = ", ".join(" ".join(part.split()) for part in raw_location.splitlines() if part.strip())
        geo = one(component, "GEO")
        lat = lon = None
        if geo is not None:
            lat, lon = float(geo.latitude), float(geo.longitude)
        if location and vocab.is_http_url(location) and " " not in location:
            online = online or location
        elif location or lat is not None:
            places = (wire.Place(name=(location or f"{lat}, {lon}")[:wire.MAX_FIELD], latitude=lat, longitude=lon),)
        url = str(one(component, "URL") or "").strip()
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
        status = one(component, "STATUS")
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
        return Fields(name=name, start=start, end=end, timezone=zone_name, all_day=all_day, description=text,
                       places=places, online_url=online, external_url=external, tags=tags, status=status_text)


    def recurrence(self, component: icalendar.Component, span: Span, uid: str, fields: Fields) -> Recurrence:
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
        tz = zone(fields.timezone)
        wall = localize(fields.start, tz).replace(tzinfo=None)
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
            dates = occurrences(dataclasses.replace(fields.new_input(uid), recurrence=plain))
        except EventError as exc:
            raise refuse(str(exc)) from None
        if not exceptions:
            return plain
        # RFC 5545 counts excluded dates in COUNT; Recurrence does not: bound it by the last date instead
        return dataclasses.replace(plain, count=None, until=dates[-1][0].date(), exceptions=tuple(sorted(exceptions)))


    def groups(self, data: bytes) -> list[Group]:
        parsed, self.calendar_zone = parse(data, self.source)
        masters: dict[str, tuple[icalendar.Component, Span]] = {}
        overrides: dict[str, list[tuple[icalendar.Component, Span]]] = {}
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
        result: list[Group] = []
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

    def group(self, uid: str, component: icalendar.Component, span: Span,
              changed: list[tuple[icalendar.Component, Span]]) -> Group:
        fields = self.fields(component, span, uid)
        self.check(fields.new_input(uid), span, uid)
        if component.get("RRULE") is None:
            if changed:
                raise self.error("RECURRENCE-ID for an event that does not repeat", changed[0][1], "RECURRENCE-ID", uid)
            return Group(uid, span.begin, False, [Occurrence(uid, fields, span.begin)])
        rule = self.recurrence(component, span, uid, fields)
        try:
            dates = occurrences(dataclasses.replace(fields.new_input(uid), recurrence=rule))
        except EventError as exc:
            raise self.error(f"RRULE: {exc}", span, "RRULE", uid) from None
        tz = zone(fields.timezone)
        group = Group(uid, span.begin, True)
        by_day: dict[date, Occurrence] = {}
        for begin, finish in dates:
            day = begin.date()
            occurrence = Occurrence(f"{uid}#{day.isoformat()}", dataclasses.replace(
                fields, start=begin.replace(tzinfo=None) if fields.all_day else begin,
                end=(finish.replace(tzinfo=None) if fields.all_day else finish) if finish is not None else None), span.begin)
            by_day[day] = occurrence
            group.occurrences.append(occurrence)
        for other, other_span in changed:
            recurrence_day = self.day_of(one(other, "RECURRENCE-ID").dt, tz)
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

    def check(self, inp: EventInput, span: Span, uid: str) -> None:
        try:
            events.validate(inp)
        except EventError as exc:
            prop = {"URL": "URL", "latitude": "GEO", "longitude": "GEO", "title": "SUMMARY"}
            fields = {"start_date": "DTSTART", "end_date": "DTEND", "until": "RRULE", "count": "RRULE",
                      "exceptions": "EXDATE"}
            where = next((p for word, p in prop.items() if word in str(exc) and p in span.props), None)
            if exc.field in fields:
                where = fields[exc.field]
            raise self.error(str(exc), span, where, uid) from None

