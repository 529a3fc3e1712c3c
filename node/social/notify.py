"""Notifications for members: replies, mentions, follows, joins, support and likes.

`after_activity` is called by the inbox dispatcher after each handled activity. It looks at what the
handler stored (so a refused or ignored activity notifies nobody) and writes one Notification per
recipient and cause; `dedupe_key` makes a redelivered activity a no-op."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from tortoise.exceptions import IntegrityError

from federation import vocab
from node.policy import policy
from node.core import sql
from node.core.local_actors import live_local_actor
from node.core.models import Actor, Follow, Notification, Post, User
from node.events.models import Event, Participation
from node.initiatives.models import Initiative, Support
from node.mailing import notify_mail
from node.core.runtime import Node
from node.core.sanitize import plain_text

log = logging.getLogger("agora.notify")

KINDS = ("reply", "mention", "follow", "follow_request", "join", "support", "like", "report", "pledge", "topic")
STAFF_ROLES = frozenset({"admin", "editor", "moderator"})
EXCERPT = 200


def dedupe_key(cause: str, recipient: Actor, kind: str) -> str:
    """One notification per cause (an activity or object id), recipient and kind."""
    key = f"{kind} {recipient.id} {cause}"
    return key if len(key) <= 1000 else f"{kind} {recipient.id} sha256:{hashlib.sha256(cause.encode()).hexdigest()}"


async def notify(recipient: Actor, kind: str, source: Actor | None, cause: str, object_uri: str | None = None,
                 text: str = "") -> Notification | None:
    """Write one notification, unless the same one exists already (or it is about oneself)."""
    if not recipient.local or recipient.deleted_at is not None or recipient.kind == "Application":
        return None
    if source is not None and source.id == recipient.id:
        return None
    try:
        row = await Notification.create(
            recipient=recipient, kind=kind, source=source, object_uri=object_uri, text=text[:2000],
            dedupe_key=dedupe_key(cause, recipient, kind),
        )
    except IntegrityError:
        return None  # the same activity again
    await notify_mail.notified(row, recipient)  # by email too, when the member chose this kind
    return row


async def _local_actor(uri: str | None) -> Actor | None:
    if not uri:
        return None
    return await live_local_actor(uri)


# ------------------------------------------------------------------ by activity type


async def _on_create(node: Node, actor: Actor, doc: dict[str, Any]) -> None:
    ref = vocab.id_of(doc.get("object"))
    post = await sql.get(Post, uri=ref, author_id=actor.id, local=False, deleted_at=None) if ref else None
    if post is None or post.held:
        return  # not stored (not for us, refused), or waiting for a moderator
    await post_notices(node, actor, post)


async def local_post(node: Node, post: Post) -> set[int]:
    """A member's post went out here (inbound activities notify through `after_activity`): the local
    author it replies to and the local members it mentions hear of it. Returns whom it concerned."""
    author = await Actor.get(id=post.author_id)
    return await post_notices(node, author, post)


async def _may_see(post: Post, recipient: Actor) -> bool:
    """A members-only post notifies only members whose account is active."""
    return post.visibility != "members" or await User.filter(actor_id=recipient.id, disabled=False).exists()


async def post_notices(node: Node, actor: Actor, post: Post) -> set[int]:
    """Reply and mention notifications of a stored post; the ids of the actors it concerns."""
    excerpt = plain_text(post.content, EXCERPT)
    link = post.url or post.uri
    replied: set[int] = set()
    if post.in_reply_to_uri and node.urls.is_local(post.in_reply_to_uri):
        parent = await sql.get(Post, uri=post.in_reply_to_uri, local=True, deleted_at=None)
        target_author: int | None = parent.author_id if parent else None
        if parent is None:
            event = await Event.get_or_none(uri=post.in_reply_to_uri, local=True, deleted_at=None)
            initiative = None if event else await Initiative.get_or_none(uri=post.in_reply_to_uri, local=True, deleted_at=None)
            owner = event or initiative
            target_author = owner.organizer_id if owner is not None else None
        recipient = await sql.get(Actor, id=target_author) if target_author else None
        if recipient is not None and await _may_see(post, recipient):
            await notify(recipient, "reply", actor, post.uri, post.in_reply_to_uri, excerpt)
            replied.add(recipient.id)
    for href in _mentions(post.tags):
        recipient = await _local_actor(href) if node.urls.is_local(href) else None
        if recipient is not None and recipient.id not in replied and await _may_see(post, recipient):
            await notify(recipient, "mention", actor, post.uri, link, excerpt)
            replied.add(recipient.id)
    return replied


def _mentions(tags: Iterable[Any]) -> list[str]:
    found: list[str] = []
    for tag in tags if isinstance(tags, list) else []:
        if isinstance(tag, dict) and tag.get("type") == "Mention" and isinstance(tag.get("href"), str):
            if tag["href"] not in found:
                found.append(tag["href"])
    return found


async def _on_follow(node: Node, actor: Actor, doc: dict[str, Any]) -> None:
    target = await _local_actor(vocab.id_of(doc.get("object")))
    if target is None:
        return
    row = await Follow.get_or_none(follower=actor, target=target)
    if row is None:
        return
    kind = "follow" if row.state == "accepted" else "follow_request"
    await notify(target, kind, actor, str(doc.get("id") or row.uri), actor.url or actor.uri, actor.name or actor.handle)


async def _on_join(node: Node, actor: Actor, doc: dict[str, Any]) -> None:
    ref = vocab.id_of(doc.get("object"))
    event = await Event.get_or_none(uri=ref, local=True, deleted_at=None) if ref else None
    if event is None:
        return
    joined = await Participation.filter(event=event, actor=actor, state__in=["pending", "accepted"]).exists()
    if not joined:
        return  # refused (full, invitation only...)
    organizer = await Actor.get_or_none(id=event.organizer_id)
    if organizer is not None:
        await notify(organizer, "join", actor, str(doc.get("id")), event.url or event.uri, event.name)


# The liked post's link and text, and its author, when the handler stored this actor's Like of it
# (read for every Like received).
_LIKED_SQL = (
    "SELECT {author}, p.url AS post_url, p.uri AS post_uri, p.content AS post_content FROM interactions i"
    " JOIN posts p ON p.id = i.post_id JOIN actors a ON a.id = p.author_id"
    " WHERE i.kind = 'Like' AND i.actor_id = ? AND p.uri = ? AND p.local = ? AND p.deleted_at IS NULL LIMIT 1"
)


async def _on_like(node: Node, actor: Actor, doc: dict[str, Any]) -> None:
    ref = vocab.id_of(doc.get("object"))
    if not ref or not node.urls.is_local(ref):
        return
    cause = str(doc.get("id"))
    initiative = await Initiative.get_or_none(uri=ref, local=True, deleted_at=None) if node.urls.is_initiative(ref) else None
    if initiative is not None:
        support = await Support.get_or_none(initiative=initiative, actor=actor, held=False)  # held: not yet
        organizer = await Actor.get_or_none(id=initiative.organizer_id)
        if support is not None and organizer is not None:
            await notify(organizer, "support", actor, cause, initiative.url or initiative.uri, initiative.title)
        return
    liked = await sql.first(_LIKED_SQL.format(author=sql.columns(Actor, "a")), [actor.id, ref, True])
    if liked is None:
        return
    link = liked["post_url"] or liked["post_uri"]
    await notify(sql.model_of(Actor, liked), "like", actor, cause, link, plain_text(liked["post_content"] or "", EXCERPT))


HANDLERS = {
    "Create": _on_create,
    "Follow": _on_follow,
    "Join": _on_join,
    "Like": _on_like,
    "EmojiReact": _on_like,
}


async def after_activity(node: Node, actor: Actor, doc: dict[str, Any]) -> None:
    """Notify the local members an inbound activity concerns. Never raises for a strange activity:
    the activity itself was handled already."""
    handler = HANDLERS.get(vocab.type_of(doc))
    if handler is None or actor.local or not isinstance(doc.get("id"), str):
        return
    if await policy.is_blocked(node, actor.uri):
        return
    try:
        await handler(node, actor, doc)
    except (vocab.VocabError, ValueError, TypeError, KeyError) as exc:
        log.info("no notification for %s: %s", doc.get("id"), exc)


# ------------------------------------------------------------------ reading


async def recipients_for(node: Node, user: User) -> list[Actor]:
    """The actors whose notifications a member sees: their own, and the association's for staff."""
    own = await Actor.get_or_none(id=user.actor_id)
    found = [own] if own is not None else []
    if user.role in STAFF_ROLES:
        group = await Actor.get_or_none(local=True, username=node.settings.association.handle, deleted_at=None)
        if group is not None and group not in found:
            found.append(group)
    return found


async def unread_count(node: Node, user: User) -> int:
    actors = await recipients_for(node, user)
    return await Notification.filter(recipient_id__in=[a.id for a in actors], read_at=None).count()


async def for_user(node: Node, user: User, limit: int = 100, before: int | None = None) -> list[Notification]:
    """Unread first, newest first, with their source actors."""
    actors = await recipients_for(node, user)
    query = Notification.filter(recipient_id__in=[a.id for a in actors])
    if before is not None:
        query = query.filter(id__lt=before)
    rows = await query.order_by("-id").limit(limit).prefetch_related("source", "recipient")
    return sorted(rows, key=lambda n: (n.read_at is not None, -n.id))


async def mark_all_read(node: Node, user: User, up_to: int | None = None) -> int:
    """Mark the member's unread notifications read (only those up to `up_to`, the newest one the
    page showed, so that one arriving meanwhile stays unread)."""
    actors = await recipients_for(node, user)
    query = Notification.filter(recipient_id__in=[a.id for a in actors], read_at=None)
    if up_to is not None:
        query = query.filter(id__lte=up_to)
    return await query.update(read_at=datetime.now(timezone.utc))
