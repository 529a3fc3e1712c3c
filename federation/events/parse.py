"""A remote event as :class:`EventData`: what Mobilizon, Gancio, other Agora nodes and similar software
send, read tolerantly within bounds; VocabError says why a document is not a usable event."""

from __future__ import annotations

import math
import mimetypes
from collections.abc import Mapping
from datetime import datetime, time, timedelta, timezone
from typing import Any, cast
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from federation.events.model import (
    JOIN_MODES,
    MAX_CAPACITY,
    MAX_CONTACTS,
    MAX_PARTICIPANTS,
    MAX_PLACES,
    MAX_YEAR,
    MIN_YEAR,
    MOBILIZON_BANNER_NAME,
    ONLINE_LINK_NAME,
    STATUSES,
    EventData,
    JoinMode,
    Status,
)
from federation.events.places import MAX_FIELD, POSTAL_KEYS, Place, parse_place
from federation.events.zones import END_OF_DAY, zone_name_for, zone_of
from federation.fields import (
    MAX_CONTENT,
    MAX_NAME,
    MAX_TAGS,
    addressees,
    clean,
    first_text,
    hashtag_names,
    href,
    object_language,
    other_languages,
    page_url,
)
from federation.vocab import VocabError, as_list, id_of, ids_of, is_http_url, type_of


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


def _virtual_url(item: Mapping[str, Any]) -> str | None:
    """The URL of a schema.org VirtualLocation, bare (Gancio's output) or as a Place's address (FEP-8a8e)."""
    if type_of(item) == "VirtualLocation":
        return href(item.get("url"))
    address = item.get("address")
    if isinstance(address, Mapping) and (
        type_of(address) == "VirtualLocation" or not any(address.get(k) for k in POSTAL_KEYS)
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
                place = parse_place(item)
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


def banner(doc: Mapping[str, Any], attachments: list[Mapping[str, Any]]) -> tuple[str | None, str, str | None]:
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
    names = [item if isinstance(item, str) else item.get("name") if (
        isinstance(item, Mapping) and type_of(item) == "Hashtag") else None
        for item in as_list(value)[: MAX_TAGS * 4]]
    return hashtag_names(names)[:MAX_TAGS]


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
    return ends_at in (time(23, 59), END_OF_DAY) or (ends_at == time(0) and end.date() > start.date())


def _identity(doc: Mapping[str, Any]) -> tuple[str, str]:
    """The event's id and name; VocabError when it is no Event or has neither."""
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
    return event_id, name


def _times(doc: Mapping[str, Any]) -> tuple[datetime, datetime | None, str, bool]:
    """Start and end in the event's zone, the zone's name and whether it is all-day (a one-day
    all-day event has no end; a longer one ends at 23:59:59 of its last day)."""
    if doc.get("startTime") is None:
        raise VocabError("event has no startTime")
    zone_name = doc.get("timezone")
    zone = zone_of(zone_name) if zone_name not in (None, "") else None
    start = _moment(doc.get("startTime"), "startTime", zone)
    end = _moment(doc.get("endTime"), "endTime", zone) if doc.get("endTime") not in (None, "") else None
    if end is not None and end < start:
        raise VocabError(f"event ends ({end.isoformat()}) before it starts ({start.isoformat()})")
    if zone is None:
        zone_name = zone_name_for(start)
        zone = zone_of(zone_name)
    assert isinstance(zone_name, str)
    start, end = start.astimezone(zone), end.astimezone(zone) if end is not None else None
    all_day = _is_all_day(start, end)
    if all_day and end is not None:
        last = end.date() - timedelta(days=1) if end.time() == time(0) else end.date()
        end = None if last == start.date() else datetime.combine(last, END_OF_DAY, zone)
    return start, end, zone_name, all_day


def _organizer_and_group(doc: Mapping[str, Any]) -> tuple[str, str | None]:
    organizer = id_of(doc.get("actor")) or next(iter(ids_of(doc.get("attributedTo"))), None)
    if organizer is None or not is_http_url(organizer):
        raise VocabError("event has no organizer (actor or attributedTo)")
    attributed = [a for a in ids_of(doc.get("attributedTo")) if is_http_url(a)]
    return organizer, next((a for a in attributed if a != organizer), None)


def parse_event(doc: Mapping[str, Any]) -> EventData:
    """A remote `Event` (Mobilizon, Gancio, Agora, …) as EventData; VocabError says why not.

    `content_html` is the peer's HTML as sent: sanitise it before showing it."""
    event_id, name = _identity(doc)
    start, end, zone_name, all_day = _times(doc)
    capacity = _capacity(doc.get("maximumAttendeeCapacity"))
    organizer, group = _organizer_and_group(doc)

    url = page_url(doc, event_id)
    attachments = [a for a in as_list(doc.get("attachment"))[:50] if isinstance(a, Mapping)]
    places, virtual = _parse_location(doc.get("location"))
    banner_url, banner_alt, banner_type = banner(doc, attachments)

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
