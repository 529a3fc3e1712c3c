"""Local actors following remote ones (the association follows other associations)."""

from __future__ import annotations

import secrets

from tortoise.transactions import in_transaction

from federation import remote
from federation import vocab
from node.social.delivery import publish
from node.core.models import Activity, Actor, Follow, Post
from node.core.runtime import Node


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


async def _post_author(node: Node, post_uri: str) -> str:
    post = await Post.get_or_none(uri=post_uri)
    if post is not None:
        return (await Actor.get(id=post.author_id)).uri
    doc = await node.client.get_json(post_uri, signer=node.instance_signer)
    return remote.parse_note(doc).attributed_to


async def like(node: Node, actor: Actor, post_uri: str) -> str:
    """Like a post (usually a remote one); returns the Like's id, for Undo."""
    author = await _post_author(node, post_uri)
    uri = f"{actor.uri}#likes/{secrets.token_hex(8)}"
    await publish(node, actor, vocab.activity("Like", uri, actor.uri, post_uri, to=[author]),
                  followers=False, recipients=[author])
    return uri


async def boost(node: Node, actor: Actor, post_uri: str) -> str:
    """Announce a post to the actor's followers and its author; returns the Announce's id."""
    author = await _post_author(node, post_uri)
    uri = f"{actor.uri}#announces/{secrets.token_hex(8)}"
    doc = vocab.activity("Announce", uri, actor.uri, post_uri, to=[vocab.PUBLIC],
                         cc=[author, actor.followers_url])
    await publish(node, actor, doc, recipients=[author])
    return uri


async def undo(node: Node, actor: Actor, activity_uri: str) -> None:
    """Undo one of the actor's earlier Like or Announce activities."""
    record = await Activity.get(uri=activity_uri, actor_uri=actor.uri, outgoing=True)
    inner = {k: v for k, v in record.data.items() if k != "@context"}
    doc = vocab.activity("Undo", f"{activity_uri}/undo", actor.uri, inner, to=inner.get("to"), cc=inner.get("cc"))
    await publish(node, actor, doc, followers=record.kind == "Announce", recipients=vocab.ids_of(inner.get("to")))
