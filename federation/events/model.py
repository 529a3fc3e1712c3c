"""An event as a node knows it (:class:`EventData`), the vocabulary it travels in (Mobilizon's JSON-LD
header) and the bounds on what we keep of a remote one."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Literal

from federation.events.places import Place
from federation.vocab import AS2, SECURITY_V1

Status = Literal["CONFIRMED", "TENTATIVE", "CANCELLED"]
JoinMode = Literal["free", "restricted", "invite", "external"]

STATUSES: Final[frozenset[str]] = frozenset({"CONFIRMED", "TENTATIVE", "CANCELLED"})
JOIN_MODES: Final[frozenset[str]] = frozenset({"free", "restricted", "invite", "external"})


_STATUS: Final[dict[str, Status]] = {"CONFIRMED": "CONFIRMED", "TENTATIVE": "TENTATIVE", "CANCELLED": "CANCELLED"}
_JOIN_MODE: Final[dict[str, JoinMode]] = {"free": "free", "restricted": "restricted", "invite": "invite",
                                          "external": "external"}


def status_of(value: str) -> Status:
    """A stored status as the vocabulary's (anything unknown reads as confirmed)."""
    return _STATUS.get(value, "CONFIRMED")


def join_mode_of(value: str) -> JoinMode:
    """A stored join mode as the vocabulary's (anything unknown reads as free)."""
    return _JOIN_MODE.get(value, "free")

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

# Bounds on what we keep from a remote document: these, MAX_FIELD (federation.events.places) and MAX_NAME,
# MAX_CONTENT, MAX_TAGS, MAX_TAG and MAX_ADDRESSEES (federation.fields).
MAX_PLACES: Final = 10
MAX_CONTACTS: Final = 50
MAX_CAPACITY: Final = 1_000_000
MAX_PARTICIPANTS: Final = 10_000_000
MIN_YEAR, MAX_YEAR = 1900, 2200

ONLINE_LINK_NAME: Final = "Website"  # Mobilizon finds the online address by this name
MOBILIZON_BANNER_NAME: Final = "Banner"  # Mobilizon names its banner so; it is not alt text
CONVERTED_TYPES: Final = frozenset({"Image", "Audio", "Video", "Article", "Page", "Event"})


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
