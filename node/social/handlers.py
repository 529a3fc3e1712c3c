"""Inbound activities of the social feature: follows, likes and boosts of posts, notes and their edits
and deletions. Most run last (stage REST): they take what no other feature claimed."""

from __future__ import annotations

import logging

from federation import remote
from federation import vocab
from node.activitypub.registry import REST, Doc, handles, handles_object
from node.core.models import Actor
from node.core.runtime import Node
from node.social import followers, interactions, notes
from node.social.groups import relay_to_group

log = logging.getLogger("agora.inbox")


@handles("Follow")
async def on_follow(node: Node, actor: Actor, doc: Doc) -> bool:
    await followers.receive_follow(node, actor, doc)
    return True


@handles("Accept", stage=REST)
async def on_accept(node: Node, actor: Actor, doc: Doc) -> bool:
    ref = vocab.id_of(doc.get("object"))
    if ref:
        await followers.follow_answered(actor, ref, accepted=True)
    return True


@handles("Reject", stage=REST)
async def on_reject(node: Node, actor: Actor, doc: Doc) -> bool:
    ref = vocab.id_of(doc.get("object"))
    if ref:
        await followers.follow_answered(actor, ref, accepted=False)
    return True


@handles("Undo")
async def on_undo_follow(node: Node, actor: Actor, doc: Doc) -> bool:
    return await followers.undo_follow(node, actor, doc.get("object"))


@handles("Undo", stage=REST)
async def on_undo(node: Node, actor: Actor, doc: Doc) -> bool:
    """The Undo of a like or a boost (what is left once the features looked at it)."""
    ref = vocab.id_of(doc.get("object"))
    if ref:
        await interactions.withdraw(actor, ref)
    return True


@handles("Like", "EmojiReact", stage=REST)
async def on_like(node: Node, actor: Actor, doc: Doc) -> bool:
    await interactions.interact(actor, doc, "Like")
    return True


@handles("Announce", stage=REST)
async def on_announce(node: Node, actor: Actor, doc: Doc) -> bool:
    await interactions.interact(actor, doc, "Announce")
    return True


@handles_object("Create", stage=REST)
async def on_create(node: Node, actor: Actor, doc: Doc, obj: Doc) -> bool:
    if vocab.type_of(obj) not in remote.CONTENT_TYPES:
        return True
    try:
        post = await notes.store_note(node, actor, obj)
    except vocab.VocabError as exc:
        log.info("Create from %s ignored: %s", actor.uri, exc)
        return True
    if post is not None and not post.held:
        await relay_to_group(node, actor, post)
    return True


@handles_object("Update", stage=REST)
async def on_update(node: Node, actor: Actor, doc: Doc, obj: Doc) -> bool:
    if vocab.type_of(obj) not in remote.CONTENT_TYPES:
        return True
    try:  # an Update of a post not seen yet is stored like a Create, when it concerns us
        await notes.store_note(node, actor, obj)
    except vocab.VocabError as exc:
        log.info("Update from %s ignored: %s", actor.uri, exc)
    return True


@handles("Delete", stage=REST)
async def on_delete(node: Node, actor: Actor, doc: Doc) -> bool:
    ref = vocab.id_of(doc.get("object"))
    if ref:
        await notes.delete_note(actor, ref)
    return True
