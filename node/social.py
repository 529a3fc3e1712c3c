"""Local actors following remote ones (the association follows other associations)."""

from __future__ import annotations

import secrets

from tortoise.transactions import in_transaction

from federation import vocab
from node.delivery import publish
from node.models import Actor, Follow
from node.runtime import Node


async def follow(node: Node, follower: Actor, target: Actor) -> Follow:
    """Send a Follow; the row stays pending until the target's Accept arrives."""
    if target.local:
        raise ValueError("local actors are followed directly, not over federation")
    existing = await Follow.get_or_none(follower=follower, target=target)
    if existing is not None:
        return existing
    uri = f"{follower.uri}#follows/{secrets.token_hex(8)}"
    async with in_transaction():
        row = await Follow.create(uri=uri, follower=follower, target=target, state="pending")
        doc = vocab.activity("Follow", uri, follower.uri, target.uri, to=[target.uri])
        await publish(node, follower, doc, followers=False, recipients=[target.uri])
    return row


async def unfollow(node: Node, follower: Actor, target: Actor) -> None:
    row = await Follow.get_or_none(follower=follower, target=target)
    if row is None:
        return
    async with in_transaction():
        await row.delete()
        follow_doc = {"id": row.uri, "type": "Follow", "actor": follower.uri, "object": target.uri}
        doc = vocab.activity("Undo", f"{row.uri}/undo", follower.uri, follow_doc, to=[target.uri])
        await publish(node, follower, doc, followers=False, recipients=[target.uri])
