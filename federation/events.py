"""Events on the wire: Mobilizon's vocabulary (which Gancio and others read), built and parsed.

What we send follows framasoft/mobilizon `lib/federation/activity_stream/converter/event.ex` (and
`address.ex`, `media.ex`, `activity_pub/utils.ex` for the JSON-LD header). What we read is anything
Mobilizon, Gancio (`server/api/models/event.js`, `server/federation/helpers.js`), other Agora nodes and
similar software send; see tests/data/events/SOURCES.md for the recorded payloads the parser is held to.

Mastodon does not know `Event`: it shows `<h2>name</h2>` + `summary` + a link (see
:func:`mastodon_rendering`), so :func:`event_summary` carries the date, time zone and place in plain,
localised words.
"""

from __future__ import annotations

import html
import math
import mimetypes
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from typing import Any, Final, Literal, cast
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_date, format_datetime, format_interval, format_time, get_datetime_format

from federation.fields import (
    MAX_ADDRESSEES,
    MAX_CONTENT,
    MAX_NAME,
    MAX_TAG,
    MAX_TAGS,
    add_language_maps,
    addressees,
    babel_locale,
    clean,
    first_text,
    hashtag_names,
    hashtags,
    href,
    image_media_type,
    object_language,
    other_languages,
    page_url,
    with_default,
)
from federation.vocab import AS2, SECURITY_V1, VocabError, as_list, id_of, ids_of, is_http_url, iso, type_of

__all__ = [
    "EVENT_CONTEXT",
    "MAX_ADDRESSEES",
    "MAX_CONTENT",
    "MAX_NAME",
    "MAX_TAG",
    "MAX_TAGS",
    "EventData",
    "Place",
    "event_document",
    "event_summary",
    "mastodon_rendering",
    "parse_event",
    "with_default",
]

Status = Literal["CONFIRMED", "TENTATIVE", "CANCELLED"]
JoinMode = Literal["free", "restricted", "invite", "external"]

STATUSES: Final[frozenset[str]] = frozenset({"CONFIRMED", "TENTATIVE", "CANCELLED"})
JOIN_MODES: Final[frozenset[str]] = frozenset({"free", "restricted", "invite", "external"})

# Mobilizon's JSON-LD header (`Mobilizon.Federation.ActivityPub.Utils.make_json_ld_header/0`), term for term.
# `contacts` and `draft` are not defined there either; `Place`, `latitude`, `longitude`, `startTime`,
# `endTime` come from AS2.
EVENT_TERMS: Final[dict[str, Any]] = {
    "@language": "und",
    "sc": "http://schema.org#",
    "ical": "http://www.w3.org/2002/12/cal/ical#",
    "pt": "https://joinpeertube.org/ns#",
    "toot": "http://joinmastodon.org/ns#",
    "discoverable": "toot:discoverable",
    "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
    "Hashtag": "as:Hashtag",
    "category": "sc:category",
    "uuid": "sc:identifier",
    "maximumAttendeeCapacity": "sc:maximumAttendeeCapacity",
    "remainingAttendeeCapacity": "sc:remainingAttendeeCapacity",
    "location": {"@id": "sc:location", "@type": "sc:Place"},
    "PostalAddress": "sc:PostalAddress",
    "address": {"@id": "sc:address", "@type": "sc:PostalAddress"},
    "addressCountry": "sc:addressCountry",
    "addressRegion": "sc:addressRegion",
    "postalCode": "sc:postalCode",
    "addressLocality": "sc:addressLocality",
    "streetAddress": "sc:streetAddress",
    "mz": "https://joinmobilizon.org/ns#",
    "repliesModerationOptionType": {"@id": "mz:repliesModerationOptionType", "@type": "rdfs:Class"},
    "repliesModerationOption": {"@id": "mz:repliesModerationOption", "@type": "mz:repliesModerationOptionType"},
    "commentsEnabled": {"@type": "sc:Boolean", "@id": "pt:commentsEnabled"},
    "joinModeType": {"@id": "mz:joinModeType", "@type": "rdfs:Class"},
    "joinMode": {"@id": "mz:joinMode", "@type": "mz:joinModeType"},
    "anonymousParticipationEnabled": {"@id": "mz:anonymousParticipationEnabled", "@type": "sc:Boolean"},
    "participationMessage": {"@id": "mz:participationMessage", "@type": "sc:Text"},
    "participantCount": {"@id": "mz:participantCount", "@type": "sc:Integer"},
    "memberCount": {"@id": "mz:memberCount", "@type": "sc:Integer"},
    "isOnline": {"@type": "sc:Boolean", "@id": "mz:isOnline"},
    "externalParticipationUrl": {"@id": "mz:externalParticipationUrl", "@type": "sc:URL"},
    "PropertyValue": "sc:PropertyValue",
    "value": "sc:value",
    "propertyID": "sc:propertyID",
    "inLanguage": "sc:inLanguage",
    "timezone": {"@id": "mz:timezone", "@type": "sc:Text"},
    "discussions": {"@id": "mz:discussions", "@type": "@id"},
    "events": {"@id": "mz:events", "@type": "@id"},
    "members": {"@id": "mz:members", "@type": "@id"},
    "openness": {"@id": "mz:openness", "@type": "@id"},
    "posts": {"@id": "mz:posts", "@type": "@id"},
    "resources": {"@id": "mz:resources", "@type": "@id"},
    "todos": {"@id": "mz:todos", "@type": "@id"},
    "status": {"@id": "ical:status", "@type": "ical:status"},
}
EVENT_CONTEXT: Final[list[Any]] = [AS2, SECURITY_V1, EVENT_TERMS]

# Bounds on what we keep from a remote document.
# (MAX_NAME, MAX_CONTENT, MAX_TAGS, MAX_TAG and MAX_ADDRESSEES are those of federation.fields.)
MAX_FIELD: Final = 500
MAX_PLACES: Final = 10
MAX_CONTACTS: Final = 50
MAX_CAPACITY: Final = 1_000_000
MAX_PARTICIPANTS: Final = 10_000_000
MIN_YEAR, MAX_YEAR = 1900, 2200

ONLINE_LINK_NAME: Final = "Website"  # Mobilizon finds the online address by this name
MOBILIZON_BANNER_NAME: Final = "Banner"  # Mobilizon names its banner so; it is not alt text
CONVERTED_TYPES: Final = frozenset({"Image", "Audio", "Video", "Article", "Page", "Event"})


@dataclass(frozen=True)
class Place:
    name: str
    street: str = ""
    postal_code: str = ""
    locality: str = ""
    region: str = ""
    country: str = ""
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class EventData:
    """What a node knows about one event (one occurrence).

    `start`/`end` are aware datetimes; `timezone` is the IANA zone the event happens in. For an
    all-day event `start` is (or is rounded down to) local midnight of the first day and `end` is
    None for a one-day event, else any moment of the last day (we send 23:59:59 local; an `end` at
    local midnight after the first day is read as the exclusive iCalendar end).
    """

    id: str
    url: str
    name: str
    content_html: str
    start: datetime
    end: datetime | None
    timezone: str
    all_day: bool
    places: tuple[Place, ...]
    online_url: str | None
    status: Status
    join_mode: JoinMode
    capacity: int | None
    participant_count: int
    category: str | None
    language: str | None
    tags: tuple[str, ...]
    external_url: str | None
    banner_url: str | None
    banner_alt: str
    banner_media_type: str | None
    organizer: str
    group: str | None
    published: datetime | None
    updated: datetime | None
    uuid: str | None
    anonymous_participation: bool
    comments_enabled: bool
    replies_moderation: str | None
    contacts: tuple[str, ...]
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    # Other languages: {language: name} and {language: HTML}. `name`/`content_html` are in `language`.
    name_map: dict[str, str] = field(default_factory=dict)
    content_map: dict[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------- time zones and spans

_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+){0,3}")


def zone_of(name: object) -> ZoneInfo:
    """The IANA zone called `name`, or VocabError."""
    if not isinstance(name, str) or len(name) > 64 or not _ZONE_NAME.fullmatch(name):
        raise VocabError(f"unknown time zone {str(name)[:64]!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise VocabError(f"unknown time zone {name!r}") from None


def _zone_name_for(moment: datetime) -> str:
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


_END_OF_DAY: Final = time(23, 59, 59)


def _span(ev: EventData) -> tuple[datetime, datetime | None, ZoneInfo]:
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
    return datetime.combine(first, time(0), zone), datetime.combine(last, _END_OF_DAY, zone), zone


# ---------------------------------------------------------------- summary (what Mastodon shows)


@dataclass(frozen=True)
class _Words:
    cancelled: str
    tentative: str
    online: str


_WORDS: Final[dict[str, _Words]] = {
    "en": _Words("CANCELLED", "To be confirmed", "Online"),
    "fr": _Words("ANNULÉ", "À confirmer", "En ligne"),
    "de": _Words("ABGESAGT", "Noch nicht bestätigt", "Online"),
    "es": _Words("CANCELADO", "Por confirmar", "En línea"),
    "it": _Words("ANNULLATO", "Da confermare", "Online"),
    "pt": _Words("CANCELADO", "A confirmar", "Online"),
    "nl": _Words("GEANNULEERD", "Onder voorbehoud", "Online"),
}


def _glue(day: str, clock: str, loc: Locale) -> str:
    pattern = str(get_datetime_format("full", locale=loc)).replace("'", "")
    return pattern.replace("{1}", day).replace("{0}", clock)


def _when(start: datetime, end: datetime | None, all_day: bool, zone: ZoneInfo, zone_name: str,
          loc: Locale) -> str:
    def day(moment: datetime) -> str:
        return format_date(moment.date(), "full", locale=loc)

    if all_day:
        if end is None or end.date() == start.date():
            return day(start)
        return f"{day(start)} – {day(end)}"

    def clock(moment: datetime) -> str:
        return format_time(moment, "short", tzinfo=zone, locale=loc)

    if end is None or end == start:
        when = _glue(day(start), clock(start), loc)
    elif end.date() == start.date():
        twelve_hour = "h" in loc.time_formats["short"].pattern
        hours = format_interval(start.time(), end.time(), "hm" if twelve_hour else "Hm", locale=loc)
        when = _glue(day(start), hours, loc)
    else:
        when = f"{_glue(day(start), clock(start), loc)} – {_glue(day(end), clock(end), loc)}"
    offsets = [format_datetime(start, "ZZZZ", tzinfo=zone, locale=loc)]
    if end is not None and end.utcoffset() != start.utcoffset():
        offsets.append(format_datetime(end, "ZZZZ", tzinfo=zone, locale=loc))
    label = " → ".join(offsets)
    if zone_name != "UTC" and not zone_name.startswith("Etc/"):
        label = f"{label}, {zone_name}"
    return f"{when} ({label})"


def place_line(place: Place, *, street: bool = True) -> str:
    """The place in one line: name, street (unless `street` is false), town, country, no repeats."""
    parts: list[str] = []
    town = f"{place.postal_code} {place.locality}".strip() or place.region
    for part in (place.name, place.street if street else "", town, place.country):
        part = part.strip()
        if part and all(part.casefold() != seen.casefold() for seen in parts):
            parts.append(part)
    return ", ".join(parts)


def event_summary(ev: EventData, *, locale: str | None = None) -> str:
    """One plain line saying when and where, in the event's language: HTML-escaped, for `summary`.

    e.g. "Saturday, September 12, 2026, 7:00 – 11:00 PM (GMT+02:00, Europe/Paris) · Hall, 1 Main St".
    """
    loc = babel_locale(locale or ev.language)
    words = _WORDS.get(loc.language, _WORDS["en"])
    start, end, zone = _span(ev)
    parts: list[str] = []
    if ev.status == "CANCELLED":
        parts.append(words.cancelled)
    elif ev.status == "TENTATIVE":
        parts.append(words.tentative)
    parts.append(_when(start, end, ev.all_day, zone, ev.timezone, loc))
    parts.extend(line for line in (place_line(p) for p in ev.places) if line)
    if ev.online_url:
        parts.append(words.online)
    return html.escape(" · ".join(parts))


# ---------------------------------------------------------------- building


def _place_document(place: Place) -> dict[str, Any]:
    doc: dict[str, Any] = {"type": "Place", "name": place.name}
    address = {
        key: value
        for key, value in (
            ("streetAddress", place.street),
            ("postalCode", place.postal_code),
            ("addressLocality", place.locality),
            ("addressRegion", place.region),
            ("addressCountry", place.country),
        )
        if value
    }
    if address:  # Gancio uses the name as the address when there is none
        doc["address"] = {"type": "PostalAddress", **address}
    if place.latitude is not None and place.longitude is not None:
        doc["latitude"] = place.latitude
        doc["longitude"] = place.longitude
    return doc


def event_document(ev: EventData, *, locale: str | None = None) -> dict[str, Any]:
    """The AS2 `Event` for `ev`, as Mobilizon writes it (plus what Mastodon needs to show it)."""
    start, end, _ = _span(ev)
    attachment: list[dict[str, Any]] = []
    image: dict[str, Any] | None = None
    if ev.banner_url:
        # First: Gancio takes the image's alt text from attachment[0]. Mastodon keeps it as media.
        image = {"type": "Document", "mediaType": image_media_type(ev.banner_media_type, ev.banner_url), "url": ev.banner_url,
                 "name": ev.banner_alt}
        attachment.append(image)
    if ev.online_url:
        attachment.append({"type": "Link", "href": ev.online_url, "mediaType": "text/html",
                           "name": ONLINE_LINK_NAME})
    doc: dict[str, Any] = {
        "@context": EVENT_CONTEXT,
        "id": ev.id,
        "type": "Event",
        "url": ev.url or ev.id,
        "name": ev.name,
        "content": ev.content_html,
        "mediaType": "text/html",
        "summary": event_summary(ev, locale=locale),
        "startTime": start.isoformat(timespec="seconds"),
        "timezone": ev.timezone,
        "status": ev.status,
        "ical:status": ev.status,
        "isOnline": ev.online_url is not None,
        "joinMode": ev.join_mode,
        "participantCount": ev.participant_count,
        "anonymousParticipationEnabled": ev.anonymous_participation,
        "commentsEnabled": ev.comments_enabled,
        "contacts": list(ev.contacts),
        "attributedTo": ev.group or ev.organizer,
        "actor": ev.organizer,
        "tag": hashtags(ev.id, ev.tags),
        "attachment": attachment,
        "to": list(ev.to),
        "cc": list(ev.cc),
    }
    if end is not None:
        doc["endTime"] = end.isoformat(timespec="seconds")
    if ev.language:
        add_language_maps(doc, ev.language, name=(ev.name, ev.name_map), content=(ev.content_html, ev.content_map),
                          summary_in=lambda language: event_summary(ev, locale=language))
    optional: dict[str, Any] = {
        "published": iso(ev.published) if ev.published else None,
        "updated": iso(ev.updated, precise=True) if ev.updated else None,
        "uuid": ev.uuid,
        "category": ev.category,
        "externalParticipationUrl": ev.external_url,
        "maximumAttendeeCapacity": ev.capacity,
        "remainingAttendeeCapacity": max(ev.capacity - ev.participant_count, 0) if ev.capacity else None,
        "repliesModerationOption": ev.replies_moderation,
        "image": dict(image) if image else None,
    }
    doc.update({key: value for key, value in optional.items() if value is not None})
    if ev.places:
        places = [_place_document(p) for p in ev.places]
        doc["location"] = places[0] if len(places) == 1 else places
    return doc


# ---------------------------------------------------------------- what Mastodon shows


def mastodon_rendering(doc: Mapping[str, Any]) -> str:
    """The status text Mastodon makes of an object (`ActivityPub::Parser::StatusParser#processed_text`):
    for Event, Article, Page and media types `<h2>name</h2>`, the summary and a link to `url` (or
    `id`), joined by blank lines; `content` is dropped. Other types keep their `content`."""
    if not any(kind in CONVERTED_TYPES for kind in as_list(doc.get("type")) if isinstance(kind, str)):
        return first_text(doc, "content")
    title = first_text(doc, "name")
    summary = first_text(doc, "summary")
    link = href(doc.get("url"), "text/html") or (doc.get("id") if isinstance(doc.get("id"), str) else "")
    anchor = (
        f'<a href="{html.escape(link)}" target="_blank" rel="nofollow noopener" translate="no">'
        f"{html.escape(link)}</a>"
        if link else ""
    )
    parts = [f"<h2>{title}</h2>" if title else "", summary, anchor]
    return "\n\n".join(part for part in parts if part)


# ---------------------------------------------------------------- parsing


def _moment(value: Any, field: str, zone: ZoneInfo | None) -> datetime:
    if not isinstance(value, str) or not value.strip():
        raise VocabError(f"event {field} is missing or not a string")
    raw = value.strip()
    if len(raw) > 64:
        raise VocabError(f"event {field} is too long to be a date")
    try:
        parsed = datetime.fromisoformat(raw[:-1] + "+00:00" if raw[-1] in "Zz" else raw)
    except ValueError:
        raise VocabError(f"event {field} is not an ISO 8601 date-time: {raw!r}") from None
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise VocabError(f"event {field} is out of range: {raw!r}")
    if parsed.tzinfo is None:  # a local time: in the event's zone when given, else UTC
        parsed = parsed.replace(tzinfo=zone or timezone.utc)
    return parsed


def _optional_moment(value: Any) -> datetime | None:
    try:
        return _moment(value, "date", None) if value is not None else None
    except VocabError:
        return None


def _coordinate(value: Any, bound: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) and -bound <= number <= bound else None


_POSTAL_KEYS: Final = ("streetAddress", "postalCode", "addressLocality", "addressRegion", "addressCountry")


def _parse_place(item: Mapping[str, Any]) -> Place | None:
    name = clean(item.get("name"), MAX_FIELD)
    street = postal = locality = region = country = ""
    address = item.get("address")
    if isinstance(address, str):  # Gancio: one line of text
        street = clean(address, MAX_FIELD)
        if street.casefold() == name.casefold():
            street = ""
    elif isinstance(address, Mapping):
        street, postal, locality, region, country = (clean(address.get(k), MAX_FIELD) for k in _POSTAL_KEYS)
    if not name:
        name = street or locality or region or country
    if not name:
        return None
    nested = item.get("geo")  # old Mobilizon: {"geo": {"type": "GeoCoordinates", ...}}
    geo: Mapping[str, Any] = nested if isinstance(nested, Mapping) else item
    latitude = _coordinate(geo.get("latitude"), 90)
    longitude = _coordinate(geo.get("longitude"), 180)
    if latitude is None or longitude is None:
        latitude = longitude = None
    return Place(name=name, street=street, postal_code=postal, locality=locality, region=region,
                 country=country, latitude=latitude, longitude=longitude)


def _virtual_url(item: Mapping[str, Any]) -> str | None:
    """The URL of a schema.org VirtualLocation, bare (Gancio's output) or as a Place's address (FEP-8a8e)."""
    if type_of(item) == "VirtualLocation":
        return href(item.get("url"))
    address = item.get("address")
    if isinstance(address, Mapping) and (
        type_of(address) == "VirtualLocation" or not any(address.get(k) for k in _POSTAL_KEYS)
    ):
        return href(address.get("url"))
    return None


def _parse_location(value: Any) -> tuple[list[Place], list[str]]:
    places: list[Place] = []
    online: list[str] = []
    for item in as_list(value)[: MAX_PLACES * 2]:
        if isinstance(item, str):
            name = clean(item, MAX_FIELD)
            if name:
                places.append(Place(name=name))
        elif isinstance(item, Mapping):
            virtual = _virtual_url(item)
            if virtual:
                online.append(virtual)
            elif type_of(item) != "VirtualLocation":
                place = _parse_place(item)
                if place is not None:
                    places.append(place)
    return places[:MAX_PLACES], online


def _online_url(attachments: list[Mapping[str, Any]], virtual: list[str], own: set[str]) -> str | None:
    links = [a for a in attachments if type_of(a) == "Link" and a.get("mediaType") == "text/html"]
    candidates = (
        [href(a) for a in links if a.get("name") == ONLINE_LINK_NAME]  # Mobilizon
        + list(virtual)  # Gancio, FEP-8a8e
        + [href(a) for a in links]
    )
    return next((url for url in candidates if url and url not in own), None)


def _image_type(item: Mapping[str, Any]) -> str | None:
    """The image media type of an Image/Document, or None when it is not an image."""
    if type_of(item) not in ("Image", "Document"):
        return None
    declared = item.get("mediaType")
    if isinstance(declared, str) and declared:
        return declared[:100] if declared.startswith("image/") else None
    guessed, _ = mimetypes.guess_type(urlsplit(href(item.get("url")) or "").path)
    if guessed and guessed.startswith("image/"):
        return guessed
    return "" if type_of(item) == "Image" else None


def _banner(doc: Mapping[str, Any], attachments: list[Mapping[str, Any]]) -> tuple[str | None, str, str | None]:
    """Mobilizon's order: the attachment named "Banner", then `image`, then the first image attachment."""
    candidates = [a for a in attachments if a.get("name") == MOBILIZON_BANNER_NAME]
    image = doc.get("image")
    if isinstance(image, str):
        image = {"type": "Image", "url": image}
    if isinstance(image, Mapping):
        candidates.append(image)
    candidates.extend(attachments)
    for item in candidates:
        media_type = _image_type(item)
        url = href(item.get("url")) if media_type is not None else None
        if url:
            alt = clean(item.get("name"), 1_500)
            return url, ("" if alt == MOBILIZON_BANNER_NAME else alt), media_type or None
    return None, "", None


def _tags(value: Any) -> tuple[str, ...]:
    raws = [item if isinstance(item, str) else item.get("name") if (
        isinstance(item, Mapping) and type_of(item) == "Hashtag") else None for item in as_list(value)[: MAX_TAGS * 4]]
    return hashtag_names(raws)[:MAX_TAGS]


def _capacity(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise VocabError(f"maximumAttendeeCapacity is not a number: {str(value)[:40]!r}")
    try:
        number = float(value)
    except ValueError:
        raise VocabError(f"maximumAttendeeCapacity is not a number: {str(value)[:40]!r}") from None
    if not math.isfinite(number) or number != int(number):
        raise VocabError(f"maximumAttendeeCapacity is not a whole number: {value!r}")
    if number < 0 or number > MAX_CAPACITY:
        raise VocabError(f"absurd maximumAttendeeCapacity {int(number)} (allowed 0..{MAX_CAPACITY})")
    return int(number) or None  # Mobilizon sends 0 for "no limit"


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_PARTICIPANTS:
        return 0
    return value


def _is_all_day(start: datetime, end: datetime | None) -> bool:
    if start.time() != time(0) or end is None:
        return False
    ends_at = end.time().replace(microsecond=0)
    return ends_at in (time(23, 59), _END_OF_DAY) or (ends_at == time(0) and end.date() > start.date())


def parse_event(doc: Mapping[str, Any]) -> EventData:
    """A remote `Event` (Mobilizon, Gancio, Agora, …) as EventData; VocabError says why not.

    `content_html` is the peer's HTML as sent: sanitise it before showing it."""
    if not isinstance(doc, Mapping):
        raise VocabError("event is not a JSON object")
    kinds = [k for k in as_list(doc.get("type")) if isinstance(k, str)]
    if "Event" not in kinds:
        raise VocabError(f"not an Event: {type_of(doc)!r}")
    if doc.get("id") is None:
        raise VocabError("event has no id")
    event_id = id_of(doc)
    if event_id is None or not isinstance(doc.get("id"), str):
        raise VocabError("event id must be an http(s) URL")
    name = clean(first_text(doc, "name"), MAX_NAME)
    if not name:
        raise VocabError("event has no name")
    if doc.get("startTime") is None:
        raise VocabError("event has no startTime")

    zone_name = doc.get("timezone")
    zone = zone_of(zone_name) if zone_name not in (None, "") else None
    start = _moment(doc.get("startTime"), "startTime", zone)
    end = _moment(doc.get("endTime"), "endTime", zone) if doc.get("endTime") not in (None, "") else None
    if end is not None and end < start:
        raise VocabError(f"event ends ({end.isoformat()}) before it starts ({start.isoformat()})")
    if zone is None:
        zone_name = _zone_name_for(start)
        zone = zone_of(zone_name)
    assert isinstance(zone_name, str)
    start, end = start.astimezone(zone), end.astimezone(zone) if end is not None else None
    all_day = _is_all_day(start, end)
    if all_day and end is not None:
        last = end.date() - timedelta(days=1) if end.time() == time(0) else end.date()
        end = None if last == start.date() else datetime.combine(last, _END_OF_DAY, zone)

    capacity = _capacity(doc.get("maximumAttendeeCapacity"))
    organizer = id_of(doc.get("actor")) or next(iter(ids_of(doc.get("attributedTo"))), None)
    if organizer is None or not is_http_url(organizer):
        raise VocabError("event has no organizer (actor or attributedTo)")
    attributed = [a for a in ids_of(doc.get("attributedTo")) if is_http_url(a)]
    group = next((a for a in attributed if a != organizer), None)

    url = page_url(doc, event_id)
    attachments = [a for a in as_list(doc.get("attachment"))[:50] if isinstance(a, Mapping)]
    places, virtual = _parse_location(doc.get("location"))
    banner_url, banner_alt, banner_type = _banner(doc, attachments)

    status = str(doc.get("status") or doc.get("ical:status") or "CONFIRMED").upper()  # Mobilizon's order
    join_mode = str(doc.get("joinMode") or "free").lower()
    external = doc.get("externalParticipationUrl")
    replies = clean(doc.get("repliesModerationOption"), 32) or None
    comments = doc.get("commentsEnabled")
    category = clean(doc.get("category"), 64) or None
    uuid = clean(doc.get("uuid"), 64) or None

    return EventData(
        id=event_id,
        url=url,
        name=name,
        content_html=first_text(doc, "content")[:MAX_CONTENT],
        start=start,
        end=end,
        timezone=zone_name,
        all_day=all_day,
        places=tuple(places),
        online_url=_online_url(attachments, virtual, {event_id, url}),
        status=cast(Status, status) if status in STATUSES else "CONFIRMED",
        join_mode=cast(JoinMode, join_mode) if join_mode in JOIN_MODES else "free",
        capacity=capacity,
        participant_count=_count(doc.get("participantCount")),
        category=category,
        language=object_language(doc),
        tags=_tags(doc.get("tag")),
        external_url=external if is_http_url(external) else None,
        banner_url=banner_url,
        banner_alt=banner_alt,
        banner_media_type=banner_type,
        organizer=organizer,
        group=group,
        published=_optional_moment(doc.get("published")),
        updated=_optional_moment(doc.get("updated")),
        uuid=uuid,
        anonymous_participation=doc.get("anonymousParticipationEnabled") is True,
        comments_enabled=comments is not False and not (comments is None and replies == "closed"),
        replies_moderation=replies,
        contacts=tuple(c for c in ids_of(doc.get("contacts")) if is_http_url(c))[:MAX_CONTACTS],
        to=addressees(doc.get("to")),
        cc=addressees(doc.get("cc")),
        **other_languages(doc, object_language(doc)),
    )
