"""Inbound activities of the forum (stage OWN, claiming only forum activities): posts, edits,
deletions and likes in our threads (node/forum/inbound.py), and what the categories of other
servers that members follow announce or moderate (node/forum/mirror.py)."""

from __future__ import annotations

from node.activitypub.registry import Doc, handles, handles_object
from node.core.models import Actor
from node.core.runtime import Node
from node.forum import inbound, mirror


@handles_object("Create")
async def on_create(node: Node, actor: Actor, doc: Doc, obj: Doc) -> bool:
    return await inbound.receive_post(node, actor, doc, obj)


@handles_object("Update")
async def on_update(node: Node, actor: Actor, doc: Doc, obj: Doc) -> bool:
    return await inbound.receive_update(node, actor, doc, obj) or await mirror.receive_update(node, actor, obj)


@handles("Delete")
async def on_delete(node: Node, actor: Actor, doc: Doc) -> bool:
    return await inbound.receive_delete(node, actor, doc) or await mirror.direct_moderation(actor, doc)


@handles("Like")
async def on_like(node: Node, actor: Actor, doc: Doc) -> bool:
    return await inbound.receive_like(actor, doc)


@handles("Undo")
async def on_undo(node: Node, actor: Actor, doc: Doc) -> bool:
    return await inbound.receive_undo_like(actor, doc) or await mirror.direct_moderation(actor, doc)


@handles("Announce")
async def on_announce(node: Node, actor: Actor, doc: Doc) -> bool:
    return await mirror.receive_announce(node, actor, doc)


@handles("Lock")
async def on_lock(node: Node, actor: Actor, doc: Doc) -> bool:
    await mirror.direct_moderation(actor, doc)
    return True


@handles("Move", "Remove")
async def on_move(node: Node, actor: Actor, doc: Doc) -> bool:
    await mirror.move(actor, doc)
    return True
