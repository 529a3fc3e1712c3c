"""Inbound activities of guides: Create and Update of an Agora guide Article from a followed
association (stored among the network guides), and its Delete."""

from __future__ import annotations

from federation import vocab
from node.activitypub.registry import Doc, handles, handles_object
from node.core.models import Actor
from node.core.runtime import Node
from node.guides import network
from node.guides.wire import is_guide


@handles_object("Create", "Update")
async def on_guide(node: Node, actor: Actor, doc: Doc, obj: Doc) -> bool:
    if not is_guide(obj):
        return False
    await network.store_guide(node, actor, obj)
    return True


@handles("Delete")
async def on_delete(node: Node, actor: Actor, doc: Doc) -> bool:
    ref = vocab.id_of(doc.get("object"))
    return ref is not None and await network.forget_guide(actor, ref)
