"""A post's counters are counted from the rows and written in one step: a reply and a Like handled at
once (two jobs, on PostgreSQL two connections) can no longer leave a count read before the other's
row was committed."""

from __future__ import annotations

import asyncio
import os
from datetime import datetime, timezone

import asyncpg
import pytest

from node.core.models import Interaction, Post
from node.core.runtime import Node
from node.posts.content import Draft, create_post
from node.social.interactions import recount, recount_kind
from tests.conftest import member


async def test_recount_counts_likes_boosts_and_visible_replies(node: Node) -> None:
    amal, _ = await member(node, "amal")
    bob, _ = await member(node, "bob")
    with node.ctx:
        post = await create_post(node, amal, Draft(text="Count me"))
        for n, (kind, actor) in enumerate([("Like", amal), ("Like", bob), ("Announce", amal)]):
            await Interaction.create(uri=f"https://b.test/i/{n}", kind=kind, actor=actor, post=post)
        replies = [await create_post(node, amal, Draft(text=f"reply {n}", in_reply_to=post.uri)) for n in range(4)]
        await Post.filter(id=replies[0].id).update(deleted_at=datetime.now(timezone.utc))
        await Post.filter(id=replies[1].id).update(held=True)  # waiting for a moderator: not counted
        await Post.filter(id=post.id).update(like_count=9, announce_count=9, reply_count=9)
        await recount(post.id)
        row = await Post.get(id=post.id)
        assert (row.like_count, row.announce_count, row.reply_count) == (2, 1, 2)
        await Interaction.filter(kind="Like").delete()
        await recount_kind(post.id, "Like")
        row = await Post.get(id=post.id)
        assert (row.like_count, row.announce_count, row.reply_count) == (0, 1, 2)


@pytest.mark.skipif(not os.environ.get("AGORA_TEST_DATABASE_URL"), reason="the PostgreSQL lane (make test-postgres) runs it")
async def test_a_recount_waiting_for_the_posts_row_counts_what_was_committed_meanwhile(node: Node) -> None:
    """Another connection holds the post's row (as a concurrent recount does); a Like is committed
    while the recount waits. The old recount had counted before waiting and wrote back 0."""
    amal, _ = await member(node, "amal")
    with node.ctx:
        post = await create_post(node, amal, Draft(text="Count me"))
    url = node.settings.resolved_database_url.replace("postgres://", "postgresql://", 1)
    holder = await asyncpg.connect(url)
    try:
        holding = holder.transaction()
        await holding.start()
        await holder.execute("SELECT id FROM posts WHERE id = $1 FOR NO KEY UPDATE", post.id)
        with node.ctx:
            waiting = asyncio.create_task(recount(post.id))
            await asyncio.sleep(0.3)
            assert not waiting.done()  # it waits for the row
            await Interaction.create(uri="https://b.test/likes/1", kind="Like", actor=amal, post=post)
        await holding.commit()
        with node.ctx:
            await asyncio.wait_for(waiting, 30)
            assert (await Post.get(id=post.id)).like_count == 1
    finally:
        await holder.close()
