"""iCalendar import (:func:`import_calendar`): a Google Calendar, Mobilizon or other export becomes
the association's events. Everything is read and checked first (every occurrence built as an
:class:`EventInput` and run through ``events.validate``/``recurrence.occurrences``); only then is anything
written, in one transaction.
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
* Every date (DTSTART, DTEND, UNTIL) must lie within the window of dates an event may take
  (inputs.EARLIEST to LATEST, 1900-01-01 to 2200-12-31); an event outside it is refused with its line.
* LOCATION -> a place (GEO -> its coordinates); a LOCATION that is only a web address, or
  X-GOOGLE-CONFERENCE / CONFERENCE, -> the online address. URL (http/https, not this node) -> the
  external registration link, and the join mode `external` (Joins are answered with Reject, as for
  any event whose registration happens elsewhere). STATUS -> status. CATEGORIES -> tags.
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

import secrets
from dataclasses import dataclass, field

from tortoise.transactions import in_transaction

from node.core.models import Actor
from node.core.runtime import Node
from node.events import events
from node.events.inputs import EventError, EventInput, localize, zone
from node.events.ical_parse import MAX_BYTES, CalendarError, iana_zone
from node.events.ical_read import Group, Occurrence, Reader
from node.events.models import Event


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


def input_of(event: Event) -> EventInput:
    """A stored event as the EventInput that would produce it (the base of an import's update)."""
    tz = zone(event.timezone)
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


_COMPARED = ("name", "source", "start", "end", "timezone", "all_day", "places", "online_url", "status", "tags",
             "external_url", "join_mode")


def _differs(node: Node, event: Event, inp: EventInput) -> bool:
    """Whether update_event would change anything an iCalendar file carries."""
    tz = zone(inp.timezone)
    begin, finish = events.day_bounds(localize(inp.start, tz), localize(inp.end, tz) if inp.end else None, inp.all_day)
    values = events.event_values(node, inp, begin, finish)
    return any(getattr(event, key) != values[key] for key in _COMPARED)


async def _match(organizer: Actor, groups: list[Group]) -> None:
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
class Step:
    """What the import does with one occurrence of the file, decided (and validated) before writing."""

    occurrence: Occurrence
    row: Event | None  # the stored event it updates; None: create
    inp: EventInput
    change: bool


def _plan(node: Node, source: str, groups: list[Group]) -> list[tuple[Group, list[Step], list[Event]]]:
    """Every create and update as the EventInput it will use, each validated; and the stored
    occurrences of a series that the file no longer has (to cancel)."""
    plan: list[tuple[Group, list[Step], list[Event]]] = []
    for group in groups:
        stored: dict[str, Event] = {}
        for kept in sorted(group.rows, key=lambda r: (r.deleted_at is not None, r.id)):
            stored.setdefault(kept.ical_uid or "", kept)
        steps: list[Step] = []
        for occurrence in group.occurrences:
            row = stored.get(occurrence.key)
            if row is None:
                steps.append(Step(occurrence, None, occurrence.fields.new_input(occurrence.key), True))
                continue
            if row.deleted_at is not None:
                steps.append(Step(occurrence, row, input_of(row), False))
                continue
            inp = occurrence.fields.merged(input_of(row))
            try:
                events.validate(inp)
                if inp.capacity is not None and inp.capacity < row.participant_count:
                    raise EventError(f"{row.participant_count} people take part already; capacity cannot be lower")
            except EventError as exc:
                raise CalendarError(source, f"cannot update {row.url or row.uri}: {exc}", line=occurrence.line,
                                    uid=group.uid) from None
            steps.append(Step(occurrence, row, inp, _differs(node, row, inp)))
        wanted = {o.key for o in group.occurrences}
        gone = [r for r in group.rows if group.series and r.ical_uid not in wanted and r.deleted_at is None
                and r.status != "CANCELLED"]
        plan.append((group, steps, gone))
    return plan


async def _write(node: Node, organizer: Actor, plan: list[tuple[Group, list[Step], list[Event]]]) -> ImportResult:
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
    groups = Reader(node, source, default_timezone).groups(data)
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
