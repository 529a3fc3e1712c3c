"""Inbound activities about accounts: a remote actor's profile Update, and its Delete of itself."""

from __future__ import annotations

from federation import vocab
from node.accounts.actors import forget_actor, store_remote_actor
from node.activitypub.registry import Doc, handles, handles_object
from node.core.models import Actor
from node.core.runtime import Node


@handles_object("Update")
async def on_update(node: Node, actor: Actor, doc: Doc, obj: Doc) -> bool:
    if vocab.type_of(obj) not in vocab.ACTOR_TYPES:
        return False
    if vocab.id_of(obj) == actor.uri:  # an actor updates itself only
        await store_remote_actor(obj, source_url=actor.uri)
    return True


@handles("Delete")
async def on_delete(node: Node, actor: Actor, doc: Doc) -> bool:
    if vocab.id_of(doc.get("object")) != actor.uri:
        return False
    await forget_actor(actor)
    return True
