"""Inbound activities of the federation policy: the relays' answers to our Follows."""

from __future__ import annotations

from federation import vocab
from node.activitypub.registry import Doc, handles
from node.core.models import Actor
from node.core.runtime import Node
from node.policy import relays


@handles("Accept")
async def on_accept(node: Node, actor: Actor, doc: Doc) -> bool:
    ref = vocab.id_of(doc.get("object"))
    return ref is not None and await relays.answered(actor, ref, accepted=True)


@handles("Reject")
async def on_reject(node: Node, actor: Actor, doc: Doc) -> bool:
    ref = vocab.id_of(doc.get("object"))
    return ref is not None and await relays.answered(actor, ref, accepted=False)
