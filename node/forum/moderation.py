"""Forum moderation: lock, pin, move, remove and restore topics and posts, and what a reply from
another server meets in a topic (the approval queue: moderation_queue.py). Admins and moderators
moderate every category, a category's own moderators theirs (access.is_moderator). Every action is
written to the audit log.

On the wire (public categories only; members-only ones keep everything here), each action is done by
the moderator's own Person, which Lemmy, PieFed and Mbin require (a Group may not be the actor of a
Delete or Lock), and the category announces it unchanged to its followers (FEP-1b12):
- remove: `Delete{object: post, summary: reason}` (Lemmy's "remove"), restore: `Undo{Delete}` (Lemmy
  builds a fresh inner Delete by the restoring moderator; so do we). Mastodon only honours a Delete
  from the author, so the category also takes back its boost (`Undo{Announce}`) and boosts the post
  again on restore (a new Announce id);
- lock: `Lock{object: opening post, summary}`, unlock: `Undo{Lock}` (Lemmy, PieFed, Mbin);
- pin: `Add{object: opening post, target: <category>/featured}`, unpin: `Remove{…}` (Lemmy);
- move: each local post's `audience` and addressing name the new category, the opening post's author
  sends an `Update` to the followers of both categories, the new category announces that Update (its
  object names the new category, as Lemmy checks), the old one takes its boost back. Mastodon
  followers of the new category see the topic with its next reply. NodeBB's `Move` is not sent (it
  needs the topic to dereference as a collection on both sides and is NodeBB-only); moves between a
  public and a members-only category are refused (the posts would leak or vanish)."""

from __future__ import annotations

import secrets
from datetime import datetime, timezone
from typing import Any, Literal

from tortoise.transactions import in_transaction

from federation import vocab
from node.core import audit
from node.core.models import Activity, Actor, Post, User
from node.core.runtime import Node
from node.forum import moderation_wire as wire, threads
from node.forum.access import ForumError, is_moderator, must_wait
from node.forum.categories import featured_url
from node.forum.models import Category, CategoryModerator, Entry, Topic
from node.posts.content import MEMBERS, note_document
from node.social.delivery import publish

Decision = Literal["accept", "hold", "refuse"]
MAX_REASON = 500


class NotModerator(ForumError):
    """The member may not moderate here (the pages answer 403 with this message)."""


def N_(text: str) -> str:
    """Marks a message for extraction (babel.cfg): the page or command that shows it translates it."""
    return text


def _now() -> datetime:
    return datetime.now(timezone.utc)


# ------------------------------------------------------------------ who may, and what a reply meets


async def check_moderator(user: User | None, category: Category) -> User:
    """The user, when they moderate this category; raises NotModerator otherwise."""
    if user is None or not await is_moderator(user, category):
        raise NotModerator(N_("Only the moderators of this category, the node's moderators and admins can do this."))
    return user


async def moderated_categories(user: User | None) -> list[Category] | None:
    """The categories a member moderates: None means all of them (admins and moderators)."""
    if user is None or user.disabled:
        return []
    if user.role in ("admin", "moderator"):
        return None
    ids = await CategoryModerator.filter(actor_id=user.actor_id).values_list("category_id", flat=True)
    return list(await Category.filter(id__in=list(ids)))


async def reply_allowed(topic: Topic, author: Actor | None = None) -> Decision:
    """What a reply from another server (or any author not checked by the pages) meets in a topic:
    "refuse" in a locked, removed or held topic and in a members-only category, "hold" for an
    author whose first post the category approves (access.must_wait), else "accept"."""
    category = await Category.get(id=topic.category_id)
    if topic.locked or topic.removed_at is not None or topic.held or category.read_access != "public":
        return "refuse"
    if author is not None and await must_wait(author, category):
        return "hold"
    return "accept"


def _reason(text: str, *, required: bool) -> str:
    reason = " ".join(text.split())
    if required and not reason:
        raise ForumError(N_("Say why: the reason is kept with the removal and sent to the followers' servers."))
    if len(reason) > MAX_REASON:
        raise ForumError(N_("A reason has at most 500 characters."))
    return reason


# ------------------------------------------------------------------ lock and pin


async def _opening(topic: Topic) -> Post:
    return await Post.get(id=topic.post_id)


async def set_locked(node: Node, topic: Topic, user: User, locked: bool, reason: str = "") -> Topic:
    """Lock (no new replies but the moderators') or unlock a topic."""
    category = await Category.get(id=topic.category_id)
    await check_moderator(user, category)
    reason = _reason(reason, required=False)
    if topic.locked == locked:
        raise ForumError(N_("This topic is locked already.") if locked else N_("This topic is not locked."))
    async with in_transaction():
        topic.locked = locked
        await topic.save(update_fields=["locked"])
        post = await _opening(topic)
        await wire.send(node, category, user, "Lock", post.uri, undo=not locked, summary=reason or None,
                    recipients=await wire.remote_author(post))
        await audit.record(user, "forum.topic.lock" if locked else "forum.topic.unlock",
                           threads.topic_url(node, topic.slug), reason=reason or None, category=category.slug)
    return topic


async def set_pinned(node: Node, topic: Topic, user: User, pinned: bool) -> Topic:
    """Pin a topic to the top of its category's list, or unpin it."""
    category = await Category.get(id=topic.category_id)
    await check_moderator(user, category)
    if topic.pinned == pinned:
        raise ForumError(N_("This topic is pinned already.") if pinned else N_("This topic is not pinned."))
    async with in_transaction():
        topic.pinned = pinned
        await topic.save(update_fields=["pinned"])
        group = await wire.group_of(category)
        if group is not None:
            post = await _opening(topic)
            await wire.send(node, category, user, "Add" if pinned else "Remove", post.uri,
                        target=featured_url(node, category.slug))
        await audit.record(user, "forum.topic.pin" if pinned else "forum.topic.unpin",
                           threads.topic_url(node, topic.slug), category=category.slug)
    return topic


# ------------------------------------------------------------------ move


def _readdressed(addresses: list[str], old: str | None, new: str | None) -> list[str]:
    out = [new if (old and a == old) else a for a in addresses if a]
    return [a for a in dict.fromkeys(out) if a]


async def _move_posts(node: Node, topic: Topic, old: Actor | None, new: Actor | None) -> dict[str, Any] | None:
    """Each local post of the thread names the new category; the opening one sends an Update (returned)."""
    update: dict[str, Any] | None = None
    for entry in await Entry.filter(topic_id=topic.id).prefetch_related("post"):
        post: Post = entry.post
        if not post.local:
            continue
        data = dict(post.data or {})
        if new is not None:
            data["audience"] = new.uri
        post.data = data
        post.to = _readdressed(list(post.to or []), old.uri if old else None, new.uri if new else None)
        post.cc = _readdressed(list(post.cc or []), old.uri if old else None, new.uri if new else None)
        await post.save(update_fields=["data", "to", "cc"])
        if entry.position != 0 or post.draft or post.deleted_at is not None or post.visibility == MEMBERS:
            continue
        author = await Actor.get(id=post.author_id)
        now = _now()
        doc = vocab.activity("Update", f"{post.uri}#updates/{int(now.timestamp())}-{secrets.token_hex(4)}",
                             author.uri, note_document(node, post, author), to=post.to, cc=post.cc,
                             published=vocab.iso(now))
        groups = [g.id for g in (old, new) if g is not None]
        await publish(node, author, doc, recipients=[*post.to, *post.cc], groups=groups)
        update = doc
    return update


async def move(node: Node, topic: Topic, target: Category, user: User) -> Topic:
    """File a topic in another category: both counts are recounted, the posts' audience changes."""
    source = await Category.get(id=topic.category_id)
    await check_moderator(user, source)
    await check_moderator(user, target)
    if target.id == source.id:
        raise ForumError(N_("The topic is in this category already."))
    if target.read_access != source.read_access:
        raise ForumError(N_("A topic moves only between categories that the same people can read "
                         "(public to public, members-only to members-only)."))
    old, new = await wire.group_of(source), await wire.group_of(target)
    async with in_transaction():
        topic.category_id = target.id
        await topic.save(update_fields=["category_id"])
        update = await _move_posts(node, topic, old, new)
        await threads.recount(topic.id)
        await threads.recount_category(source.id)
        opening = await _opening(topic)
        live = not (topic.held or topic.removed_at or opening.draft or opening.deleted_at)
        if old is not None and live:
            await wire.unboost(node, old, opening)
        if live and new is not None:
            if update is not None:  # the Update names the new category: Lemmy and PieFed take the post from it
                await threads.announce(node, target, opening, update)
            elif await Activity.filter(uri=threads.announce_id(new.uri, opening.uri)).exists():
                await wire.reboost(node, new, opening)  # it was filed here before: a new boost
            else:
                await threads.announce(node, target, opening)
        await audit.record(user, "forum.topic.move", threads.topic_url(node, topic.slug),
                           origin=source.slug, into=target.slug)
    return topic


# ------------------------------------------------------------------ remove and restore


async def place(entry: Entry) -> tuple[Topic, Category, Post]:
    topic = await Topic.get(id=entry.topic_id)
    return topic, await Category.get(id=topic.category_id), await Post.get(id=entry.post_id)


async def remove(node: Node, entry: Entry, user: User, reason: str) -> Entry:
    """A moderator removes a post (the opening one: the whole topic). Its place in the thread says
    "removed" with the reason; the row stays so that it can be restored."""
    topic, category, post = await place(entry)
    await check_moderator(user, category)
    reason = _reason(reason, required=True)
    if entry.removed_at is not None:
        raise ForumError(N_("This post was removed already."))
    if post.deleted_at is not None:
        raise ForumError(N_("Its author deleted this post."))
    now = _now()
    async with in_transaction():
        entry.removed_at, entry.removed_by_id, entry.removed_reason = now, user.actor_id, reason
        await entry.save(update_fields=["removed_at", "removed_by_id", "removed_reason"])
        post.deleted_at = now  # no longer served, listed, searched nor counted
        await post.save(update_fields=["deleted_at"])
        if entry.position == 0:
            topic.removed_at, topic.removed_reason = now, reason
            await topic.save(update_fields=["removed_at", "removed_reason"])
        await threads.recount(topic.id)
        live = not (entry.held or post.draft)
        group = await wire.group_of(category)
        if group is not None and live:
            await wire.send(node, category, user, "Delete", post.uri, summary=reason, recipients=await wire.remote_author(post))
            await wire.unboost(node, group, post)
        await audit.record(user, "forum.topic.remove" if entry.position == 0 else "forum.post.remove", post.uri,
                           reason=reason, topic=threads.topic_url(node, topic.slug), category=category.slug)
    return entry


async def restore(node: Node, entry: Entry, user: User) -> Entry:
    """Undo a moderator's removal: the post (or topic) shows and counts again, and the category
    boosts it again. A post its author deleted is not restored."""
    topic, category, post = await place(entry)
    await check_moderator(user, category)
    if entry.removed_at is None:
        raise ForumError(N_("This post is not removed."))
    if not entry.removed_reason:  # a moderator's removal always has a reason, the author's deletion none
        raise ForumError(N_("Its author deleted this post: only they could post it again."))
    reason = entry.removed_reason
    async with in_transaction():
        entry.removed_at, entry.removed_by_id, entry.removed_reason = None, None, ""
        await entry.save(update_fields=["removed_at", "removed_by_id", "removed_reason"])
        post.deleted_at = None
        await post.save(update_fields=["deleted_at"])
        if entry.position == 0:
            topic.removed_at, topic.removed_reason = None, ""
            await topic.save(update_fields=["removed_at", "removed_reason"])
        await threads.recount(topic.id)
        group = await wire.group_of(category)
        if group is not None and not (entry.held or post.draft):
            await wire.send(node, category, user, "Delete", post.uri, undo=True, summary=reason,
                        recipients=await wire.remote_author(post))
            await wire.reboost(node, group, post)
        await audit.record(user, "forum.topic.restore" if entry.position == 0 else "forum.post.restore", post.uri,
                           reason=reason, topic=threads.topic_url(node, topic.slug), category=category.slug)
    return entry
