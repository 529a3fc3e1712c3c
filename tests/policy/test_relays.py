"""Relays against a minimal fake relay (a Starlette app on the in-process network): subscribe (the
instance actor's Follow of as:Public), Accept, the association's public posts delivered to the relay,
the relay's Announces taken in, Reject, and leaving (Undo Follow)."""

from __future__ import annotations

import json
from typing import Any

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from federation import vocab
from federation.signatures import PublicKey, generate_key_pair, sign_cavage, verify_with_keys
from node.policy import relays, rules
from node.accounts.actors import local_actor
from node.posts.content import Draft, create_post
from node.core.models import Actor, AuditEntry, Interaction, Post
from node.policy.models import Relay
from node.policy.domains import PolicyError
from node.core.runtime import Node
from tests.conftest import Federation, member

RELAY = "http://relay.test"


class FakeRelay:
    """Enough of a LitePub/Mastodon relay: an actor with a key, an inbox that keeps what arrives and
    checks that it is signed by the sender's key."""

    def __init__(self, fed: Federation, node: Node, host: str = "relay.test") -> None:
        self.fed, self.node, self.base = fed, node, f"http://{host}"
        self.private, self.public = generate_key_pair()
        self.received: list[dict[str, Any]] = []
        self.app = Starlette(routes=[Route("/actor", self.actor), Route("/inbox", self.inbox, methods=["POST"])])
        fed.network.add(host, self.app)

    @property
    def actor_id(self) -> str:
        return f"{self.base}/actor"

    async def actor(self, request: Request) -> Response:
        return JSONResponse({
            "@context": [vocab.AS2, "https://w3id.org/security/v1"], "id": self.actor_id, "type": "Application",
            "preferredUsername": "relay", "inbox": f"{self.base}/inbox",
            "publicKey": {"id": f"{self.actor_id}#main-key", "owner": self.actor_id, "publicKeyPem": self.public},
        }, media_type="application/activity+json")

    async def inbox(self, request: Request) -> Response:
        body = await request.body()

        async def key(key_id: str, refresh: bool) -> PublicKey | None:
            with self.node.ctx:
                signer = await Actor.get_or_none(key_id=key_id, local=True)
            return PublicKey(key_id, signer.uri, signer.public_key_pem or "") if signer else None

        result = await verify_with_keys("POST", f"{self.base}/inbox", dict(request.headers), body, key)
        assert result.ok, result.reason
        self.received.append(json.loads(body))
        return Response(status_code=202)

    async def send(self, doc: dict[str, Any], inbox: str = "http://a.test/inbox", key_id: str | None = None) -> int:
        body = json.dumps(doc).encode()
        headers = {"Content-Type": "application/activity+json"}
        headers.update(sign_cavage("POST", inbox, headers, body, key_id or f"{self.actor_id}#main-key", self.private))
        async with httpx2.AsyncClient(transport=self.fed.network) as http:
            return (await http.post(inbox, content=body, headers=headers)).status_code

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [doc for doc in self.received if doc.get("type") == kind]


async def subscribed(fed: Federation, a: Node, relay: FakeRelay) -> Relay:
    with a.ctx:
        row = await relays.add(a, f"{relay.base}/inbox", by="cli")
    await fed.settle()
    return row


async def test_subscribe_accept_deliver_and_leave(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    relay = FakeRelay(federation, a)
    row = await subscribed(federation, a, relay)
    [follow] = relay.of_type("Follow")
    assert follow["actor"] == a.urls.instance_actor and follow["object"] == vocab.PUBLIC
    assert follow["id"] == row.follow_uri
    with a.ctx:
        assert (await Relay.get(id=row.id)).state == "pending"
        group = await local_actor("asso")
        assert group is not None
        await create_post(a, group, Draft(text="Before the relay accepted"))
    await federation.settle()
    assert relay.of_type("Create") == []

    accept = {"@context": vocab.AS2, "id": f"{RELAY}/activities/accept-1", "type": "Accept",
              "actor": relay.actor_id, "object": follow}
    assert await relay.send(accept) == 202
    await federation.settle()
    with a.ctx:
        stored = await Relay.get(id=row.id)
        assert (stored.state, stored.actor_uri) == ("accepted", relay.actor_id)
        public = await create_post(a, group, Draft(text="Our festival is open to all"))
        await create_post(a, group, Draft(text="For followers", visibility="followers"))
    bob, _ = await member(a, "bob")
    with a.ctx:
        await create_post(a, await Actor.get(id=bob.id), Draft(text="A member's own post"))
    await federation.settle()
    assert [doc["object"]["id"] for doc in relay.of_type("Create")] == [public.uri]  # the association's public only

    # The relay's Announce of our post is taken in like any signed activity.
    announce = vocab.activity("Announce", f"{RELAY}/activities/announce-1", relay.actor_id, public.uri,
                              to=[vocab.PUBLIC])
    assert await relay.send(announce) == 202
    await federation.settle()
    with a.ctx:
        assert await Interaction.filter(kind="Announce", post__uri=public.uri).exists()

    with a.ctx:
        await relays.remove(a, row.id, by="cli")
    await federation.settle()
    [undo] = relay.of_type("Undo")
    assert undo["actor"] == a.urls.instance_actor and undo["object"]["id"] == follow["id"]
    with a.ctx:
        assert not await Relay.exists()
        await create_post(a, group, Draft(text="After leaving"))
        assert [e.action for e in await AuditEntry.filter(action__startswith="relay")] == ["relay.add", "relay.remove"]
    await federation.settle()
    assert len(relay.of_type("Create")) == 1


async def test_a_relay_may_refuse_and_no_one_else_may_answer_for_it(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    relay = FakeRelay(federation, a)
    impostor = FakeRelay(federation, a, "evil.test")
    row = await subscribed(federation, a, relay)
    [follow] = relay.of_type("Follow")
    fake_accept = {"@context": vocab.AS2, "id": "http://evil.test/accept", "type": "Accept",
                   "actor": impostor.actor_id, "object": follow}
    assert await impostor.send(fake_accept) == 202
    await federation.settle()
    with a.ctx:
        assert (await Relay.get(id=row.id)).state == "pending"
    reject = {"@context": vocab.AS2, "id": f"{RELAY}/reject-1", "type": "Reject", "actor": relay.actor_id,
              "object": follow["id"]}
    assert await relay.send(reject) == 202
    await federation.settle()
    with a.ctx:
        assert (await Relay.get(id=row.id)).state == "rejected"
        group = await local_actor("asso")
        assert group is not None
        await create_post(a, group, Draft(text="Public"))
    await federation.settle()
    assert relay.of_type("Create") == []


async def test_relay_addresses_are_checked(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    with a.ctx:
        for bad in ("relay.test/inbox", "ftp://relay.test/inbox", "http://a.test/inbox"):
            with pytest.raises(PolicyError):
                await relays.add(a, bad, by="cli")
        await rules.save_rule(a, "relay.test", "suspend", by="cli")
        with pytest.raises(PolicyError):
            await relays.add(a, "http://relay.test/inbox", by="cli")
        assert not await Post.exists()
