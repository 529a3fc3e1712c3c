"""Inbound activities of the opportunity board: the opportunities of the network (Create, Update and
Delete of opportunity Notes from the associations we follow), and answers: a Fediverse account's
reply to one of our opportunities (or to the poster's direct reply) is kept as an answer for the
poster, never shown in public."""

from __future__ import annotations

from federation import opportunities as wire
from federation import vocab
from node.activitypub.registry import Doc, handles, handles_object
from node.core.models import Actor
from node.core.runtime import Node
from node.opportunities import network
from node.opportunities.answers import remote_answer
from node.opportunities.models import Answer, Opportunity


async def _replied(node: Node, obj: Doc) -> Opportunity | None:
    """The local opportunity a note answers: directly, or through the poster's reply it answers."""
    target = vocab.id_of(obj.get("inReplyTo"))
    if target is None or not node.urls.is_local(target):
        return None
    found = await Opportunity.get_or_none(uri=target, local=True)
    if found is not None:
        return found
    earlier = await Answer.get_or_none(uri=target, from_poster=True)
    return await Opportunity.get_or_none(id=earlier.opportunity_id) if earlier is not None else None


@handles_object("Create", "Update")
async def on_opportunity(node: Node, actor: Actor, doc: Doc, obj: Doc) -> bool:
    """An opportunity Note of the network, or an answer to one of ours."""
    if wire.is_opportunity(obj):
        await network.store_opportunity(node, actor, obj)
        return True
    if vocab.type_of(doc) != "Create" or vocab.type_of(obj) not in ("Note", "Article", "Page"):
        return False
    opportunity = await _replied(node, obj)
    if opportunity is None:
        return False
    await remote_answer(node, actor, opportunity, obj)
    return True  # kept for the poster only: not a public reply


@handles("Delete")
async def on_delete(node: Node, actor: Actor, doc: Doc) -> bool:
    ref = vocab.id_of(doc.get("object"))
    return ref is not None and await network.forget_opportunity(actor, ref)
