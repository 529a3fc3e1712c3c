"""The editors' event form as values: the fields of a new event, of an existing one, of a submitted
form, the submitted values read into an EventInput (EventError says what is wrong, and which field),
and whether the event they describe is in the past (a notice, not an error)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timezone
from typing import Any, TypeVar

from starlette.datastructures import FormData
from starlette.requests import Request

from federation import events as wire
from federation import vocab, webfinger
from federation.client import FetchError
from node.core import i18n
from node.core.models import Actor
from node.core.runtime import Node
from node.events import events
from node.events.inputs import EventError, EventInput, Recurrence, in_window, localize, zone
from node.events.models import Event
from node.events.pages_common import reader_zone, zone_named
from node.web import forms
from node.web.forms import translations_from_rows

_t = i18n.gettext  # texts translated at once (after i18n.activate_request)
R = TypeVar("R")

CHECKBOXES = ("all_day", "anonymous", "comments", "tentative", "monthly_last")
FIELDS = (
    "title", "description", "start_date", "start_time", "end_date", "end_time", "timezone", "place_name",
    "place_street", "place_postal_code", "place_locality", "place_region", "place_country", "place_lat",
    "place_lon", "online_url", "banner_url", "banner_alt", "category", "language", "tags", "capacity",
    "join_mode", "external_url", "contacts", "moderation", "repeat", "interval", "count", "until", "exceptions",
)


def form_values(form: FormData) -> dict[str, str]:
    values = {key: str(form.get(key) or "") for key in FIELDS}
    values.update({key: "on" if form.get(key) else "" for key in CHECKBOXES})
    return values


def new_values(request: Request, node: Node) -> dict[str, str]:
    values = dict.fromkeys(FIELDS, "")
    values.update(dict.fromkeys(CHECKBOXES, ""))
    values.update(timezone=reader_zone(request) or "UTC", language=node.settings.association.language,
                  join_mode="free", moderation="allow_all", comments="on", repeat="none", interval="1")
    return values


def event_values(event: Event) -> dict[str, str]:
    zone = zone_named(event.timezone)
    start = event.start.astimezone(zone)
    end = event.end.astimezone(zone) if event.end else None
    place = next((p for p in event.places if isinstance(p, dict)), {})

    def number(value: Any) -> str:
        return "" if value is None else str(value)

    values = dict.fromkeys(FIELDS, "")
    values.update(dict.fromkeys(CHECKBOXES, ""))
    values.update(
        title=event.name, description=event.source, start_date=start.date().isoformat(),
        start_time="" if event.all_day else start.strftime("%H:%M"),
        end_date=end.date().isoformat() if end else "", end_time=end.strftime("%H:%M") if end and not event.all_day else "",
        timezone=event.timezone, all_day="on" if event.all_day else "",
        place_name=place.get("name", ""), place_street=place.get("street", ""),
        place_postal_code=place.get("postal_code", ""), place_locality=place.get("locality", ""),
        place_region=place.get("region", ""), place_country=place.get("country", ""),
        place_lat=number(place.get("latitude")), place_lon=number(place.get("longitude")),
        online_url=event.online_url or "", banner_url=event.banner_url or "", banner_alt=event.banner_alt,
        category=event.category or "", language=event.language or "", tags=", ".join(event.tags),
        capacity=number(event.capacity), join_mode=event.join_mode, external_url=event.external_url or "",
        contacts="\n".join(c for c in event.contacts if isinstance(c, str)),
        anonymous="on" if event.anonymous_participation else "", comments="on" if event.comments_enabled else "",
        moderation=event.replies_moderation, tentative="on" if event.status == "TENTATIVE" else "",
    )
    return values


def _parse_date(text: str, what: str, field: str) -> date | None:
    try:
        return forms.parse_date(text, what, EventError)
    except EventError as exc:
        raise EventError(str(exc), field=field) from None


def _parse_time(text: str, what: str, field: str) -> time | None:
    try:
        return forms.parse_time(text, what, EventError)
    except EventError as exc:
        raise EventError(str(exc), field=field) from None


def _parse_int(text: str, what: str, field: str) -> int | None:
    try:
        return forms.parse_int(text, what, EventError)
    except EventError as exc:
        raise EventError(str(exc), field=field) from None


def _parse_float(text: str, what: str, field: str) -> float | None:
    try:
        return forms.parse_float(text, what, EventError)
    except EventError as exc:
        raise EventError(str(exc), field=field) from None


def in_the_past(values: dict[str, str], now: datetime | None = None) -> bool:
    """Whether the form's event starts before now (an all-day one: before today where it happens).
    False while its start cannot be read or lies outside the window of dates (that is an error)."""
    try:
        day = date.fromisoformat(values.get("start_date", "").strip())
        tz = zone(values.get("timezone", "").strip() or "UTC")
        clock = time.fromisoformat(values.get("start_time", "").strip() or "00:00")
    except (ValueError, EventError):
        return False
    if not in_window(day):
        return False
    moment = now or datetime.now(timezone.utc)
    if values.get("all_day"):
        return day < moment.astimezone(tz).date()
    return localize(datetime.combine(day, clock), tz) < moment


async def _contacts(node: Node, text: str) -> tuple[str, ...]:
    """Contacts as actor URIs: profile URLs as given, @name (a member here) or @name@server (looked up)."""
    found: list[str] = []
    for item in (p.strip() for p in text.replace(",", "\n").splitlines()):
        if not item:
            continue
        if vocab.is_http_url(item):
            found.append(item)
            continue
        local = item.lstrip("@")
        if "@" not in local or local.endswith("@" + node.urls.host):
            actor = await Actor.get_or_none(local=True, username=local.split("@")[0])
            if actor is None:
                raise EventError(_t("contact %(item)s: no such member here", item=repr(item)))
            found.append(actor.uri)
            continue
        parts = webfinger.split_handle(item)
        if parts is None:
            raise EventError(_t("contact %(item)s: give a Fediverse address (@name@server) or a profile URL",
                                item=repr(item)))
        try:
            found.append(await webfinger.resolve_handle(node.client, item, scheme=node.webfinger_scheme(parts[1])))
        except FetchError as exc:
            raise EventError(_t("contact %(item)s not found: %(error)s", item=repr(item), error=str(exc))) from None
    if len(found) > 20:
        raise EventError(_t("give at most 20 contacts"))
    return tuple(dict.fromkeys(found))


class Found:
    """The problems of a submitted form, collected field by field rather than stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []

    def add(self, field: str, message: str) -> None:
        self.problems.append((field, message))

    def read(self, parse: Callable[[str, str, str], R | None], text: str, what: str, field: str) -> R | None:
        """A typed value read with one of the parsers above; None (and the problem noted) when it is wrong."""
        try:
            return parse(text.strip(), what, field)
        except EventError as exc:
            self.add(exc.field or field, str(exc))
            return None


def _when(values: dict[str, str], found: Found) -> tuple[datetime | None, datetime | None]:
    all_day = bool(values["all_day"])
    start_day = found.read(_parse_date, values["start_date"], "the start date", "start_date")
    if start_day is None and not values["start_date"].strip():
        found.add("start_date", _t("give the date the event starts"))
    start_clock = found.read(_parse_time, values["start_time"], "the start time", "start_time")
    end_day = found.read(_parse_date, values["end_date"], "the end date", "end_date")
    end_clock = found.read(_parse_time, values["end_time"], "the end time", "end_time")
    if all_day:
        end = datetime.combine(end_day, time(0)) if end_day and end_day != start_day else None
        return (datetime.combine(start_day, time(0)) if start_day else None), end
    if start_clock is None and not values["start_time"].strip():
        found.add("start_time", _t("give the time the event starts, or tick \u201call day\u201d"))
    if end_day is not None and end_clock is None and not values["end_time"].strip():
        found.add("end_time", _t("give the time the event ends too"))
    if start_day is None or start_clock is None:
        return None, None
    end = datetime.combine(end_day or start_day, end_clock) if end_clock is not None else None
    return datetime.combine(start_day, start_clock), end


def _places(values: dict[str, str], found: Found, keep: Event | None) -> tuple[wire.Place, ...]:
    name, street = values["place_name"].strip(), values["place_street"].strip()
    postal, locality = values["place_postal_code"].strip(), values["place_locality"].strip()
    region, country = values["place_region"].strip(), values["place_country"].strip()
    latitude = found.read(_parse_float, values["place_lat"], "the latitude", "place_lat")
    longitude = found.read(_parse_float, values["place_lon"], "the longitude", "place_lon")
    if (not values["place_lat"].strip()) != (not values["place_lon"].strip()):
        found.add("place_lon" if values["place_lat"].strip() else "place_lat",
                  _t("give both latitude and longitude, or neither"))
    places: tuple[wire.Place, ...] = ()
    if any((name, street, postal, locality, region, country, latitude is not None)):
        label = name or street or locality or region or country
        if not label:
            found.add("place_name", _t("give the place a name or an address"))
        if any(len(v) > 500 for v in (name, street, postal, locality, region, country)):
            found.add("place_name", _t("a place field is longer than 500 characters"))
        places = (wire.Place(name=label, street=street, postal_code=postal, locality=locality, region=region,
                             country=country, latitude=latitude, longitude=longitude),)
    if keep is not None:  # places beyond the first (imported events) are kept as they are
        places += events.places_of(keep)[1:]
    return places


def _recurrence(values: dict[str, str], found: Found) -> Recurrence | None:
    if values["repeat"] not in ("weekly", "monthly"):
        if values["repeat"] not in ("", "none"):
            found.add("repeat", _t("repeat must be none, weekly or monthly"))
        return None
    interval = found.read(_parse_int, values["interval"], "the repeat interval", "interval") or 1
    exceptions = [found.read(_parse_date, p, f"the exception {p.strip()!r}", "exceptions")
                  for p in values["exceptions"].split(",") if p.strip()]
    return Recurrence(
        freq=values["repeat"], interval=interval,  # type: ignore[arg-type]
        count=found.read(_parse_int, values["count"], "the number of occurrences", "count"),
        until=found.read(_parse_date, values["until"], "the repeat end date", "until"),
        last=bool(values["monthly_last"]) and values["repeat"] == "monthly",
        exceptions=tuple(d for d in exceptions if d is not None),
    )


async def _contacts_read(node: Node, text: str, found: Found) -> tuple[str, ...]:
    try:
        return await _contacts(node, text)
    except EventError as exc:
        found.add("contacts", str(exc))
        return ()


async def event_input(node: Node, values: dict[str, str], *, recurrence: bool, keep: Event | None = None,
                      rows: list[dict[str, str]] | None = None, found: Found | None = None) -> EventInput:
    """The form's values (and its language blocks) as an EventInput; EventError carries every problem
    found (`problems`, with the field each is about), those already in `found` too."""
    found = found or Found()
    start, end = _when(values, found)
    places = _places(values, found, keep)
    banner_url = values["banner_url"].strip() or None
    banner_alt = values["banner_alt"].strip()
    if banner_url and not banner_alt:
        found.add("banner_alt", _t("describe the banner image for people who cannot see it (alt text)"))
    tags = tuple(t for t in (p.strip().lstrip("#").strip() for p in values["tags"].split(",")) if t)
    if len(tags) > 50 or any(len(t) > 100 for t in tags):
        found.add("tags", _t("give at most 50 tags of at most 100 characters"))
    rule = _recurrence(values, found) if recurrence else None
    capacity = found.read(_parse_int, values["capacity"], "the capacity", "capacity")
    contacts = await _contacts_read(node, values["contacts"], found)
    if found.problems or start is None:
        raise EventError(problems=tuple(found.problems))
    status = "TENTATIVE" if values["tentative"] else "CONFIRMED"
    if keep is not None and keep.status == "CANCELLED":
        status = "CANCELLED"
    return EventInput(
        name=values["title"], start=start, end=end, timezone=values["timezone"].strip() or "UTC",
        description=values["description"], all_day=bool(values["all_day"]), places=places,
        online_url=values["online_url"].strip() or None, banner_url=banner_url, banner_alt=banner_alt if banner_url else "",
        banner_media_type=keep.banner_media_type if keep is not None and keep.banner_url == banner_url else None,
        category=values["category"].strip() or None, language=values["language"].strip() or None, tags=tags,
        capacity=capacity, join_mode=values["join_mode"] or "free",
        external_url=values["external_url"].strip() or None, contacts=contacts,
        anonymous_participation=bool(values["anonymous"]), comments_enabled=bool(values["comments"]),
        replies_moderation=values["moderation"] or "allow_all", recurrence=rule,
        ical_uid=keep.ical_uid if keep is not None else None, status=status,
        translations=translations_from_rows(rows) if rows is not None else None,
    )
