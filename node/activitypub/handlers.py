"""Inbound activity handlers, one small function per type. Every handler is idempotent."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from federation import vocab
from federation.client import FetchError
from node.accounts.actors import fetch_actor, store_remote_actor
from node.social.delivery import publish
from node.events import events, network as network_calendar
from node.moderation import holds, reports
from node.social import notify
from node.policy import policy
from node.initiatives import initiatives, network as network_initiatives
from node.policy import relays
from node.core.models import Activity, Actor, Follow, Interaction, Post
from node.events.models import Event, Participation
from node.core.runtime import Node
from node.core.sanitize import clean_html

log = logging.getLogger("agora.inbox")

Handler = Callable[[Node, Actor, dict[str, Any]], Awaitable[None]]
HANDLERS: dict[str, Handler] = {}


def handles(*kinds: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for kind in kinds:
            HANDLERS[kind] = fn
        return fn

    return register


REFETCH = "_agora_refetch"  # set (in memory only) on forwarded activities whose object must be refetched


async def dispatch(node: Node, activity_uri: str, refetch: bool = False) -> None:
    record = await Activity.get_or_none(uri=activity_uri)
    if record is None:
        return
    doc: dict[str, Any] = dict(record.data)
    if refetch:
        doc[REFETCH] = True
    handler = HANDLERS.get(vocab.type_of(doc))
    if handler is None:
        log.debug("no handler for %s", vocab.type_of(doc))
        return
    if await policy.is_blocked(node, record.actor_uri):
        return  # queued before the sender's domain or account was suspended
    try:
        actor = await fetch_actor(node, record.actor_uri)
    except FetchError:
        # The activity was verified when it arrived; a stale actor whose refresh fails (a deleted
        # account answers 404/410) is still the sender. Without a cached copy, retry later.
        cached = await Actor.get_or_none(uri=record.actor_uri)
        if cached is None:
            raise
        actor = cached
    if actor.deleted_at is not None and vocab.type_of(doc) != "Delete":
        return  # a deleted account's late deliveries change nothing
    await handler(node, actor, doc)
    await notify.after_activity(node, actor, doc)


async def _object_doc(node: Node, actor: Actor, doc: Mapping[str, Any]) -> dict[str, Any] | None:
    """The activity's object as a document, refetched from its origin when the activity is unverified
    (forwarded) or when only a reference was sent."""
    obj = doc.get("object")
    ref = vocab.id_of(obj)
    if ref is None:
        return None
    if isinstance(obj, dict) and not doc.get(REFETCH):
        return obj
    if node.urls.is_local(ref):
        return None
    try:
        return await node.client.get_json(ref, signer=node.instance_signer)
    except FetchError as exc:
        log.info("object %s not fetched: %s", ref, exc)
        return None


async def _local_target(node: Node, ref: str | None) -> Actor | None:
    if ref is None or not node.urls.is_local(ref):
        return None
    return await Actor.get_or_none(uri=ref, local=True, deleted_at=None)


# ------------------------------------------------------------------ follows


def accept_document(node: Node, target: Actor, follow_doc: Mapping[str, Any], kind: str = "Accept") -> dict[str, Any]:
    embedded = {k: v for k, v in follow_doc.items() if k not in ("@context", "signature", REFETCH)}
    # A fresh id per answer: the same Follow handled twice (a re-run job, a repeated delivery) gets a
    # second Accept rather than a duplicate id that `publish` refuses.
    slug = f"{kind.lower()}-{vocab.iso(_now()).replace(':', '')}-{secrets.token_hex(8)}"
    return vocab.activity(kind, f"{target.uri}#{slug}", target.uri, embedded,
                          to=[vocab.id_of(follow_doc.get("actor"))])


def _now() -> datetime:
    return datetime.now(timezone.utc)


async def answer_follow(node: Node, target: Actor, follower: Actor, follow_doc: Mapping[str, Any], kind: str) -> None:
    await publish(node, target, accept_document(node, target, follow_doc, kind), followers=False, recipients=[follower.uri])


@handles("Follow")
async def on_follow(node: Node, actor: Actor, doc: dict[str, Any]) -> None:
    target = await _local_target(node, vocab.id_of(doc.get("object")))
    if target is None:
        return
    if target.kind == "Application":
        await answer_follow(node, target, actor, doc, "Reject")
        return
    waits = target.manually_approves_followers or await holds.follow_waits(node, actor)
    state = "pending" if waits else "accepted"
    async with in_transaction():
        existing = await Follow.get_or_none(follower=actor, target=target)
        if existing is None:
            await Follow.create(uri=doc["id"], follower=actor, target=target, state=state)
        else:
            existing.uri = doc["id"]
            await existing.save(update_fields=["uri"])
            state = existing.state
    if state == "accepted":
        await answer_follow(node, target, actor, doc, "Accept")


async def approve_follow(node: Node, follow: Follow, accept: bool) -> None:
    """An admin's decision on a pending follow request."""
    target = await Actor.get(id=follow.target_id)  # type: ignore[attr-defined]
    follower = await Actor.get(id=follow.follower_id)  # type: ignore[attr-defined]
    follow_doc = {"id": follow.uri, "type": "Follow", "actor": follower.uri, "object": target.uri}
    if accept:
        follow.state = "accepted"
        await follow.save(update_fields=["state"])
    else:
        await follow.delete()
    await answer_follow(node, target, follower, follow_doc, "Accept" if accept else "Reject")


@handles("Accept")
async def on_accept(node: Node, actor: Actor, doc: dict[str, Any]) -> None:
    ref = vocab.id_of(doc.get("object"))
    if ref and (await events.answered(actor, ref, accepted=True) or await relays.answered(actor, ref, accepted=True)):
        return
    follow = await Follow.get_or_none(uri=ref) if ref else None
    if follow is not None and follow.target_id == actor.id:  # type: ignore[attr-defined]
        follow.state = "accepted"
        await follow.save(update_fields=["state"])


@handles("Reject")
async def on_reject(node: Node, actor: Actor, doc: dict[str, Any]) -> None:
    ref = vocab.id_of(doc.get("object"))
    if ref and (await events.answered(actor, ref, accepted=False) or await relays.answered(actor, ref, accepted=False)):
        return
    if ref:
        await Follow.filter(uri=ref, target=actor).delete()


# ------------------------------------------------------------------ undo


@handles("Undo")
async def on_undo(node: Node, actor: Actor, doc: dict[str, Any]) -> None:
    obj = doc.get("object")
    ref = vocab.id_of(obj)
    kind = vocab.type_of(obj)
    if ref is None:
        return
    if kind in ("Follow", ""):
        deleted = await Follow.filter(uri=ref, follower=actor).delete()
        if deleted or kind == "Follow":
            if not deleted and isinstance(obj, dict):  # Undo of a Follow whose id we never saw
                target = await _local_target(node, vocab.id_of(obj.get("object")))
                if target is not None:
                    await Follow.filter(follower=actor, target=target).delete()
            return
    if kind == "Join":
        await Participation.filter(uri=ref, actor=actor).delete()
        event = await Event.get_or_none(uri=vocab.id_of(obj.get("object")) if isinstance(obj, dict) else None)
        if event is not None:
            await events.recount(event)
        return
    if kind in ("Like", "EmojiReact", "") and await initiatives.unliked(actor, ref):
        return  # support of an initiative withdrawn
    interaction = await Interaction.get_or_none(uri=ref, actor=actor)
    if interaction is not None:
        post_id = interaction.post_id  # type: ignore[attr-defined]
        await interaction.delete()
        await recount(post_id)


# ------------------------------------------------------------------ likes and boosts


async def recount(post_id: int) -> None:
    likes = await Interaction.filter(post_id=post_id, kind="Like").count()
    boosts = await Interaction.filter(post_id=post_id, kind="Announce").count()
    replies = await Post.filter(in_reply_to_id=post_id, deleted_at=None, held=False).count()
    await Post.filter(id=post_id).update(like_count=likes, announce_count=boosts, reply_count=replies)


async def _interact(actor: Actor, doc: dict[str, Any], kind: str) -> None:
    ref = vocab.id_of(doc.get("object"))
    post = await Post.get_or_none(uri=ref, deleted_at=None) if ref else None
    if post is None:
        return
    try:
        await Interaction.create(uri=doc["id"], kind=kind, actor=actor, post=post)
    except IntegrityError:
        return  # the same like or boost again
    await recount(post.id)


@handles("Like", "EmojiReact")
async def on_like(node: Node, actor: Actor, doc: dict[str, Any]) -> None:
    if await holds.held_like(node, actor, doc):
        return  # support waiting for a moderator, or refused (closed)
    if await initiatives.liked(node, actor, doc):
        return  # a Like of one of our initiatives counts as support
    await _interact(actor, doc, "Like")


@handles("Announce")
async def on_announce(node: Node, actor: Actor, doc: dict[str, Any]) -> None:
    await _interact(actor, doc, "Announce")


# ------------------------------------------------------------------ notes


async def _is_relevant(node: Node, note: vocab.RemoteNote, parent: Post | None) -> bool:
    if parent is not None:
        return True
    if any(t.get("type") == "Mention" and node.urls.is_local(str(t.get("href", ""))) for t in note.tags):
        return True
    if any(node.urls.is_local(a) for a in note.to + note.cc):
        return True
    return await Follow.filter(follower__local=True, target__uri=note.attributed_to, state="accepted").exists()


async def store_note(node: Node, actor: Actor, obj: Mapping[str, Any]) -> Post | None:
    note = vocab.parse_note(obj)
    if note.attributed_to != actor.uri or vocab.host_of(note.id) != actor.domain:
        log.info("refused %s: author is not the sender", note.id)
        return None
    parent = await Post.get_or_none(uri=note.in_reply_to) if note.in_reply_to else None
    decision, target = await holds.reply_decision(node, actor, note.in_reply_to)
    if decision == "refuse":
        log.info("reply %s to %s refused: replies are closed", note.id, note.in_reply_to)
        return None
    if target is None and not await _is_relevant(node, note, parent):
        return None
    values = {
        "kind": note.type,
        "author_id": actor.id,
        "url": note.url,
        "content": clean_html(note.content),
        "content_map": {k: clean_html(v) for k, v in note.content_map.items()} if note.content_map else None,
        "summary_map": note.summary_map,  # every language kept (plain text, escaped when shown)
        "attachments": note.attachments,  # shown as links with their alt text, never hotlinked
        "summary": note.summary,
        "sensitive": note.sensitive,
        "language": note.language,
        "visibility": vocab.visibility_of(note.to, note.cc, actor.followers_url),
        "in_reply_to_uri": note.in_reply_to,
        "in_reply_to_id": parent.id if parent else None,
        "tags": note.tags,
        "to": note.to,
        "cc": note.cc,
        "data": dict(obj),
        "published": note.published or _now(),
        "updated": note.updated,
    }
    if not await Post.filter(uri=note.id).exists():  # held is decided once; an edit keeps the decision
        try:
            await Post.create(uri=note.id, local=False, held=decision == "hold", **values)
        except IntegrityError:
            await _update_if_newer(note, actor, values)  # a concurrent delivery stored it first
    else:
        await _update_if_newer(note, actor, values)
    if parent is not None:
        await recount(parent.id)
    return await Post.get_or_none(uri=note.id)


async def _update_if_newer(note: vocab.RemoteNote, actor: Actor, values: dict[str, Any]) -> None:
    """Deliveries are not ordered (a Create may arrive after its Updates): a version is written only
    over an older one, and the comparison happens in the database, so concurrent handlers agree."""
    query = Post.filter(uri=note.id, author_id=actor.id)
    if note.updated is None:
        query = query.filter(updated__isnull=True)
    else:
        query = query.filter(Q(updated__isnull=True) | Q(updated__lte=note.updated))
    await query.update(**values)


@handles("Create")
async def on_create(node: Node, actor: Actor, doc: dict[str, Any]) -> None:
    obj = await _object_doc(node, actor, doc)
    if obj is None or vocab.type_of(obj) not in vocab.CONTENT_TYPES:
        return
    if vocab.type_of(obj) == "Event":
        await network_calendar.store_event(node, actor, obj)
        return
    if await _initiative(node, actor, obj):
        return
    try:
        post = await store_note(node, actor, obj)
    except vocab.VocabError as exc:
        log.info("Create from %s ignored: %s", actor.uri, exc)
        return
    if post is not None and not post.held:
        await relay_to_group(node, actor, post)


async def relay_to_group(node: Node, actor: Actor, post: Post) -> None:
    """FEP-1b12: a public top-level post addressed to a local group (`to`, `cc` or `audience`) by one
    of its followers is re-published by the group with an Announce, so all its followers see it."""
    if post.in_reply_to_uri or post.visibility != "public":
        return
    audience = set(post.to) | set(post.cc) | set(vocab.ids_of((post.data or {}).get("audience")))
    for uri in audience:
        group = await Actor.get_or_none(uri=uri, local=True, kind="Group", deleted_at=None) if node.urls.is_local(uri) else None
        if group is None or not await Follow.filter(follower=actor, target=group, state="accepted").exists():
            continue
        announce_id = f"{group.uri}#announces/{hashlib.sha256(post.uri.encode()).hexdigest()[:24]}"
        if await Activity.filter(uri=announce_id).exists():
            continue
        doc = vocab.activity("Announce", announce_id, group.uri, post.uri, to=[vocab.PUBLIC],
                             cc=[group.followers_url, actor.uri], audience=group.uri)
        await publish(node, group, doc, recipients=[actor.uri])


@handles("Update")
async def on_update(node: Node, actor: Actor, doc: dict[str, Any]) -> None:
    obj = await _object_doc(node, actor, doc)
    if obj is None:
        return
    kind = vocab.type_of(obj)
    if kind in vocab.ACTOR_TYPES:
        if vocab.id_of(obj) == actor.uri:
            await store_remote_actor(obj, source_url=actor.uri)
        return
    if kind not in vocab.CONTENT_TYPES:
        return
    if kind == "Event":
        await network_calendar.store_event(node, actor, obj)
        return
    if await _initiative(node, actor, obj):
        return
    try:  # an Update of a post not seen yet is stored like a Create, when it concerns us
        await store_note(node, actor, obj)
    except vocab.VocabError as exc:
        log.info("Update from %s ignored: %s", actor.uri, exc)


async def forget_actor(actor: Actor) -> None:
    """A remote account deleted itself: its follows, posts and interactions go, and the counts of our
    posts it had liked, boosted or replied to are recounted."""
    touched = set(await Interaction.filter(actor=actor).values_list("post_id", flat=True))
    touched |= set(await Post.filter(author=actor, in_reply_to_id__isnull=False).values_list("in_reply_to_id", flat=True))
    await Follow.filter(follower=actor).delete()
    await Interaction.filter(actor=actor).delete()
    await Post.filter(author=actor, local=False).delete()
    await Actor.filter(id=actor.id).update(deleted_at=_now())
    for post_id in touched:
        if isinstance(post_id, int):
            await recount(post_id)


@handles("Delete")
async def on_delete(node: Node, actor: Actor, doc: dict[str, Any]) -> None:
    ref = vocab.id_of(doc.get("object"))
    if ref is None:
        return
    if ref == actor.uri:
        await forget_actor(actor)
        return
    if await network_calendar.forget_event(actor, ref):
        return
    if await network_initiatives.forget_initiative(actor, ref):
        return
    post = await Post.get_or_none(uri=ref, author=actor, local=False)
    if post is None:
        return
    parent_id = post.in_reply_to_id  # type: ignore[attr-defined]
    await post.delete()
    if parent_id:
        await recount(parent_id)


# ------------------------------------------------------------------ event participation


@handles("Join")
async def on_join(node: Node, actor: Actor, doc: dict[str, Any]) -> None:
    ref = vocab.id_of(doc.get("object"))
    event = await Event.get_or_none(uri=ref, local=True, deleted_at=None) if ref else None
    if event is None:
        return
    message = vocab.text(doc.get("participationMessage"), 2000)
    try:
        await events.join(node, event, actor, uri=doc["id"], message=message)
    except events.EventError as exc:
        log.info("Join of %s by %s refused: %s", event.uri, actor.uri, exc)
        await events.refuse_join(node, event, actor, doc["id"])


@handles("Leave")
async def on_leave(node: Node, actor: Actor, doc: dict[str, Any]) -> None:
    ref = vocab.id_of(doc.get("object"))
    event = await Event.get_or_none(uri=ref, local=True) if ref else None
    if event is not None:
        await events.leave(node, event, actor)


# ------------------------------------------------------------------ initiatives


async def _initiative(node: Node, actor: Actor, obj: dict[str, Any]) -> bool:
    """A Create or Update of an initiative Article: stored among the network initiatives (when its
    sender is followed). True when the object was an initiative, stored or not."""
    if not initiatives.wire.is_initiative(obj):
        return False
    await network_initiatives.store_initiative(node, actor, obj)
    return True


# ------------------------------------------------------------------ reports


@handles("Flag")
async def on_flag(node: Node, actor: Actor, doc: dict[str, Any]) -> None:
    """A remote server's report (Mastodon sends it from its instance actor, `object` = the reported
    account and statuses, `content` = the comment): a Report in our queue."""
    await reports.receive_flag(node, actor, doc)
