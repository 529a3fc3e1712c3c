"""The forum's approval queue: the held topics and replies of the categories a member moderates,
approved or rejected. Audited like every moderation action."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from node.core import audit
from node.core.models import Actor, Post, User
from node.core.runtime import Node
from node.forum import threads
from node.forum.access import ForumError
from node.forum.moderation import N_, check_moderator, moderated_categories, place
from node.forum.models import Entry, Topic


async def queue(user: User | None, limit: int = 200) -> list[Entry]:
    """The held topics and replies of the categories this member moderates, oldest first (with
    post, author, topic and category)."""
    categories = await moderated_categories(user)
    query = Entry.filter(held=True, post__deleted_at=None)
    if categories is not None:
        query = query.filter(topic__category_id__in=[c.id for c in categories])
    return list(await query.order_by("created_at", "id").limit(limit)
                .prefetch_related("post", "post__author", "topic", "topic__category"))


async def approve(node: Node, entry: Entry, user: User) -> None:
    """Let a held topic or reply through (threads.approve): published or shown, announced."""
    topic, category, post = await place(entry)
    await check_moderator(user, category)
    if not entry.held:
        raise ForumError(N_("This post was handled already."))
    await threads.approve(node, entry)
    await audit.record(user, "forum.held.approve", post.uri, topic=threads.topic_url(node, topic.slug),
                       category=category.slug, opening=entry.position == 0)


async def reject(node: Node, entry: Entry, user: User) -> None:
    """Refuse a held topic or reply: it was never shown, so it is deleted here (a held topic with
    its thread)."""
    topic, category, post = await place(entry)
    await check_moderator(user, category)
    if not entry.held:
        raise ForumError(N_("This post was handled already."))
    author = await Actor.get(id=post.author_id)
    async with in_transaction():
        if entry.position == 0:
            posts = await Entry.filter(topic_id=topic.id).values_list("post_id", flat=True)
            await topic.delete()
            await Post.filter(id__in=list(posts)).delete()
        else:
            await post.delete()
        if entry.position != 0:
            await threads.recount(topic.id)
        else:
            await threads.recount_category(category.id)
        await audit.record(user, "forum.held.reject", post.uri, topic=threads.topic_url(node, topic.slug),
                           category=category.slug, author=author.uri, opening=entry.position == 0)


async def entry_at(topic: Topic, position: int) -> Entry | None:
    return await Entry.get_or_none(topic=topic, position=position)
