"""Likes and boosts of posts received from other servers, and the counters they feed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from federation import vocab
from node.core import sql
from node.core.models import Actor, Interaction, Post


_COUNT = {
    "like_count": "(SELECT COUNT(*) FROM interactions WHERE interactions.post_id = posts.id AND interactions.kind = 'Like')",
    "announce_count": "(SELECT COUNT(*) FROM interactions WHERE interactions.post_id = posts.id AND interactions.kind = 'Announce')",
    "reply_count": "(SELECT COUNT(*) FROM posts AS reply WHERE reply.in_reply_to_id = posts.id"
                   " AND reply.deleted_at IS NULL AND NOT reply.held)",
}
COUNTERS = {"Like": "like_count", "Announce": "announce_count"}


async def _recount(post_id: int, columns: tuple[str, ...]) -> None:
    """Counted and written in one statement, on PostgreSQL after taking the post's row lock: two jobs
    recounting one post at once (a reply and a Like of it) can no longer write back a count read
    before the other's row was committed. The UPDATE is a statement of its own after the lock, so it
    counts what was committed until then (READ COMMITTED). NO KEY UPDATE: new likes and replies
    of the post (their foreign keys take KEY SHARE) do not wait for it."""
    conn = connections.get("default")
    sets = ", ".join(f"{column} = {_COUNT[column]}" for column in columns)
    if conn.capabilities.dialect == "sqlite":  # one writer at a time: the statement is enough
        await conn.execute_query(f"UPDATE posts SET {sets} WHERE id = ?", [post_id])
        return
    async with in_transaction() as tx:
        await tx.execute_query("SELECT id FROM posts WHERE id = $1 FOR NO KEY UPDATE", [post_id])
        await tx.execute_query(f"UPDATE posts SET {sets} WHERE id = $1", [post_id])


async def recount(post_id: int) -> None:
    """Recount a post's likes, boosts and (visible) replies from the rows."""
    await _recount(post_id, ("like_count", "announce_count", "reply_count"))


async def recount_kind(post_id: int, kind: str) -> None:
    """Recount one kind of interaction of a post (a Like or an Undo of one changes only the likes)."""
    await _recount(post_id, (COUNTERS[kind],))


async def interact(actor: Actor, doc: Mapping[str, Any], kind: str) -> None:
    """A Like or an Announce (`kind`) of one of the posts we have; the same one again changes nothing."""
    ref = vocab.id_of(doc.get("object"))
    post = await sql.get(Post, uri=ref, deleted_at=None) if ref else None
    if post is None:
        return
    try:
        await Interaction.create(uri=doc["id"], kind=kind, actor=actor, post=post)
    except IntegrityError:
        return  # the same like or boost again
    await recount_kind(post.id, kind)


async def withdraw(actor: Actor, uri: str) -> None:
    """An Undo of one of the actor's likes or boosts."""
    interaction = await Interaction.get_or_none(uri=uri, actor=actor)
    if interaction is not None:
        post_id, kind = interaction.post_id, interaction.kind
        await interaction.delete()
        if kind in COUNTERS:
            await recount_kind(post_id, kind)
        else:
            await recount(post_id)
