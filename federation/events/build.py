"""An event as we send it: the AS2 `Event` as Mobilizon writes it, plus what Mastodon needs to show it."""

from __future__ import annotations

from typing import Any

from federation.events.model import EVENT_CONTEXT, ONLINE_LINK_NAME, EventData
from federation.events.places import place_document
from federation.events.summary import event_summary
from federation.events.zones import span
from federation.fields import add_language_maps, hashtags, image_media_type
from federation.vocab import iso


def event_document(ev: EventData, *, locale: str | None = None) -> dict[str, Any]:
    """The AS2 `Event` for `ev`, as Mobilizon writes it (plus what Mastodon needs to show it)."""
    start, end, _ = span(ev)
    attachment: list[dict[str, Any]] = []
    image: dict[str, Any] | None = None
    if ev.banner_url:
        # First: Gancio takes the image's alt text from attachment[0]. Mastodon keeps it as media.
        image = {"type": "Document", "mediaType": image_media_type(ev.banner_media_type, ev.banner_url),
                 "url": ev.banner_url, "name": ev.banner_alt}
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
        places = [place_document(p) for p in ev.places]
        doc["location"] = places[0] if len(places) == 1 else places
    return doc
