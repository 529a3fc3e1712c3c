"""Initiatives from the network: what other Agora nodes that a local actor follows publish, kept apart
from the association's own (local=False), so associations in different cities discover and support
each other's work."""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, timezone
from typing import Any

from federation import initiatives as wire
from federation import vocab
from federation.events import with_default
from node.core.models import Actor, Follow
from node.core.remote_store import store_version
from node.initiatives.models import Initiative, Need
from node.core.runtime import Node
from node.core.sanitize import clean_html

log = logging.getLogger("agora.initiatives")


async def is_followed(actor: Actor) -> bool:
    return await Follow.filter(follower__local=True, target__uri=actor.uri, state="accepted").exists()


def _values(data: wire.InitiativeData, actor: Actor, doc: dict[str, Any]) -> dict[str, Any]:
    needs = [{"pledged": (n.pledged.minor if n.pledged else 0) if n.kind == "money" else n.pledged_quantity}
             for n in data.needs]
    return {
        "organizer": actor, "url": data.url, "title": data.title[:300], "summary": data.summary,
        "content": clean_html(data.content_html), "kind": data.kind[:32], "status": data.status[:16],
        "status_history": [{"status": s, "at": vocab.iso(at)} for s, at in data.status_history],
        "place_there": dataclasses.asdict(data.place_there) if data.place_there else None,
        "place_here": dataclasses.asdict(data.place_here) if data.place_here else None,
        "cover_url": data.cover_url, "cover_alt": (data.cover_alt or "")[:1000],
        "cover_media_type": data.cover_media_type, "language": data.language, "tags": list(data.tags),
        "responsible": list(data.responsible), "support_count": data.support_count,
        "totals": {t.currency: {"received_minor": t.received_minor, "spent_minor": t.spent_minor} for t in data.totals},
        "data": {**doc, "_agora_needs": needs},
        "published": data.published or datetime.now(timezone.utc), "updated": data.updated,
        # Every language as sent, the initiative's own first (titles and summaries are text, escaped
        # when shown; HTML is sanitized value by value).
        "name_map": with_default(data.language, data.title[:300], {k: v[:300] for k, v in data.name_map.items()})
        if data.name_map else None,
        "summary_map": with_default(data.language, data.summary, data.summary_map) if data.summary_map else None,
        "content_map": with_default(data.language, clean_html(data.content_html),
                                    {k: clean_html(v) for k, v in data.content_map.items()}) if data.content_map else None,
    }


async def _store_needs(initiative: Initiative, data: wire.InitiativeData) -> None:
    await Need.filter(initiative=initiative).delete()
    for i, need in enumerate(data.needs[:50]):
        await Need.create(
            initiative=initiative, kind=need.kind[:16], title=need.title[:300], description=need.description,
            skills=list(need.skills), quantity=need.quantity, goal_minor=need.goal.minor if need.goal else None,
            currency=need.goal.currency if need.goal else None, position=i,
        )


async def store_initiative(node: Node, actor: Actor, doc: dict[str, Any]) -> Initiative | None:
    """Insert or update a remote initiative and its needs; malformed or unrelated ones are dropped."""
    try:
        data = wire.parse_initiative(doc)
    except vocab.VocabError as exc:
        log.info("initiative from %s refused: %s", actor.uri, exc)
        return None
    if vocab.host_of(data.id) != actor.domain or data.organizer != actor.uri:
        log.info("initiative %s refused: not published by its sender %s", data.id, actor.uri)
        return None
    if node.urls.is_local(data.id) or not await is_followed(actor):
        return None

    async def needs(initiative: Initiative) -> None:
        await _store_needs(initiative, data)

    return await store_version(Initiative, data.id, _values(data, actor, doc), owner_id=actor.id,
                               updated=data.updated, written=needs)

async def forget_initiative(actor: Actor, uri: str) -> bool:
    """A remote Delete of an initiative: True when it was one to forget."""
    return bool(await Initiative.filter(uri=uri, local=False, organizer=actor).delete())


async def network_initiatives(*, kind: str | None = None, status: str | None = None) -> list[Initiative]:
    """The network initiatives, newest first, optionally filtered."""
    query = Initiative.filter(local=False, deleted_at=None)
    if kind:
        query = query.filter(kind=kind)
    if status:
        query = query.filter(status=status)
    return await query.order_by("-published").prefetch_related("organizer")
