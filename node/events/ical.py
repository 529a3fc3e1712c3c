"""iCalendar (RFC 5545) for the association's events, with the `icalendar` library.

Export (here): one `.ics` per event, the feed of upcoming (and the last 30 days of) local events, and
each member's private feed of the events they joined (a signed token in the URL). Every file carries
the VTIMEZONE of the zones it uses, so it reads the same in any client.

Import: ical_import.py (all or nothing, matched by UID), reading the file in ical_parse.py and
ical_read.py.

A stored event that cannot be written (see guarded.py) is left out of a feed, and a single event's file
is then a calendar without it, rather than an error for every subscriber."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import icalendar
from itsdangerous import BadSignature, URLSafeSerializer
from tortoise.expressions import Q

from federation import events as wire
from node.core.models import Actor, User
from node.core.runtime import VERSION, Node
from node.events import events
from node.events.guarded import skipped
from node.events.inputs import LATEST, EventError, zone
from node.events.ical_text import html_to_text
from node.events.models import Event, Participation

FEED_PAST = timedelta(days=30)
FEED_LIMIT = 2_000
PRODID = f"-//Agora//Agora {VERSION}//EN"
CONTENT_TYPE = "text/calendar; charset=utf-8"


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
    return moment.astimezone(zone(zone_name))


def event_component(node: Node, event: Event, organizer: Actor) -> icalendar.Event:
    """One VEVENT: times in the event's zone (TZID), DATE values for all-day events."""
    try:
        tz = zone(event.timezone)
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
    """Add the VTIMEZONE of every zone used, for the years the events span (within the window of
    dates an event may take)."""
    if rows:
        first = min(r.start for r in rows).date()
        last = max((r.end or r.start) for r in rows).date()
        cal.add_missing_timezones(first_date=max(first - timedelta(days=366), date(1970, 1, 1)),
                                  last_date=min(last, LATEST) + timedelta(days=366))
    return cal.to_ical()


def _written(node: Node, event: Event, organizer: Actor) -> icalendar.Event:
    """The VEVENT, checked to serialize (a row that cannot raises here, not in the whole file's to_ical)."""
    component = event_component(node, event, organizer)
    component.to_ical()
    return component


def event_calendar(node: Node, event: Event, organizer: Actor) -> bytes:
    """One event's file; a calendar without it when the stored event cannot be written (logged once)."""
    cal = _calendar(event.name, f"{event.uri}.ics", feed=False)
    try:
        component = _written(node, event, organizer)
    except Exception as exc:  # noqa: BLE001 - see guarded.py
        skipped("the event's iCalendar file", event, exc)
        return _finish(cal, [])
    if event.timezone != "UTC":
        cal.add("X-WR-TIMEZONE", event.timezone)  # the zone of an all-day event, for importers that read it
    cal.add_component(component)
    return _finish(cal, [event])


async def _organizers(rows: Iterable[Event]) -> dict[int, Actor]:
    ids = {r.organizer_id for r in rows}
    return {a.id: a for a in await Actor.filter(id__in=ids)}


def _window(now: datetime | None = None) -> Q:
    since = (now or datetime.now(timezone.utc)) - FEED_PAST
    return Q(start__gte=since) | Q(end__gte=since)


async def _feed(node: Node, rows: list[Event], name: str, uid: str) -> bytes:
    cal = _calendar(name, uid, feed=True)
    organizers = await _organizers(rows)
    written: list[Event] = []
    for row in rows:
        try:
            component = _written(node, row, organizers[row.organizer_id])
        except Exception as exc:  # noqa: BLE001 - see guarded.py
            skipped(f"the calendar feed {uid}", row, exc)
            continue
        cal.add_component(component)
        written.append(row)
    return _finish(cal, written)


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
    joined = await Participation.filter(actor_id=user.actor_id, state="accepted").values_list("event_id", flat=True)
    rows = await Event.filter(_window(), id__in=list(joined), deleted_at=None, draft=False).order_by("start", "id").limit(FEED_LIMIT)
    name = f"{node.settings.association.name} – {user.username}"
    return await _feed(node, rows, name, f"{node.urls.base}/@{user.username}#calendar")
