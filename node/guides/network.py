"""Guides from the network: the guides of associations that a local actor follows, received as
Create/Update/Delete of their Articles (recognised by `guideTopic`, wire.is_guide), stored apart from
ours (local=False) under a row lock (core/remote_store.py), listed and searched at /guides/network."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

from federation import fields as wire_fields
from federation import vocab
from node.core.models import Actor, Follow
from node.core.remote_store import store_version
from node.core.runtime import Node
from node.core.sanitize import clean_html, plain_text
from node.guides.models import Guide
from node.guides.wire import TOPIC

log = logging.getLogger("agora.guides")
MAX_CONTENT = wire_fields.MAX_CONTENT


async def is_followed(actor: Actor) -> bool:
    return await Follow.filter(follower__local=True, target__uri=actor.uri, state="accepted").exists()


def guide_values(doc: dict[str, Any], actor: Actor) -> dict[str, Any] | None:
    """The columns of a received guide, or None when it is not one we keep."""
    object_id = vocab.id_of(doc)
    topic = doc.get("guideTopic")
    if object_id is None or not isinstance(topic, str) or not TOPIC.fullmatch(topic):
        return None
    language = wire_fields.object_language(doc)
    title = wire_fields.clean(wire_fields.first_text(doc, "name"), 300)
    content = clean_html(wire_fields.clean(wire_fields.first_text(doc, "content"), MAX_CONTENT))
    if not title or not content:
        return None
    names = {k: v.strip()[:300] for k, v in vocab.language_map(doc.get("nameMap"), 300).items()}
    contents = {k: clean_html(v) for k, v in vocab.language_map(doc.get("contentMap"), MAX_CONTENT).items()}
    slug = doc.get("guideSlug")
    return {
        "organizer": actor, "url": wire_fields.page_url(doc, object_id), "topic": topic,
        "slug": slug[:100] if isinstance(slug, str) and slug else object_id.rsplit("/", 1)[-1][:100],
        "title": title, "content": content, "summary": plain_text(content, 280), "language": language,
        "name_map": wire_fields.with_default(language, title, names) if len(names) > 1 else None,
        "content_map": wire_fields.with_default(language, content, contents) if len(contents) > 1 else None,
        "published": vocab.parse_datetime(doc.get("published")) or datetime.now(timezone.utc),
        "updated": vocab.parse_datetime(doc.get("updated")), "data": {"attributedTo": actor.uri},
    }


async def store_guide(node: Node, actor: Actor, doc: dict[str, Any]) -> Guide | None:
    """Insert or update a followed association's guide; others are dropped (logged)."""
    object_id = vocab.id_of(doc) or ""
    if vocab.host_of(object_id) != actor.domain or vocab.id_of(doc.get("attributedTo")) != actor.uri:
        log.info("guide %s refused: not published by its sender %s", object_id, actor.uri)
        return None
    if node.urls.is_local(object_id) or not await is_followed(actor):
        return None
    values = guide_values(doc, actor)
    if values is None:
        log.info("guide %s from %s refused: no topic, title or text", object_id, actor.uri)
        return None
    return await store_version(Guide, object_id, values, owner_id=actor.id, updated=values["updated"])


async def forget_guide(actor: Actor, uri: str) -> bool:
    """A remote Delete of a guide: True when it was one to forget."""
    return bool(await Guide.filter(uri=uri, local=False, organizer=actor).delete())


def _matches(guide: Guide, query: str) -> bool:
    needle = query.casefold()
    texts = [guide.title, plain_text(guide.content, 50_000)]
    for mapped in (guide.name_map, guide.content_map):
        if isinstance(mapped, dict):
            texts += [plain_text(str(v), 50_000) for v in mapped.values()]
    return any(needle in text.casefold() for text in texts)


async def network_guides(query: str = "", topic: str = "") -> list[Guide]:
    """The network's guides, newest first, optionally of one topic and containing `query` (in any of
    their languages)."""
    rows = Guide.filter(local=False, deleted_at=None)
    if topic:
        rows = rows.filter(topic=topic)
    found = await rows.order_by("-updated", "-published").limit(2000).prefetch_related("organizer")
    return [g for g in found if _matches(g, query)] if query else found
