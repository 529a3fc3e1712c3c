"""ActivityPub relays (the Mastodon/LitePub relay protocol), so that a small association is discovered.

Subscribing: the instance actor sends `Follow{object: as:Public}` to the relay's inbox (Mastodon's
app/models/relay.rb does the same with its representative account); the relay's `Accept` of that
Follow marks the relay accepted, a `Reject` marks it rejected. Leaving sends `Undo{Follow}`.
Once accepted, the association's public activities are also delivered to the relay's inbox
(node/delivery.py), and the relay's Announces are taken by the inbox like any signed activity (the
announced object is referenced by id, so the handlers never trust a copy: they look it up or refetch it
from its origin)."""

from __future__ import annotations

import secrets

from federation import vocab
from node.core import audit
from node.policy import policy
from node.accounts.actors import ensure_instance_actor
from node.social.delivery import publish_to_inboxes
from node.core.models import Actor, User
from node.policy.models import Relay
from node.policy.domains import PolicyError
from node.core.runtime import Node


def follow_document(instance: Actor, follow_uri: str) -> dict[str, object]:
    return {"@context": vocab.AS2, "id": follow_uri, "type": "Follow", "actor": instance.uri, "object": vocab.PUBLIC}


async def add(node: Node, inbox_url: str, *, user: User | None = None, by: str | None = None) -> Relay:
    """Subscribe to a relay by its inbox URL (sending the Follow again when it is already known)."""
    inbox_url = inbox_url.strip()
    if not vocab.is_http_url(inbox_url) or len(inbox_url) > 2048:
        raise PolicyError("give the relay's inbox address, like https://relay.example/inbox")
    if node.urls.is_local(inbox_url):
        raise PolicyError("that is this node's own address")
    refusal = await policy.block_reason(node, inbox_url)
    if refusal is not None:
        raise PolicyError(f"the federation policy refuses this relay: {refusal}")
    instance = await ensure_instance_actor(node.urls)
    follow_uri = f"{instance.uri}#relay-follows/{secrets.token_hex(8)}"
    relay, created = await Relay.get_or_create(defaults={"follow_uri": follow_uri}, inbox_url=inbox_url)
    if not created:
        relay.follow_uri, relay.state = follow_uri, "pending"
        await relay.save(update_fields=["follow_uri", "state"])
    await publish_to_inboxes(node, instance, follow_document(instance, follow_uri), [inbox_url])
    await audit.record(user, "relay.add", inbox_url, by=by)
    return relay


async def remove(node: Node, relay_id: int, *, user: User | None = None, by: str | None = None) -> Relay:
    """Leave a relay: Undo the Follow (when one was sent) and forget the relay."""
    relay = await Relay.get_or_none(id=relay_id)
    if relay is None:
        raise PolicyError("no such relay (it may have been removed already)")
    instance = await ensure_instance_actor(node.urls)
    if relay.follow_uri and not await policy.is_blocked(node, relay.inbox_url):
        undo = {"@context": vocab.AS2, "id": f"{relay.follow_uri}/undo", "type": "Undo", "actor": instance.uri,
                "object": {k: v for k, v in follow_document(instance, relay.follow_uri).items() if k != "@context"}}
        await publish_to_inboxes(node, instance, undo, [relay.inbox_url])
    await relay.delete()
    await audit.record(user, "relay.remove", relay.inbox_url, by=by, state=relay.state)
    return relay


async def find(inbox_url: str) -> Relay | None:
    return await Relay.get_or_none(inbox_url=inbox_url.strip())


async def answered(actor: Actor, follow_uri: str, *, accepted: bool) -> bool:
    """An Accept or Reject from a relay, of the Follow we sent it. True when it was one (handled).
    The answer must come from the relay's own host."""
    relay = await Relay.get_or_none(follow_uri=follow_uri)
    if relay is None:
        return False
    if vocab.host_of(actor.uri) != vocab.host_of(relay.inbox_url):
        return True  # someone else answering for the relay: ignored
    relay.state = "accepted" if accepted else "rejected"
    relay.actor_uri = actor.uri
    await relay.save(update_fields=["state", "actor_uri"])
    return True
