"""Per-account blocks: an admin suspends or silences one remote account (a suspension also removes
its follows and content here, suspension.py), and lifts the block."""

from __future__ import annotations

from federation import vocab
from node.core import audit
from node.policy.domains import PolicyError
from node.policy.snapshot import ACTOR_ACTIONS, changed
from node.core.models import Actor, User
from node.policy.models import ActorBlock
from node.policy.rules import clean_text
from node.policy.suspension import purge_actors
from node.core.runtime import Node


async def block_actor(node: Node, uri: str, action: str = "suspend", reason: str = "", *,
                      user: User | None = None, by: str | None = None) -> ActorBlock:
    uri = uri.strip().split("#", 1)[0]
    if not vocab.is_http_url(uri) or len(uri) > 2048:
        raise PolicyError("give the account's address as an https:// URL")
    if node.urls.is_local(uri):
        raise PolicyError("accounts of this node are managed from the members page, not blocked")
    if action not in ACTOR_ACTIONS:
        raise PolicyError(f"the action must be one of {', '.join(ACTOR_ACTIONS)}")
    reason = clean_text(reason, "reason")
    row, created = await ActorBlock.get_or_create(defaults={"action": action, "reason": reason}, uri=uri)
    previous = None if created else row.action
    if not created:
        await ActorBlock.filter(id=row.id).update(action=action, reason=reason)
        await row.refresh_from_db()
    await audit.record(user, f"actor.{action}", uri, by=by, previous=previous, reason=reason)
    await changed(node)
    if action == "suspend" and previous != "suspend":
        counts = await purge_actors([actor.id for actor in await Actor.filter(uri=uri, local=False).only("id")])
        if any(counts.values()):
            await audit.record(user, "actor.purge", uri, by=by, **counts)
    return row


async def unblock_actor(node: Node, block_id: int, *, user: User | None = None, by: str | None = None) -> ActorBlock:
    row = await ActorBlock.get_or_none(id=block_id)
    if row is None:
        raise PolicyError("no such account block (it may have been lifted already)")
    await row.delete()
    await audit.record(user, "actor.unblock", row.uri, by=by, rule=row.action)
    await changed(node)
    return row
