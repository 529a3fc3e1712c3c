"""The network board: the opportunities of the associations a local actor follows, received from
other Agora nodes (local=False), kept while they are open and dropped when they close, expire or are
deleted; and the board's queries (filters by kind, place and language, search)."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

from federation import opportunities as wire
from federation import vocab
from node.core.models import Actor, Follow
from node.core.multilingual import normalize_tag
from node.core.remote_store import store_version
from node.core.runtime import Node
from node.core.sanitize import clean_html, plain_text
from node.opportunities.models import Opportunity
from node.opportunities.money import asks_for_money, folded

log = logging.getLogger("agora.opportunities")
PAGE = 50


async def is_followed(actor: Actor) -> bool:
    return await Follow.filter(follower__local=True, target__uri=actor.uri, state="accepted").exists()


def _values(data: wire.OpportunityData, actor: Actor, doc: dict[str, Any]) -> dict[str, Any]:
    content = clean_html(data.content_html)
    contents = {k: clean_html(v) for k, v in data.content_map.items()}
    language = normalize_tag(data.language) if data.language else None
    names = {language: data.title[:300], **{k: v[:300] for k, v in data.name_map.items()}} if data.name_map and language else None
    texts = [data.title, *data.name_map.values(), plain_text(content, 20_000),
             *(plain_text(v, 20_000) for v in contents.values())]
    return {
        "organizer": actor, "url": data.url, "title": data.title[:300], "content": content, "kind": data.kind,
        "purpose": data.purpose, "place_kind": data.place_kind, "place_name": data.place_name[:300],
        "starts": data.starts, "ends": data.ends, "expires": data.expires, "status": "open",
        "language": language, "languages": [normalize_tag(t) for t in data.languages], "tags": list(data.tags),
        "name_map": names, "content_map": {language: content, **contents} if contents and language else None,
        "asks_money": asks_for_money(*texts), "search_text": folded(" ".join(texts))[:50_000], "data": doc,
        "published": data.published or datetime.now(timezone.utc), "updated": data.updated,
    }


async def store_opportunity(node: Node, actor: Actor, doc: dict[str, Any]) -> Opportunity | None:
    """Insert or update a remote opportunity; a closed or expired one is dropped from the board."""
    try:
        data = wire.parse_opportunity(doc)
    except vocab.VocabError as exc:
        log.info("opportunity from %s refused: %s", actor.uri, exc)
        return None
    if vocab.host_of(data.id) != actor.domain or data.organizer != actor.uri:
        log.info("opportunity %s refused: not published by its sender %s", data.id, actor.uri)
        return None
    if node.urls.is_local(data.id):
        return None
    if data.status == "closed" or data.expires <= datetime.now(timezone.utc):
        await forget_opportunity(actor, data.id)
        return None
    if not await is_followed(actor):
        return None
    return await store_version(Opportunity, data.id, _values(data, actor, doc), owner_id=actor.id, updated=data.updated)


async def forget_opportunity(actor: Actor, uri: str) -> bool:
    """A remote Delete (or closing) of an opportunity: True when there was one to forget."""
    return bool(await Opportunity.filter(uri=uri, local=False, organizer=actor).delete())


async def board(*, local: bool, kind: str = "", place: str = "", language: str = "", query: str = "",
                limit: int = PAGE) -> list[Opportunity]:
    """Open opportunities, newest first: ours or the network's, filtered (expired ones are left out
    even before their job closes them)."""
    rows = Opportunity.filter(local=local, status="open", expires__gt=datetime.now(timezone.utc))
    if kind:
        rows = rows.filter(kind=kind)
    if place:
        rows = rows.filter(place_kind=place)
    if query.strip():
        for word in folded(query).split()[:8]:
            rows = rows.filter(search_text__contains=word)
    found = await rows.order_by("-published").limit(limit * 4 if language else limit).prefetch_related("organizer")
    if language:
        wanted = normalize_tag(language)
        found = [o for o in found if o.language == wanted or wanted in (o.languages or [])
                 or wanted in (o.content_map or {}) or wanted in (o.name_map or {})][:limit]
    return found
