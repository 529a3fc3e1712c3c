"""Topics and replies: starting, replying, editing (with history) and deleting, for members here and
for what accounts of other servers post into a category or a thread.

Every post of a thread is a `Post` (a topic's opening post a titled `Page`, replies `Note`s) whose
`context` is the topic's URL (FEP-7888) and whose `audience` is the category's Group actor (FEP-1b12);
the category `Announce`s each new one to its followers. Members-only categories keep everything here."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from federation import vocab
from node.core import i18n
from node.core.models import Actor, Activity, Post, User
from node.core.runtime import Node
from node.forum import subscriptions
from node.forum.access import ForumError, must_wait
from node.forum.models import Category, Entry, Revision, Topic
from node.posts.content import MEMBERS, ContentError, Draft, create_post, delete_post, new_slug, publish_post, update_post
from node.social.delivery import publish

_l = i18n.lazy  # ForumError messages are translated where a page shows them (str() in its language)

PER_PAGE = 20


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def topic_url(node: Node, slug: str) -> str:
    """A topic's address: its thread page in HTML, its context collection in AS2."""
    return f"{node.urls.base}/topics/{slug}"


async def _group_uri(category: Category) -> str | None:
    if category.read_access != "public" or not category.actor_id:
        return None
    return (await Actor.get(id=category.actor_id)).uri


async def _forum_draft(node: Node, category: Category, draft: Draft, *, slug: str, held: bool) -> Draft:
    public = category.read_access == "public"
    return replace(
        draft, visibility="public" if public else MEMBERS, group=await _group_uri(category),
        context=topic_url(node, slug), publish=draft.publish and not held, audience=(),
    )


async def start_topic(node: Node, author: Actor, category: Category, draft: Draft) -> Topic:
    """A new topic; its opening post waits for approval when the category holds newcomers' first
    posts, and stays a draft when the draft says so. Raises ForumError or ContentError."""
    if not draft.title.strip():
        raise ForumError(_l("A topic needs a title."))
    held = await must_wait(author, category)
    slug = new_slug()
    draft = await _forum_draft(node, category, replace(draft, kind="Page", in_reply_to=None, url=topic_url(node, slug)),
                               slug=slug, held=held)
    now = utcnow()
    async with in_transaction():
        post = await create_post(node, author, draft)
        topic = await Topic.create(
            slug=slug, category=category, post=post, title=draft.title.strip(), title_map=(post.data or {}).get("name_map"),
            held=held, last_activity_at=now,
        )
        await Entry.create(topic=topic, post=post, position=0, held=held)
        if not post.draft:
            await _went_live(node, category, topic, post)
    return topic


async def reply(node: Node, author: Actor, topic: Topic, draft: Draft, parent: Post | None = None) -> Entry:
    """A reply in a thread (to the topic, or to one of its posts). Locked and removed topics take
    replies only from moderators (the pages check who may); raises ForumError or ContentError."""
    category = await Category.get(id=topic.category_id)
    if topic.removed_at is not None:
        raise ForumError(_l("This topic was removed."))
    target = parent or await Post.get(id=topic.post_id)
    if parent is not None and not await Entry.filter(topic=topic, post=parent).exists():
        raise ForumError(_l("That post is not in this topic."))
    held = await must_wait(author, category)
    draft = replace(draft, kind="Note", title="", titles=(), in_reply_to=target.uri)
    draft = await _forum_draft(node, category, replace(draft, publish=True), slug=topic.slug, held=held)
    async with in_transaction():
        post = await create_post(node, author, draft)
        locked = await Topic.select_for_update().get(id=topic.id)  # positions are handed out one at a time
        locked.last_position += 1
        await locked.save(update_fields=["last_position"])
        entry = await Entry.create(topic_id=topic.id, post=post, position=locked.last_position, held=held)
        if not held:
            await _went_live(node, category, locked, post)
    topic.last_position = locked.last_position
    return entry


async def _went_live(node: Node, category: Category, topic: Topic, post: Post) -> None:
    """A post became visible: the counts and the last activity move, the category announces it."""
    await recount(topic.id)
    await announce(node, category, post)
    await subscriptions.posted(node, topic, post)


async def recount(topic_id: int) -> None:
    """A topic's and its category's counts from the rows (after a post, a removal, a move)."""
    topic = await Topic.get(id=topic_id)
    live = Entry.filter(topic_id=topic_id, held=False, removed_at=None, post__draft=False, post__deleted_at=None)
    replies = await live.filter(position__gt=0).count()
    last = await live.order_by("-position").first().prefetch_related("post")
    topic.reply_count = replies
    if last is not None:
        topic.last_activity_at = max(topic.last_activity_at, last.post.published)
    await topic.save(update_fields=["reply_count", "last_activity_at"])
    await recount_category(topic.category_id)


async def recount_category(category_id: int) -> None:
    category = await Category.get(id=category_id)
    topics = Topic.filter(category_id=category_id, held=False, removed_at=None, post__draft=False, post__deleted_at=None)
    category.topic_count = await topics.count()
    category.post_count = await Entry.filter(
        topic__category_id=category_id, topic__removed_at=None, topic__held=False, held=False, removed_at=None,
        post__draft=False, post__deleted_at=None,
    ).count()
    newest = await topics.order_by("-last_activity_at").first()
    category.last_activity_at = newest.last_activity_at if newest is not None else None
    await category.save(update_fields=["topic_count", "post_count", "last_activity_at"])


def announce_id(group_uri: str, object_uri: str) -> str:
    return f"{group_uri}#announces/{hashlib.sha256(object_uri.encode()).hexdigest()[:24]}"


async def announce(node: Node, category: Category, post: Post, activity: Mapping[str, Any] | None = None) -> None:
    """The category boosts what its threads receive to its followers (FEP-1b12): the activity embedded
    unchanged (Lemmy, PieFed and Mbin refuse a bare object; Mastodon and snac fetch the Create by its
    id, served at /posts/<slug>/activity). `activity` None: the post's own Create (a member's here,
    or the one received for a remote post). Once per activity; see FEDERATION.md."""
    if category.read_access != "public" or not category.actor_id or post.visibility not in ("public", "unlisted"):
        return
    activity = activity if activity is not None else await created(post)
    if activity is None or not isinstance(activity.get("id"), str):
        return
    group = await Actor.get(id=category.actor_id)
    author = await Actor.get(id=post.author_id)
    creates = vocab.type_of(activity) == "Create"  # a post's boost keeps the id moderation.py takes back
    announce_uri = announce_id(group.uri, post.uri if creates else activity["id"])
    if await Activity.filter(uri=announce_uri).exists():
        return
    embedded = {k: v for k, v in activity.items() if k != "@context"}
    doc = vocab.activity("Announce", announce_uri, group.uri, embedded, to=[vocab.PUBLIC],
                         cc=[group.followers_url, author.uri], audience=group.uri, published=vocab.iso(utcnow()))
    await publish(node, group, doc, recipients=[] if author.local else [author.uri])


async def created(post: Post) -> dict[str, Any] | None:
    """The Create of a post: ours (`<post>/activity`), or the one its author sent us."""
    if post.local:
        record = await Activity.get_or_none(uri=f"{post.uri}/activity", outgoing=True)
        return dict(record.data) if record is not None else None
    author = await Actor.get(id=post.author_id)
    for record in await Activity.filter(kind="Create", outgoing=False, actor_uri=author.uri).order_by("-id").limit(200):
        if isinstance(record.data, dict) and vocab.id_of(record.data.get("object")) == post.uri:
            return dict(record.data)
    return None


async def publish_topic(node: Node, topic: Topic) -> Topic:
    """A topic kept as a draft goes out."""
    post = await Post.get(id=topic.post_id)
    category = await Category.get(id=topic.category_id)
    if topic.held:
        raise ForumError(_l("This topic waits for a moderator's approval."))
    async with in_transaction():
        await publish_post(node, post)
        topic.last_activity_at = post.published
        await topic.save(update_fields=["last_activity_at"])
        await _went_live(node, category, topic, post)
    return topic


async def edit(node: Node, editor: Actor, post: Post, draft: Draft) -> Post:
    """Edit a post of a thread: the version before is kept (moderators see the history), the post
    shows "edited", and an `Update` goes to whoever received it. A topic's title changes with its
    opening post's."""
    entry = await Entry.get_or_none(post=post)
    if entry is None:
        raise ForumError(_l("This post is not in the forum."))
    if post.deleted_at is not None or entry.removed_at is not None:
        raise ForumError(_l("This post was removed."))
    topic = await Topic.get(id=entry.topic_id)
    category = await Category.get(id=topic.category_id)
    opening = entry.position == 0
    if opening and not draft.title.strip():
        raise ForumError(_l("A topic needs a title."))
    draft = replace(draft, kind=post.kind, title=draft.title if opening else "", titles=draft.titles if opening else (),
                    in_reply_to=post.in_reply_to_uri, publish=not post.draft)
    draft = await _forum_draft(node, category, draft, slug=topic.slug, held=False)
    async with in_transaction():
        await Revision.create(post=post, editor=editor, title=topic.title if opening else "", source=post.source,
                              content=post.content, content_map=post.content_map)
        post = await update_post(node, post, draft)
        if opening:
            topic.title = draft.title.strip()
            topic.title_map = (post.data or {}).get("name_map")
            await topic.save(update_fields=["title", "title_map"])
    return post


async def delete_own(node: Node, post: Post, by: Actor) -> None:
    """The author deletes their post: its place in the thread says "removed", a `Delete` goes out.
    Deleting a topic's opening post removes the topic."""
    entry = await Entry.get_or_none(post=post)
    if entry is None:
        raise ForumError(_l("This post is not in the forum."))
    async with in_transaction():
        await delete_post(node, post)
        if entry.removed_at is None:
            entry.removed_at, entry.removed_by_id, entry.removed_reason = utcnow(), by.id, ""
            await entry.save(update_fields=["removed_at", "removed_by_id", "removed_reason"])
        if entry.position == 0:
            topic = await Topic.get(id=entry.topic_id)
            topic.removed_at = topic.removed_at or utcnow()
            await topic.save(update_fields=["removed_at"])
        await recount(entry.topic_id)


async def approve(node: Node, entry: Entry) -> None:
    """A moderator lets a held post through: it is published (a local one) or shown (a remote one)."""
    if not entry.held:
        return
    post = await Post.get(id=entry.post_id)
    topic = await Topic.get(id=entry.topic_id)
    category = await Category.get(id=topic.category_id)
    async with in_transaction():
        entry.held = False
        await entry.save(update_fields=["held"])
        if entry.position == 0:
            topic.held = False
            await topic.save(update_fields=["held"])
        if post.local and post.draft:
            await publish_post(node, post)
        elif not post.local and post.held:
            post.held = False
            await post.save(update_fields=["held"])
        await _went_live(node, category, topic, post)


async def thread_page(topic: Topic, page: int, *, moderator: bool = False, viewer: Actor | None = None) -> tuple[list[Entry], int]:
    """One page of a thread in order (removed posts keep their place; held ones show only to
    moderators and their author). Returns the entries (with post and author) and the page count."""
    query = Entry.filter(topic=topic, post__draft=False)
    if not moderator:
        query = query.filter(Q(held=False) | Q(post__author_id=viewer.id)) if viewer is not None else query.filter(held=False)
    total = await query.count()
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(1, page), pages)
    entries = await query.order_by("position").offset((page - 1) * PER_PAGE).limit(PER_PAGE).prefetch_related("post", "post__author")
    return entries, pages


async def author_user(post: Post) -> User | None:
    return await User.get_or_none(actor_id=post.author_id)


__all__ = ["ContentError", "ForumError"]
