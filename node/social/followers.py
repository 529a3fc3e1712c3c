"""Remote actors following our local ones: the Follow received, its Accept or Reject (at once, or when
an admin decides on a pending request), the Undo; and the answers to the follows we sent."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from tortoise.transactions import in_transaction

from federation import vocab
from node.accounts.actors import HIDDEN_KIND
from node.core.models import Actor, Follow
from node.core.runtime import Node
from node.moderation import holds
from node.social.delivery import publish

INTERNAL_KEYS = ("@context", "signature")  # never embedded in an answer


def _now() -> datetime:
    return datetime.now(timezone.utc)


def accept_document(node: Node, target: Actor, follow_doc: Mapping[str, Any], kind: str = "Accept") -> dict[str, Any]:
    embedded = {k: v for k, v in follow_doc.items() if k not in INTERNAL_KEYS}
    # A fresh id per answer: the same Follow handled twice (a re-run job, a repeated delivery) gets a
    # second Accept rather than a duplicate id that `publish` refuses.
    slug = f"{kind.lower()}-{vocab.iso(_now()).replace(':', '')}-{secrets.token_hex(8)}"
    return vocab.activity(kind, f"{target.uri}#{slug}", target.uri, embedded,
                          to=[vocab.id_of(follow_doc.get("actor"))])


async def answer_follow(node: Node, target: Actor, follower: Actor, follow_doc: Mapping[str, Any], kind: str) -> None:
    await publish(node, target, accept_document(node, target, follow_doc, kind), followers=False, recipients=[follower.uri])


async def local_target(node: Node, ref: str | None) -> Actor | None:
    """The local, live actor `ref` names, if any."""
    if ref is None or not node.urls.is_local(ref):
        return None
    return await Actor.filter(uri=ref, local=True, deleted_at=None).exclude(kind=HIDDEN_KIND).first()


async def receive_follow(node: Node, actor: Actor, doc: Mapping[str, Any]) -> None:
    """A Follow of one of our actors: accepted at once, pending when the target approves its followers
    (or the follower is silenced), rejected for the instance actor. A repeated Follow keeps its state."""
    target = await local_target(node, vocab.id_of(doc.get("object")))
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
    target = await Actor.get(id=follow.target_id)
    follower = await Actor.get(id=follow.follower_id)
    follow_doc = {"id": follow.uri, "type": "Follow", "actor": follower.uri, "object": target.uri}
    if accept:
        follow.state = "accepted"
        await follow.save(update_fields=["state"])
    else:
        await follow.delete()
    await answer_follow(node, target, follower, follow_doc, "Accept" if accept else "Reject")


async def undo_follow(node: Node, actor: Actor, obj: Any) -> bool:
    """An Undo whose object is (or may be, when only its id was sent) a Follow. True when it was one."""
    ref = vocab.id_of(obj)
    kind = vocab.type_of(obj)
    if ref is None or kind not in ("Follow", ""):
        return False
    deleted = await Follow.filter(uri=ref, follower=actor).delete()
    if not deleted and kind != "Follow":
        return False
    if not deleted and isinstance(obj, dict):  # Undo of a Follow whose id we never saw
        target = await local_target(node, vocab.id_of(obj.get("object")))
        if target is not None:
            await Follow.filter(follower=actor, target=target).delete()
    return True


async def follow_answered(actor: Actor, follow_uri: str, accepted: bool) -> None:
    """The Accept or Reject of a Follow we sent to `actor`."""
    if accepted:
        follow = await Follow.get_or_none(uri=follow_uri)
        if follow is not None and follow.target_id == actor.id:
            follow.state = "accepted"
            await follow.save(update_fields=["state"])
    else:
        await Follow.filter(uri=follow_uri, target=actor).delete()
