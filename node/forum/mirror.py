"""The categories of other servers, as members here see them. What a remote Group a member follows
announces (a Lemmy or PieFed community, a NodeBB category, another Agora node's category) is stored,
so the member reads it; a reply written here goes to the post's author, whose server puts it in the
thread. Moderation from that group's own server (FEP-fe34 same origin, which Lemmy and FEP-1b12
accept too) applies to what is stored: a moderator's Delete hides a post (Undo{Delete} shows it
again), Lock closes it to replies (`replies_moderation` "closed"), Undo{Lock} opens it, NodeBB's Move
and Remove file a thread under another category or none. Nothing here touches our own categories."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from federation import remote
from federation import vocab
from federation.client import FetchError
from node.accounts.actors import fetch_actor
from node.core.models import Actor, Follow, Post
from node.core.runtime import Node
from node.policy import policy
from node.social import interactions, notes

log = logging.getLogger("agora.forum")

Doc = Mapping[str, Any]
WRAPPERS = frozenset({"Create", "Update"})
MOVE_SCAN = 2000  # the newest posts of the thread's server looked at for a Move (JSON is not queried on SQLite)
IGNORED = frozenset({"Like", "Dislike", "EmojiReact", "Add", "Remove", "Flag", "Block", "Follow", "Accept", "Reject"})


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


async def followed_group(actor: Actor) -> bool:
    """A remote Group one of our members follows (we take what it announces only then, as Lemmy)."""
    if actor.local or actor.kind != "Group":
        return False
    return await Follow.filter(follower__local=True, target=actor, state="accepted").exists()


def group_of(post: Post) -> str | None:
    """The remote category a stored post was announced by (or says it is in)."""
    return vocab.id_of((post.data or {}).get("audience"))


def same_origin(uri: str | None, group: str | None) -> bool:
    return bool(uri and group) and vocab.host_of(uri or "") == vocab.host_of(group or "")


async def receive_announce(node: Node, group: Actor, doc: Doc) -> bool:
    """An Announce by a followed remote Group: its post stored, or its moderation applied. False for
    what is not the forum's (any other sender; a boost of one of our own posts)."""
    if not await followed_group(group):
        return False
    inner = doc.get("object")
    kind = vocab.type_of(inner)
    ref = vocab.id_of(inner)
    if ref is None or kind in IGNORED:
        return True
    if kind in WRAPPERS and isinstance(inner, Mapping):
        obj = inner.get("object")
        await store_announced(node, group, vocab.id_of(obj), obj if isinstance(obj, Mapping) else None)
    elif kind == "Delete" and isinstance(inner, Mapping):
        await _delete(node, group, inner)
    elif kind == "Undo" and isinstance(inner, Mapping):
        await _undo(group, inner)
    elif kind == "Lock" and isinstance(inner, Mapping):
        await lock(group.uri, vocab.id_of(inner.get("actor")), vocab.id_of(inner.get("object")), locked=True)
    elif node.urls.is_local(ref):
        return False  # a boost of one of our posts: counted by the social feature
    elif kind in remote.CONTENT_TYPES or kind == "":
        await store_announced(node, group, ref, inner if isinstance(inner, Mapping) else None)
    return True


async def _object_of(node: Node, group: Actor, ref: str, embedded: Doc | None) -> Doc | None:
    """The announced post: as embedded when it comes from the group's own server, else fetched from
    its origin (an embedded copy of someone else's post proves nothing)."""
    if embedded is not None and same_origin(ref, group.uri):
        return embedded
    try:
        return await node.client.get_json(ref, signer=node.instance_signer)
    except FetchError as exc:
        log.info("announced %s not fetched: %s", ref, exc)
        return None


async def store_announced(node: Node, group: Actor, ref: str | None, embedded: Doc | None) -> Post | None:
    """Store a post a followed category announced, filed under that category (`audience`)."""
    if ref is None or node.urls.is_local(ref) or await policy.is_blocked(node, ref):
        return None
    obj = await _object_of(node, group, ref, embedded)
    if obj is None or vocab.id_of(obj) != ref or vocab.type_of(obj) not in remote.CONTENT_TYPES:
        return None
    author_uri = vocab.id_of(obj.get("attributedTo")) or next(iter(vocab.ids_of(obj.get("attributedTo"))), None)
    if author_uri is None or await policy.is_blocked(node, author_uri):
        return None
    try:
        author = await fetch_actor(node, author_uri)
        post = await notes.store_note(node, author, obj, wanted=True)
    except (FetchError, vocab.VocabError) as exc:
        log.info("announced %s not stored: %s", ref, exc)
        return None
    if post is not None and group_of(post) != group.uri:
        post.data = {**(post.data or {}), "audience": group.uri}  # Lemmy's own `audience` may name a user
        await post.save(update_fields=["data"])
    return post


async def receive_update(node: Node, actor: Actor, obj: Doc) -> bool:
    """An author's Update of a post filed under a followed remote category (sent to the category's
    followers, not announced: an Agora node's members do so): applied."""
    post = await Post.get_or_none(uri=vocab.id_of(obj), local=False, author_id=actor.id)
    group = group_of(post) if post is not None else None
    target = await Actor.get_or_none(uri=group) if group else None
    if post is None or target is None or not await followed_group(target):
        return False
    try:
        await notes.store_note(node, actor, obj, wanted=True)
    except vocab.VocabError as exc:
        log.info("Update from %s ignored: %s", actor.uri, exc)
        return True
    stored = await Post.get(id=post.id)
    if group_of(stored) is None:  # the edit says nothing of its category: it stays where it was
        stored.data = {**(stored.data or {}), "audience": group}
        await stored.save(update_fields=["data"])
    return True


async def _moderated(group_uri: str, moderator: str | None, ref: str | None) -> Post | None:
    """A stored post of that remote category, when `moderator` speaks for its server."""
    post = await Post.get_or_none(uri=ref, local=False) if ref else None
    if post is None or group_of(post) != group_uri or not same_origin(moderator, group_uri):
        return None
    return post


async def _delete(node: Node, group: Actor, inner: Doc) -> None:
    """A Delete the group passes on: the author's deletes the post; a moderator's (Lemmy's "remove",
    with a reason in `summary`) hides it, restorable."""
    ref = vocab.id_of(inner.get("object"))
    deleter = vocab.id_of(inner.get("actor"))
    post = await Post.get_or_none(uri=ref, local=False) if ref else None
    if post is None or deleter is None:
        return
    author = await Actor.get(id=post.author_id)
    if deleter == author.uri:
        if same_origin(deleter, group.uri) or not await _still_there(node, post.uri):
            await notes.delete_note(author, post.uri)
        return
    await remove(group.uri, deleter, ref, removed=True)


async def _still_there(node: Node, uri: str) -> bool:
    try:
        doc = await node.client.get_json(uri, signer=node.instance_signer)
    except FetchError:
        return False
    return vocab.type_of(doc) != "Tombstone"


async def _undo(group: Actor, inner: Doc) -> None:
    undone = inner.get("object")
    kind = vocab.type_of(undone)
    if not isinstance(undone, Mapping) or kind not in ("Delete", "Lock"):
        return
    moderator = vocab.id_of(inner.get("actor"))
    ref = vocab.id_of(undone.get("object"))
    if kind == "Delete":
        await remove(group.uri, moderator, ref, removed=False)
    else:
        await lock(group.uri, moderator, ref, locked=False)


async def remove(group_uri: str, moderator: str | None, ref: str | None, *, removed: bool) -> bool:
    post = await _moderated(group_uri, moderator, ref)
    if post is None:
        return False
    await Post.filter(id=post.id).update(deleted_at=utcnow() if removed else None)
    if post.in_reply_to_id:
        await interactions.recount(post.in_reply_to_id)
    return True


async def lock(group_uri: str, moderator: str | None, ref: str | None, *, locked: bool) -> bool:
    """A remote moderator locks (or unlocks) a thread or a comment: members here may not reply."""
    post = await _moderated(group_uri, moderator, ref)
    if post is None:
        return False
    await Post.filter(id=post.id).update(replies_moderation="closed" if locked else "default")
    return True


async def direct_moderation(actor: Actor, doc: Doc) -> bool:
    """Lock, Undo{Lock} and a moderator's Delete sent straight by a moderator of a remote category
    (not announced): applied when the moderator is on that category's server."""
    kind = vocab.type_of(doc)
    obj = doc.get("object")
    if kind == "Undo" and isinstance(obj, Mapping) and vocab.type_of(obj) in ("Lock", "Delete"):
        kind, obj, undo = vocab.type_of(obj), obj.get("object"), True
    else:
        undo = False
    post = await Post.get_or_none(uri=vocab.id_of(obj), local=False) if vocab.id_of(obj) else None
    group = group_of(post) if post is not None else None
    if post is None or group is None or post.author_id == actor.id:
        return False
    if kind == "Lock":
        return await lock(group, actor.uri, post.uri, locked=not undo)
    return await remove(group, actor.uri, post.uri, removed=not undo)


async def move(actor: Actor, doc: Doc) -> bool:
    """NodeBB's Move{object: topic, origin, target} and Remove{object: topic, target}: the stored posts
    of that thread (its `context`) are filed under the new category, or none. Only from the server of
    the topic and of the categories."""
    context = vocab.id_of(doc.get("object"))
    origin = vocab.id_of(doc.get("origin")) if vocab.type_of(doc) == "Move" else vocab.id_of(doc.get("target"))
    target = vocab.id_of(doc.get("target")) if vocab.type_of(doc) == "Move" else None
    if context is None or origin is None or not same_origin(actor.uri, context) or not same_origin(actor.uri, origin):
        return False
    if target is not None and not same_origin(actor.uri, target):
        return False
    moved = 0
    origin_host = context.split("/", 3)[:3]  # scheme://host: the thread's posts are among that server's
    candidates = await Post.filter(local=False, uri__startswith="/".join(origin_host) + "/").order_by("-id").limit(MOVE_SCAN)
    for post in candidates:
        if vocab.id_of((post.data or {}).get("context")) == context and group_of(post) == origin:
            post.data = {**(post.data or {}), "audience": target}
            await post.save(update_fields=["data"])
            moved += 1
    return moved > 0
