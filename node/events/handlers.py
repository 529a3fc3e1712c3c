"""Inbound activities of events: Join and Leave of our events, the answers to our members' Joins, the
Undo of a Join, and the events of the network calendar (Create, Update, Delete)."""

from __future__ import annotations

import logging

from federation import vocab
from node.activitypub.registry import Doc, handles, handles_object
from node.core.models import Actor
from node.core.runtime import Node
from node.events import network
from node.events.inputs import EventError
from node.events.models import Event, Participation
from node.events.participation import answered, join, leave, recount, refuse_join

log = logging.getLogger("agora.inbox")


@handles("Join")
async def on_join(node: Node, actor: Actor, doc: Doc) -> bool:
    ref = vocab.id_of(doc.get("object"))
    event = await Event.get_or_none(uri=ref, local=True, deleted_at=None) if ref else None
    if event is None:
        return True
    message = vocab.text(doc.get("participationMessage"), 2000)
    try:
        await join(node, event, actor, uri=doc["id"], message=message)
    except EventError as exc:
        log.info("Join of %s by %s refused: %s", event.uri, actor.uri, exc)
        await refuse_join(node, event, actor, doc["id"])
    return True


@handles("Leave")
async def on_leave(node: Node, actor: Actor, doc: Doc) -> bool:
    ref = vocab.id_of(doc.get("object"))
    event = await Event.get_or_none(uri=ref, local=True) if ref else None
    if event is not None:
        await leave(node, event, actor)
    return True


@handles("Accept")
async def on_accept(node: Node, actor: Actor, doc: Doc) -> bool:
    ref = vocab.id_of(doc.get("object"))
    return ref is not None and await answered(actor, ref, accepted=True)


@handles("Reject")
async def on_reject(node: Node, actor: Actor, doc: Doc) -> bool:
    ref = vocab.id_of(doc.get("object"))
    return ref is not None and await answered(actor, ref, accepted=False)


@handles("Undo")
async def on_undo_join(node: Node, actor: Actor, doc: Doc) -> bool:
    obj = doc.get("object")
    ref = vocab.id_of(obj)
    if ref is None or vocab.type_of(obj) != "Join":
        return False
    await Participation.filter(uri=ref, actor=actor).delete()
    event = await Event.get_or_none(uri=vocab.id_of(obj.get("object")) if isinstance(obj, dict) else None)
    if event is not None:
        await recount(event)
    return True


@handles_object("Create", "Update")
async def on_event(node: Node, actor: Actor, doc: Doc, obj: Doc) -> bool:
    if vocab.type_of(obj) != "Event":
        return False
    await network.store_event(node, actor, obj)
    return True


@handles("Delete")
async def on_delete(node: Node, actor: Actor, doc: Doc) -> bool:
    ref = vocab.id_of(doc.get("object"))
    return ref is not None and await network.forget_event(actor, ref)
