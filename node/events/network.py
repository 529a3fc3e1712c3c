"""Events from the Fediverse: what other Agora nodes, Mobilizon groups and Gancio instances that the
association follows publish, kept apart from the association's own calendar."""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, timezone
from typing import Any

from federation import events as wire
from federation import vocab
from node.core.models import Actor, Follow
from node.core.remote_store import store_version
from node.events.models import Event
from node.core.runtime import Node
from node.core.sanitize import clean_html

log = logging.getLogger("agora.events")


async def is_followed(actor: Actor, group: str | None) -> bool:
    """Only events of accounts a local actor follows enter the network calendar."""
    uris = [actor.uri] + ([group] if group else [])
    return await Follow.filter(follower__local=True, target__uri__in=uris, state="accepted").exists()


def _values(ev: wire.EventData, actor: Actor, doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "organizer": actor, "group_uri": ev.group, "url": ev.url, "name": ev.name[:1000],
        "content": clean_html(ev.content_html), "start": ev.start, "end": ev.end, "timezone": ev.timezone,
        "all_day": ev.all_day, "places": [dataclasses.asdict(p) for p in ev.places],
        "online_url": ev.online_url, "status": ev.status, "join_mode": ev.join_mode,
        "capacity": ev.capacity, "category": (ev.category or "")[:64] or None, "language": ev.language,
        "tags": list(ev.tags), "external_url": ev.external_url, "banner_url": ev.banner_url,
        "banner_alt": ev.banner_alt[:1000], "banner_media_type": ev.banner_media_type,
        "contacts": list(ev.contacts), "anonymous_participation": ev.anonymous_participation,
        "comments_enabled": ev.comments_enabled, "replies_moderation": ev.replies_moderation or "allow_all",
        "participant_count": ev.participant_count, "data": doc,
        "published": ev.published or datetime.now(timezone.utc), "updated": ev.updated,
        # Every language as sent, the event's own first (names are text, escaped when shown; HTML is
        # sanitized here, value by value).
        "name_map": wire.with_default(ev.language, ev.name[:1000], {k: v[:1000] for k, v in ev.name_map.items()})
        if ev.name_map else None,
        "content_map": wire.with_default(ev.language, clean_html(ev.content_html), {k: clean_html(v) for k, v in ev.content_map.items()})
        if ev.content_map else None,
    }


async def store_event(node: Node, actor: Actor, doc: dict[str, Any]) -> Event | None:
    """Insert or update a remote event; malformed or unrelated events are dropped (logged). Dates
    outside the window an event may take (inputs.EARLIEST to LATEST, the years federation.events reads)
    make it malformed."""
    try:
        ev = wire.parse_event(doc)
    except vocab.VocabError as exc:
        log.info("event from %s refused: %s", actor.uri, exc)
        return None
    if vocab.host_of(ev.id) != actor.domain or actor.uri not in (ev.organizer, ev.group):
        log.info("event %s refused: not published by its sender %s", ev.id, actor.uri)
        return None
    if not await is_followed(actor, ev.group):
        return None
    return await store_version(Event, ev.id, _values(ev, actor, doc), owner_id=actor.id, updated=ev.updated)

async def forget_event(actor: Actor, uri: str) -> bool:
    """A remote Delete of an event: True when it was one of ours to forget."""
    return bool(await Event.filter(uri=uri, local=False, organizer=actor).delete())
