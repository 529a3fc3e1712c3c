"""Forged signatures naming a real keyId: the key is fetched from its origin at most once a minute, and a
genuine rotation after that minute is still taken."""

from __future__ import annotations

import asyncio
import time

import pytest

from federation.signatures import generate_key_pair, sign_cavage
from node.core.models import Actor
from node.core.runtime import Node
from tests.activitypub.test_inbox import AS2_TYPE, INBOX, encode, like, post, remote_b, signed
from tests.conftest import Federation, client_for

FORGERIES = 20


@pytest.fixture
async def a(federation: Federation) -> Node:
    return await federation.add_node("a.test")


def forged(key_id: str, body: bytes) -> dict[str, str]:
    """Headers signed with a key of the forger's own, naming `key_id`."""
    private_pem, _ = generate_key_pair()
    headers = {"Content-Type": AS2_TYPE}
    headers.update(sign_cavage("POST", INBOX, headers, body, key_id, private_pem))
    return headers


def gets_to(federation: Federation, host: str, since: int) -> list[str]:
    return [url for method, url, _ in federation.network.log[since:] if method == "GET" and f"//{host}/" in url]


async def forge(federation: Federation, a: Node, key_id: str, actor: Actor) -> list[int]:
    bodies = [encode(like(actor, n)) for n in range(100, 100 + FORGERIES)]
    async with client_for(a) as http:
        responses = await asyncio.gather(
            *(http.post("/inbox", content=body, headers=forged(key_id, body)) for body in bodies)
        )
    return [r.status_code for r in responses]


async def test_forgeries_naming_a_known_key_refetch_it_once(federation: Federation, a: Node) -> None:
    b = await remote_b(federation)
    body = encode(like(b.bob, 1))
    assert (await post(a, body, signed(b.bob, body))).status_code == 202  # a knows bob's key
    now = [time.monotonic() + 3600]  # an hour later: the last fetch is long past
    a.keys.clock = lambda: now[0]
    before = len(federation.network.log)
    assert b.bob.key_id
    assert await forge(federation, a, b.bob.key_id, b.bob) == [401] * FORGERIES
    assert gets_to(federation, "b.test", before) == [b.bob.uri]  # one refetch, not twenty
    # a minute later, bob really rotates his key: the new one is fetched and his activity taken
    private_pem, public_pem = generate_key_pair()
    with b.node.ctx:
        rotated = await Actor.get(id=b.bob.id)  # saved, not updated: b's document cache sees the change
        rotated.private_key_pem, rotated.public_key_pem = private_pem, public_pem
        await rotated.save(update_fields=["private_key_pem", "public_key_pem"])
    now[0] += 61
    before = len(federation.network.log)
    body = encode(like(b.bob, 2))
    assert (await post(a, body, signed(rotated, body))).status_code == 202
    assert gets_to(federation, "b.test", before) == [b.bob.uri]
    with a.ctx:
        assert (await Actor.get(uri=b.bob.uri)).public_key_pem == public_pem


async def test_forgeries_naming_an_unknown_key_fetch_it_once(federation: Federation, a: Node) -> None:
    b = await remote_b(federation)  # a has never heard of bob
    assert b.bob.key_id
    assert await forge(federation, a, b.bob.key_id, b.bob) == [401] * FORGERIES
    assert gets_to(federation, "b.test", 0) == [b.bob.uri]
    other_key = f"{b.bob.uri}#no-such-key"  # bob is real, that key is not: not fetched again either
    before = len(federation.network.log)
    assert await forge(federation, a, other_key, b.bob) == [401] * FORGERIES
    assert gets_to(federation, "b.test", before) == [b.bob.uri]
