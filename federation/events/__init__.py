"""Events on the wire: Mobilizon's vocabulary (which Gancio and others read), built and parsed.

What we send follows framasoft/mobilizon `lib/federation/activity_stream/converter/event.ex` (and
`address.ex`, `media.ex`, `activity_pub/utils.ex` for the JSON-LD header). What we read is anything
Mobilizon, Gancio (`server/api/models/event.js`, `server/federation/helpers.js`), other Agora nodes and
similar software send; see tests/data/events/SOURCES.md for the recorded payloads the parser is held to.

Mastodon does not know `Event`: it shows `<h2>name</h2>` + `summary` + a link (see
:func:`mastodon_rendering`), so :func:`event_summary` carries the date, time zone and place in plain,
localised words.

Modules: ``model`` (EventData, the JSON-LD terms, the bounds), ``places``, ``zones`` (time zones and
spans), ``summary`` (what Mastodon shows), ``build`` (what we send) and ``parse`` (what we read).
"""

from federation.events.build import event_document
from federation.events.model import (
    CONVERTED_TYPES,
    EVENT_CONTEXT,
    EVENT_TERMS,
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
    join_mode_of,
    status_of,
    EventData,
    JoinMode,
    Status,
)
from federation.events.parse import parse_event
from federation.events.places import MAX_FIELD, Place, place_line
from federation.events.summary import event_summary, mastodon_rendering
from federation.events.zones import zone_of
from federation.fields import MAX_ADDRESSEES, MAX_CONTENT, MAX_NAME, MAX_TAG, MAX_TAGS, with_default

__all__ = [
    "CONVERTED_TYPES",
    "EVENT_CONTEXT",
    "EVENT_TERMS",
    "JOIN_MODES",
    "MAX_ADDRESSEES",
    "MAX_CAPACITY",
    "MAX_CONTACTS",
    "MAX_CONTENT",
    "MAX_FIELD",
    "MAX_NAME",
    "MAX_PARTICIPANTS",
    "MAX_PLACES",
    "MAX_TAG",
    "MAX_TAGS",
    "MAX_YEAR",
    "MIN_YEAR",
    "MOBILIZON_BANNER_NAME",
    "ONLINE_LINK_NAME",
    "STATUSES",
    "join_mode_of",
    "status_of",
    "EventData",
    "JoinMode",
    "Place",
    "Status",
    "event_document",
    "event_summary",
    "mastodon_rendering",
    "parse_event",
    "place_line",
    "with_default",
    "zone_of",
]
