"""What other servers send into this node's forum: a reply to any post of a thread (also one that only
reaches a member's inbox, as Mastodon's replies do), a new topic posted to a category (Lemmy, PieFed,
NodeBB, Friendica, or a Mastodon post mentioning it), the edits and deletions of those posts, likes.
Whatever is accepted, the category announces to its followers (FEP-1b12), the activity embedded
unchanged. Our categories are moderated here only: a remote Lock or Delete by anyone but the author
changes nothing in them (node/forum/mirror.py handles the categories of other servers)."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from federation import remote
from federation import vocab
from node.core import sql
from node.core.local_actors import live_local_actor, named_here
from node.core.models import Actor, Interaction, Post
from node.core.runtime import Node
from node.core.sanitize import plain_text
from node.forum import freshness, moderation, subscriptions, threads
from node.forum.access import must_wait, remote_may_start
from node.forum.models import Category, Entry, Revision, Topic
from node.policy import policy
from node.posts.content import MAX_TITLE, new_slug
from node.social import interactions, notes

log = logging.getLogger("agora.forum")

Doc = Mapping[str, Any]
FORUM_TYPES = frozenset({"Note", "Page", "Article", "Question"})  # what becomes a post of a thread
TITLE_LENGTH = 200  # a title made from the first line of a text, as Lemmy cuts it
LINE_BREAK = re.compile(r"<br\s*/?>|</p>|</h\d>|</li>|</blockquote>", re.IGNORECASE)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


_ENTRY_SQL = "SELECT {columns} FROM forum_entries e JOIN posts p ON p.id = e.post_id WHERE p.uri = ? LIMIT 1"


async def entry_of(uri: str | None) -> Entry | None:
    """The thread entry of the post at `uri` (asked for every Like and reply received)."""
    return await sql.instance(Entry, _ENTRY_SQL.format(columns=sql.columns(Entry, "e")), [uri]) if uri else None


async def addressed_category(node: Node, activity: Doc, obj: Doc) -> Actor | None:
    """The local category actor (public or hidden) a post is addressed to: `audience`, `to` or `cc` of
    the object or the activity (Lemmy and Mastodon name a community in `cc`, Friendica in `to`)."""
    named: list[str] = []
    for doc in (obj, activity):
        for key in ("audience", "to", "cc"):
            named += vocab.ids_of(doc.get(key))
    for uri in named_here(node.urls, named):
        actor = await live_local_actor(uri)
        if actor is not None and await sql.exists(Category, actor_id=actor.id):
            return actor
    return None


def first_line(html: str) -> str:
    """A title from a text without one (a Mastodon post): its first line, leading mentions left out."""
    for line in LINE_BREAK.sub("\n", html).split("\n"):
        words = plain_text(line, 2000).split()
        while words and words[0].startswith("@"):
            words.pop(0)
        if words:
            return plain_text(" ".join(words), TITLE_LENGTH)
    return ""


def topic_title(note: remote.RemoteNote, obj: Doc) -> str:
    name = vocab.text(obj.get("name"), 1000).strip() or next(iter((note.name_map or {}).values()), "")
    title = " ".join(name.split()) if name else first_line(note.content)
    return title[:MAX_TITLE]


async def _waits(node: Node, actor: Actor, category: Category) -> bool:
    """A newcomer's first post in a category that approves them, and anything from a silenced account."""
    return await must_wait(actor, category) or await policy.is_silenced(node, actor.uri)


async def _went_live(node: Node, category: Category, topic: Topic, post: Post, activity: Doc) -> None:
    await threads.recount(topic.id)
    await threads.announce(node, category, post, activity)
    await subscriptions.posted(node, topic, post)


async def receive_post(node: Node, actor: Actor, activity: Doc, obj: Doc) -> bool:
    """A Create (or an Update of a post not seen yet) of a Note, Page or Article. True when it was the
    forum's: a reply in one of our threads, or a post to one of our categories (taken or refused)."""
    if vocab.type_of(obj) not in FORUM_TYPES:
        return False
    parent = await entry_of(vocab.id_of(obj.get("inReplyTo")))
    if parent is not None:
        return await _receive_reply(node, actor, activity, obj, parent)
    if obj.get("inReplyTo") is not None:
        return False  # a reply elsewhere, even when it names a category: not a new topic
    group = await addressed_category(node, activity, obj)
    if group is None:
        return False
    await _receive_topic(node, actor, activity, obj, group)
    return True


async def _receive_reply(node: Node, actor: Actor, activity: Doc, obj: Doc, parent: Entry) -> bool:
    topic = await Topic.get(id=parent.topic_id)
    category = await Category.get(id=topic.category_id)
    note_id = vocab.id_of(obj)
    if await entry_of(note_id) is not None:
        return await receive_update(node, actor, activity, obj)
    decision = await moderation.reply_allowed(topic, actor)
    if decision == "refuse":
        log.info("reply %s refused: topic %s is locked, removed, held or members-only", note_id, topic.slug)
        return True
    held = decision == "hold" or await policy.is_silenced(node, actor.uri)
    try:
        post = await notes.store_note(node, actor, obj, wanted=True, hold=held)
    except vocab.VocabError as exc:
        log.info("reply from %s ignored: %s", actor.uri, exc)
        return True
    if post is None:
        return True  # not the author's, or refused by the node's reply settings
    if await _place(topic, post, held=post.held) and not post.held:
        await _went_live(node, category, topic, post, activity)
    return True


async def _place(topic: Topic, post: Post, *, held: bool) -> bool:
    """The post's place at the end of the thread; False when it has one already."""
    try:
        async with in_transaction():
            locked = await Topic.select_for_update().get(id=topic.id)
            locked.last_position += 1
            await locked.save(update_fields=["last_position"])
            await Entry.create(topic_id=topic.id, post=post, position=locked.last_position, held=held)
    except IntegrityError:
        return False
    return True


async def _receive_topic(node: Node, actor: Actor, activity: Doc, obj: Doc, group: Actor) -> None:
    category = await Category.get(actor_id=group.id)
    if group.kind != "Group" or not remote_may_start(category):
        log.info("topic from %s refused: %s does not take topics from other servers", actor.uri, category.slug)
        return
    try:
        note = remote.parse_note(obj)
    except vocab.VocabError as exc:
        log.info("topic from %s ignored: %s", actor.uri, exc)
        return
    title = topic_title(note, obj)
    if not title:
        log.info("topic %s refused: no title and no text", note.id)
        return
    held = await _waits(node, actor, category)
    post = await notes.store_note(node, actor, obj, wanted=True, hold=held)
    if post is None or await Entry.filter(post_id=post.id).exists():
        return
    try:
        async with in_transaction():
            topic = await Topic.create(slug=new_slug(), category=category, post=post, title=title, title_map=note.name_map,
                                       held=post.held, last_activity_at=utcnow())
            await Entry.create(topic=topic, post=post, position=0, held=post.held)
    except IntegrityError:
        return  # the same post, delivered twice at once
    if not post.held:
        await _went_live(node, category, topic, post, activity)


async def receive_update(node: Node, actor: Actor, activity: Doc, obj: Doc) -> bool:
    """An edit of a post of our threads by its author: the version before is kept, the topic's title
    follows its opening post's, and the category announces the Update."""
    entry = await entry_of(vocab.id_of(obj))
    if entry is None:
        return await receive_post(node, actor, activity, obj) if vocab.type_of(activity) == "Update" else False
    if vocab.type_of(activity) != "Update":
        return True  # a Create of a post placed already
    post = await Post.get(id=entry.post_id)
    if post.local or post.author_id != actor.id or entry.removed_at is not None or post.deleted_at is not None:
        return True  # only the author edits, and a removed post stays removed
    try:
        note = remote.parse_note(obj)
    except vocab.VocabError as exc:
        log.info("Update from %s ignored: %s", actor.uri, exc)
        return True
    if post.updated is not None and (note.updated is None or note.updated <= post.updated):
        return True  # an older version, or the same one again
    topic = await Topic.get(id=entry.topic_id)
    opening = entry.position == 0
    await Revision.create(post=post, editor=actor, title=topic.title if opening else "", source=post.source,
                          content=post.content, content_map=post.content_map)
    await notes.store_note(node, actor, obj, wanted=True)
    if opening and topic_title(note, obj):
        topic.title, topic.title_map = topic_title(note, obj), note.name_map
        await topic.save(update_fields=["title", "title_map"])
    if not entry.held:
        await threads.announce(node, await Category.get(id=topic.category_id), post, activity)
    return True


async def receive_delete(node: Node, actor: Actor, activity: Doc) -> bool:
    """The author deletes a post of our threads: its place says "removed" (the row stays, emptied),
    a deleted opening post removes its topic, the category announces the Delete."""
    entry = await entry_of(vocab.id_of(activity.get("object")))
    if entry is None:
        return False
    post = await Post.get(id=entry.post_id)
    if post.local or post.author_id != actor.id:
        return True  # our categories are moderated here, not by another server
    was_visible = not entry.held and entry.removed_at is None
    now = utcnow()
    async with in_transaction():
        await Post.filter(id=post.id).update(deleted_at=post.deleted_at or now, content="", content_map=None, source="",
                                             summary="", summary_map=None, attachments=[])
        if entry.removed_at is None:
            await Entry.filter(id=entry.id).update(removed_at=now, removed_by_id=actor.id, removed_reason="")
        if entry.position == 0:
            await Topic.filter(id=entry.topic_id, removed_at=None).update(removed_at=now)
        await threads.recount(entry.topic_id)
        await recount_likes(entry.topic_id)
    freshness.changed()
    if post.in_reply_to_id:
        await interactions.recount(post.in_reply_to_id)
    if was_visible:
        topic = await Topic.get(id=entry.topic_id)
        await threads.announce(node, await Category.get(id=topic.category_id), post, activity)
    return True


async def recount_likes(topic_id: int) -> None:
    """A topic's likes: those of every post still shown in its thread."""
    total = await Interaction.filter(kind="Like", post__entry__topic_id=topic_id, post__entry__removed_at=None,
                                     post__deleted_at=None).count()
    await Topic.filter(id=topic_id).update(like_count=total)


async def receive_like(actor: Actor, activity: Doc) -> bool:
    """A Like of a post of a thread counts on the post and on its topic."""
    entry = await entry_of(vocab.id_of(activity.get("object")))
    if entry is None:
        return False
    await interactions.interact(actor, activity, "Like")
    await recount_likes(entry.topic_id)
    return True


async def receive_undo_like(actor: Actor, activity: Doc) -> bool:
    obj = activity.get("object")
    ref = vocab.id_of(obj)
    if ref is None or vocab.type_of(obj) not in ("Like", "EmojiReact", ""):
        return False
    interaction = await Interaction.get_or_none(uri=ref, actor=actor, kind="Like")
    entry = await Entry.get_or_none(post_id=interaction.post_id) if interaction is not None else None
    if entry is None:
        return False
    await interactions.withdraw(actor, ref)
    await recount_likes(entry.topic_id)
    return True
