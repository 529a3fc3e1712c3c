"""Inbound activities of initiatives: a Like of ours is support (its Undo withdraws it), and the
initiatives of the network (Create, Update, Delete of initiative Articles)."""

from __future__ import annotations

from federation import initiatives as wire
from federation import remote
from federation import vocab
from node.activitypub.registry import Doc, handles, handles_object
from node.core.models import Actor
from node.core.runtime import Node
from node.initiatives import network
from node.initiatives.support import liked, unliked


@handles("Like", "EmojiReact")
async def on_like(node: Node, actor: Actor, doc: Doc) -> bool:
    return await liked(node, actor, doc)  # a Like of one of our initiatives counts as support


@handles("Undo")
async def on_unlike(node: Node, actor: Actor, doc: Doc) -> bool:
    obj = doc.get("object")
    ref = vocab.id_of(obj)
    if ref is None or vocab.type_of(obj) not in ("Like", "EmojiReact", ""):
        return False
    return await unliked(actor, ref)  # support of an initiative withdrawn


@handles_object("Create", "Update")
async def on_initiative(node: Node, actor: Actor, doc: Doc, obj: Doc) -> bool:
    """An initiative Article: stored among the network initiatives (when its sender is followed)."""
    if vocab.type_of(obj) not in remote.CONTENT_TYPES or not wire.is_initiative(obj):
        return False
    await network.store_initiative(node, actor, obj)
    return True


@handles("Delete")
async def on_delete(node: Node, actor: Actor, doc: Doc) -> bool:
    ref = vocab.id_of(doc.get("object"))
    return ref is not None and await network.forget_initiative(actor, ref)
