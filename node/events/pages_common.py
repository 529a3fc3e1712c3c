"""What the event pages share: the labels of an event's fields, the reader's time zone and the event's
times written in the reader's language, places, and the event an address names."""

from __future__ import annotations

import functools
import html
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, available_timezones

from starlette.requests import Request
from tortoise.expressions import Q

from federation import events as wire
from federation import vocab
from node.accounts.roles import PUBLISHING_ROLES
from node.core import i18n
from node.events.models import Event
from node.web import auth
from node.web.errors import PageRefusal
from node.web.pages import node_of

_l = i18n.lazy  # labels translated when shown

TZ_COOKIE = "tz"
TZ_COOKIE_AGE = 365 * 24 * 3600

# Offered first in the reader's "Show times in" box: where members live and where their families do.
COMMON_ZONES = (
    "UTC", "Europe/London", "Europe/Lisbon", "Europe/Paris", "Europe/Brussels", "Europe/Berlin",
    "Europe/Madrid", "Europe/Rome", "Europe/Stockholm", "Europe/Athens", "Europe/Kyiv", "Europe/Istanbul",
    "Europe/Moscow", "Africa/Casablanca", "Africa/Algiers", "Africa/Tunis", "Africa/Cairo", "Africa/Dakar",
    "Africa/Abidjan", "Africa/Lagos", "Africa/Kinshasa", "Africa/Khartoum", "Africa/Addis_Ababa",
    "Africa/Asmara", "Africa/Mogadishu", "Africa/Nairobi", "Africa/Johannesburg", "Asia/Beirut",
    "Asia/Damascus", "Asia/Jerusalem", "Asia/Baghdad", "Asia/Riyadh", "Asia/Tehran", "Asia/Dubai",
    "Asia/Kabul", "Asia/Karachi", "Asia/Kolkata", "Asia/Dhaka", "Asia/Bangkok", "Asia/Manila",
    "Asia/Shanghai", "Asia/Tokyo", "Australia/Sydney", "America/Sao_Paulo", "America/Bogota",
    "America/Port-au-Prince", "America/Mexico_City", "America/New_York", "America/Chicago",
    "America/Toronto", "America/Los_Angeles",
)

CATEGORY_LABELS = {
    "MEETING": _l("Meeting"), "PARTY": _l("Party"), "MOVEMENTS_POLITICS": _l("Movements and politics"),
    "LEARNING": _l("Learning"), "ARTS": _l("Arts"), "FOOD_DRINK": _l("Food and drink"), "COMMUNITY": _l("Community"),
    "FAMILY_EDUCATION": _l("Family and education"), "CAUSES": _l("Causes"), "LANGUAGE_CULTURE": _l("Language and culture"),
    "SPORTS": _l("Sports"), "OUTDOORS_ADVENTURE": _l("Outdoors and adventure"), "NETWORKING": _l("Networking"),
    "THEATRE": _l("Theatre"), "MUSIC": _l("Music"), "FILM_MEDIA": _l("Film and media"),
    "SPIRITUALITY_RELIGION_BELIEFS": _l("Spirituality, religion and beliefs"), "AUTO_BOAT_AIR": _l("Auto, boat and air"),
    "BOOK_CLUBS": _l("Book clubs"), "COMEDY": _l("Comedy"), "CREATIVE_JOBS": _l("Creative jobs"), "CRAFTS": _l("Crafts"),
    "FASHION_BEAUTY": _l("Fashion and beauty"), "GAMES": _l("Games"), "HEALTH": _l("Health"), "PETS": _l("Pets"),
    "PHOTOGRAPHY": _l("Photography"), "SCIENCE_TECH": _l("Science and technology"),
}
JOIN_MODE_LABELS = {
    "free": _l("Anyone can join"), "restricted": _l("Organizers approve each participant"),
    "invite": _l("By invitation only"), "external": _l("Registration on another site"),
}
MODERATION_LABELS = {
    "allow_all": _l("Comments appear at once"), "moderated": _l("Comments wait for a moderator"),
    "closed": _l("No new comments"),
}
STATE_LABELS = {"accepted": _l("taking part"), "pending": _l("waiting for approval"), "rejected": _l("refused")}


def category_label(code: str | None) -> str:
    if not code:
        return ""
    return CATEGORY_LABELS.get(code, code.replace("_", " ").capitalize())


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def valid_zone(name: str | None) -> bool:
    if not name:
        return False
    try:
        wire.zone_of(name)
    except vocab.VocabError:
        return False
    return True


def zone_named(name: str) -> ZoneInfo:
    try:
        return wire.zone_of(name)
    except vocab.VocabError:
        return ZoneInfo("UTC")


def reader_zone(request: Request) -> str | None:
    name = request.cookies.get(TZ_COOKIE, "")
    return name if valid_zone(name) else None


@functools.cache
def zone_groups() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Every IANA zone of a region (no legacy aliases such as "US/Eastern" or "Etc/GMT+3"), grouped."""
    regions = ("Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe",
               "Indian", "Pacific")
    names = available_timezones()
    groups: list[tuple[str, tuple[str, ...]]] = [("Universal", ("UTC",))]
    for region in regions:
        found = tuple(sorted(n for n in names if n.startswith(region + "/")))
        if found:
            groups.append((region, found))
    return tuple(groups)


def zone_label(name: str) -> str:
    return name.replace("_", " ")


def _timing(event: Event, zone_name: str) -> wire.EventData:
    """Only what the time line needs: the event's moments shown in `zone_name`."""
    zone = zone_named(zone_name)
    return wire.EventData(
        id=event.uri, url=event.uri, name=event.name, content_html="", start=event.start.astimezone(zone),
        end=event.end.astimezone(zone) if event.end else None, timezone=zone_name if valid_zone(zone_name) else "UTC",
        all_day=event.all_day, places=(), online_url=None, status="CONFIRMED", join_mode="free", capacity=None,
        participant_count=0, category=None, language=event.language, tags=(), external_url=None,
        banner_url=None, banner_alt="", banner_media_type=None, organizer="", group=None, published=None,
        updated=None, uuid=None, anonymous_participation=False, comments_enabled=True,
        replies_moderation=None, contacts=(),
    )


def when_text(event: Event, zone_name: str | None = None, locale: str | None = None) -> str:
    """"Saturday, 11 July 2026, 18:00 – 23:00 (GMT+02:00, Europe/Paris)", in the reader's language (the
    language active for the request, see i18n.activate_request, unless `locale` is given), plain text
    (the template escapes it)."""
    data = _timing(event, zone_name or event.timezone)
    return html.unescape(wire.event_summary(data, locale=locale or i18n.current()))


def shows_other_time(event: Event, reader: str | None) -> bool:
    """Whether the reader's zone gives other wall-clock times than the event's (never for all-day
    events: a day is a day where it happens)."""
    if reader is None or event.all_day or reader == event.timezone or not valid_zone(reader):
        return False
    own, theirs = zone_named(event.timezone), zone_named(reader)
    return any(m.astimezone(own).utcoffset() != m.astimezone(theirs).utcoffset()
               for m in (event.start, event.end) if m is not None)


def effective_end(event: Event) -> datetime:
    if event.end is not None:
        return event.end
    if event.all_day:
        return event.start + timedelta(days=1)
    return event.start + timedelta(hours=3)


def is_over(event: Event) -> bool:
    return effective_end(event) < utcnow()


def upcoming(now: datetime) -> Q:
    """Not over yet (see effective_end)."""
    return (Q(end__gte=now) | Q(end__isnull=True, all_day=False, start__gte=now - timedelta(hours=3))
            | Q(end__isnull=True, all_day=True, start__gte=now - timedelta(days=1)))


def past_events(now: datetime) -> Q:
    """Over: the complement of upcoming, spelt out (NOT over a NULL `end` would match nothing)."""
    return (Q(end__lt=now) | Q(end__isnull=True, all_day=False, start__lt=now - timedelta(hours=3))
            | Q(end__isnull=True, all_day=True, start__lt=now - timedelta(days=1)))


def place_view(place: dict[str, Any]) -> dict[str, Any]:
    town = " ".join(p for p in (place.get("postal_code", ""), place.get("locality", "")) if p).strip()
    lines = [line for line in (place.get("street", ""), town, place.get("region", ""), place.get("country", "")) if line]
    name = place.get("name") or (lines[0] if lines else "")
    if lines and lines[0] == name:
        lines = lines[1:]
    lat, lon = place.get("latitude"), place.get("longitude")
    if isinstance(lat, (int, float)) and isinstance(lon, (int, float)):
        map_url = f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"
    elif lines:
        map_url = "https://www.openstreetmap.org/search?query=" + quote(", ".join([name, *lines]))
    else:
        map_url = None
    return {"name": name, "lines": lines, "map_url": map_url}


def place_line(event: Event) -> str:
    for place in event.places:
        if isinstance(place, dict):
            name = place_view(place)["name"]
            town = place.get("locality") or place.get("region") or place.get("country") or ""
            return f"{name}, {town}" if town and town.casefold() != name.casefold() else name
    return ""


def slug_of(request: Request) -> str:
    return str(request.path_params["slug"])


async def find_event(request: Request) -> Event:
    """The event of the address; a draft only for editors and admins."""
    node = node_of(request)
    await i18n.activate_request(request, node)  # when_text and the labels follow the reader's language
    event = await Event.get_or_none(uri=f"{node.urls.base}/events/{slug_of(request)}", local=True)
    if event is not None and event.draft:
        user = await auth.current_user(request)
        if not (user and user.role in PUBLISHING_ROLES and not user.disabled):
            event = None
    if event is None:
        raise PageRefusal(404, "Not found", "There is no such event here.")
    if event.deleted_at is not None:
        raise PageRefusal(410, "Deleted", "This event was deleted by its organizers.")
    return event


def event_path(event: Event) -> str:
    return "/events/" + event.uri.rsplit("/", 1)[-1]

