"""Likes and boosts of posts received from other servers, and the counters they feed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tortoise.exceptions import IntegrityError

from federation import vocab
from node.core.models import Actor, Interaction, Post


async def recount(post_id: int) -> None:
    """Recount a post's likes, boosts and (visible) replies from the rows."""
    likes = await Interaction.filter(post_id=post_id, kind="Like").count()
    boosts = await Interaction.filter(post_id=post_id, kind="Announce").count()
    replies = await Post.filter(in_reply_to_id=post_id, deleted_at=None, held=False).count()
    await Post.filter(id=post_id).update(like_count=likes, announce_count=boosts, reply_count=replies)


COUNTERS = {"Like": "like_count", "Announce": "announce_count"}


async def recount_kind(post_id: int, kind: str) -> None:
    """Recount one kind of interaction of a post (a Like or an Undo of one changes only the likes:
    two statements instead of recount's four, on the inbox's busiest path)."""
    total = await Interaction.filter(post_id=post_id, kind=kind).count()
    await Post.filter(id=post_id).update(**{COUNTERS[kind]: total})


async def interact(actor: Actor, doc: Mapping[str, Any], kind: str) -> None:
    """A Like or an Announce (`kind`) of one of the posts we have; the same one again changes nothing."""
    ref = vocab.id_of(doc.get("object"))
    post = await Post.get_or_none(uri=ref, deleted_at=None) if ref else None
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
