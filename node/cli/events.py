"""`agora events import/create/list`: the association's events from the command line."""

from __future__ import annotations

import argparse
from datetime import datetime, timezone
from pathlib import Path

from federation import events as wire
from federation.client import FetchError
from node.cli.common import Action, CliError, Subparsers, ensure_association, run_action
from node.core.runtime import Node
from node.events import events
from node.events.ical_import import fetch_calendar, import_calendar
from node.events.ical_parse import MAX_BYTES, CalendarError
from node.events.inputs import EventError, EventInput, zone
from node.events.models import Event


def event_time(value: str, what: str) -> datetime:
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        raise CliError(f"{what} must look like 2026-12-05 19:00 (or 2026-12-05 for an all-day event), not {value!r}") from None


async def read_calendar(node: Node, target: str) -> bytes:
    """The calendar at an http(s) address, or in a file (at most MAX_BYTES)."""
    if target.startswith(("http://", "https://")):
        try:
            return await fetch_calendar(node, target)
        except FetchError as exc:
            raise CliError(f"{target}: {exc}") from None
    path = Path(target)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise CliError(f"{target}: the calendar is larger than {MAX_BYTES // (1024 * 1024)} MB")
        return path.read_bytes()
    except OSError as exc:
        raise CliError(f"{target}: {exc.strerror or exc}") from None


async def import_events(node: Node, args: argparse.Namespace) -> None:
    data = await read_calendar(node, args.source)
    try:
        result = await import_calendar(node, await ensure_association(node), data, source=args.source,
                                       default_timezone=args.timezone)
    except (CalendarError, EventError) as exc:
        raise CliError(str(exc)) from None
    for url in result.urls:
        print(url)
    print(result.summary())


def place_of(args: argparse.Namespace) -> wire.Place | None:
    """The event's place from --place-name, --street, --locality ... (None when none is given)."""
    if not (args.place_name or args.locality or args.street):
        return None
    if (args.latitude is None) != (args.longitude is None):
        raise CliError("give both --latitude and --longitude")
    return wire.Place(name=args.place_name or args.locality or args.street, street=args.street or "",
                      postal_code=args.postal_code or "", locality=args.locality or "",
                      region=args.region or "", country=args.country or "",
                      latitude=args.latitude, longitude=args.longitude)


def event_input(args: argparse.Namespace) -> EventInput:
    start = event_time(args.start, "--start")
    end = event_time(args.end, "--end") if args.end else None
    all_day = args.all_day or (len(args.start.strip()) == 10 and (end is None or len(args.end.strip()) == 10))
    place = place_of(args)
    return EventInput(
        name=args.name, start=start, end=end, timezone=args.timezone, all_day=all_day,
        description=args.description or "", places=(place,) if place else (), online_url=args.online_url,
        capacity=args.capacity, join_mode=args.join_mode, external_url=args.external_url,
        category=args.category, language=args.language, tags=tuple(args.tag or ()),
        anonymous_participation=args.anonymous,
    )


async def create_event(node: Node, args: argparse.Namespace) -> None:
    inp = event_input(args)
    try:
        created = await events.create_event(node, await ensure_association(node), inp)
    except EventError as exc:
        raise CliError(str(exc)) from None
    for event in created:
        print(event.url or event.uri)


async def list_events(node: Node, args: argparse.Namespace) -> None:
    """Ongoing, then upcoming local events: start in their zone, name (and status), URL."""
    now = datetime.now(timezone.utc)
    rows = await Event.filter(local=True, deleted_at=None, draft=False).filter(start__gte=now).order_by("start", "id")
    ongoing = await Event.filter(local=True, deleted_at=None, draft=False, start__lt=now, end__gte=now).order_by("start", "id")
    for event in [*ongoing, *rows]:
        tz = zone(event.timezone)
        when = event.start.astimezone(tz).strftime("%Y-%m-%d" if event.all_day else "%Y-%m-%d %H:%M")
        status = "" if event.status == "CONFIRMED" else f" [{event.status}]"
        print(f"{when} {event.timezone}\t{event.name}{status}\t{event.url or event.uri}")


ACTIONS: dict[str, Action] = {"import": import_events, "create": create_event, "list": list_events}


def cmd_events(args: argparse.Namespace) -> None:
    run_action(args, ACTIONS[args.events_command])


def register_create(ev_sub: Subparsers) -> None:
    new = ev_sub.add_parser("create", help="create an event; prints its URL")
    new.add_argument("--name", required=True)
    new.add_argument("--start", required=True, help='"2026-12-05 19:00" (wall time in --timezone), or a date')
    new.add_argument("--end", help="same form as --start")
    new.add_argument("--timezone", required=True, help="IANA zone, e.g. Europe/Paris")
    new.add_argument("--all-day", action="store_true")
    new.add_argument("--description", help="Markdown")
    new.add_argument("--place-name")
    new.add_argument("--street")
    new.add_argument("--postal-code")
    new.add_argument("--locality")
    new.add_argument("--region")
    new.add_argument("--country")
    new.add_argument("--latitude", type=float)
    new.add_argument("--longitude", type=float)
    new.add_argument("--online-url")
    new.add_argument("--capacity", type=int)
    new.add_argument("--join-mode", default="free", choices=["free", "restricted", "invite", "external"])
    new.add_argument("--external-url", help="registration address (join mode external)")
    new.add_argument("--category")
    new.add_argument("--tag", action="append", help="repeat for several tags")
    new.add_argument("--language", help="language tag, e.g. fr")
    new.add_argument("--anonymous", action="store_true", help="visitors may register with a name and an email")


def register(sub: Subparsers) -> None:
    """Add `agora events ...` to the `agora` parser's subparsers."""
    ev = sub.add_parser("events", help="the association's events: import a calendar, create, list")
    ev_sub = ev.add_subparsers(dest="events_command", required=True)
    imp = ev_sub.add_parser("import", help="import an iCalendar file or URL; prints each event's URL")
    imp.add_argument("source", metavar="FILE_OR_URL", help="a .ics file, or an http(s) address")
    imp.add_argument("--timezone", help="zone for times the file gives without one (default: its X-WR-TIMEZONE)")
    register_create(ev_sub)
    ev_sub.add_parser("list", help="upcoming local events: start, name, URL")
    ev.set_defaults(func=cmd_events)
