"""The inbound path through the real app: cheap refusals, signatures (both schemes), ownership of the
actor, forwarded activities, idempotence and key rotation. Requests are signed here as node b would."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import time
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from typing import Any

import httpx2
import pytest
from starlette.responses import JSONResponse, Response

from federation import vocab
from federation.ldsig import sign_ld
from federation.signatures import generate_key_pair, sign_cavage, sign_rfc9421
from node.accounts.actors import fetch_actor
from node.activitypub.inbox import INBOX_JOB
from node.posts.content import Draft, create_post
from node.core.models import Activity, Actor, Follow, Host, Job, Post
from node.core.runtime import Node
from tests.conftest import Federation, client_for, member

AS2_TYPE = "application/activity+json"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
LD_CONTEXT = ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"]
INBOX = "http://a.test/inbox"


@dataclasses.dataclass
class Remote:
    """Node b as seen by a test: its node and the actors whose keys sign requests to a."""

    node: Node
    bob: Actor
    asso: Actor
    instance: Actor


async def remote_b(fed: Federation) -> Remote:
    b = await fed.add_node("b.test")
    await member(b, "bob")
    with b.ctx:
        return Remote(
            node=b,
            bob=await Actor.get(local=True, username="bob"),
            asso=await Actor.get(local=True, username="asso"),
            instance=await Actor.get(local=True, kind="Application"),
        )


@pytest.fixture
async def a(federation: Federation) -> Node:
    return await federation.add_node("a.test")


def encode(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode()


def signed(
    signer: Actor, body: bytes, *, url: str = INBOX, scheme: str = "cavage", content_type: str = AS2_TYPE
) -> dict[str, str]:
    headers = {"Content-Type": content_type}
    sign = sign_cavage if scheme == "cavage" else sign_rfc9421
    assert signer.key_id and signer.private_key_pem
    headers.update(sign("POST", url, headers, body, signer.key_id, signer.private_key_pem))
    return headers


async def post(node: Node, body: bytes | Any, headers: dict[str, str], path: str = "/inbox") -> httpx2.Response:
    async with client_for(node) as http:
        return await http.post(path, content=body, headers=headers)


def like(actor: Actor, n: int = 1, obj: str = "http://a.test/posts/nothing") -> dict[str, Any]:
    return vocab.activity("Like", f"{actor.uri}#likes/{n}", actor.uri, obj)


def limit_body(node: Node, size: int) -> None:
    node.settings = dataclasses.replace(
        node.settings, federation=dataclasses.replace(node.settings.federation, max_body_bytes=size)
    )


# ------------------------------------------------------------------ cheap refusals


async def test_413_when_content_length_is_over_the_limit(federation: Federation, a: Node) -> None:
    b = await remote_b(federation)
    limit_body(a, 2000)
    doc = like(b.bob)
    doc["padding"] = "x" * 2500
    body = encode(doc)
    headers = signed(b.bob, body)
    pulled: list[bytes] = []

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 500):
            pulled.append(body[start : start + 500])
            yield pulled[-1]

    headers["Content-Length"] = str(len(body))
    response = await post(a, chunks(), headers)
    assert response.status_code == 413
    assert pulled == []  # refused on the declared size, before reading the body
    small = encode(like(b.bob))
    assert (await post(a, small, signed(b.bob, small))).status_code == 202  # the limit is not lower


async def test_413_when_a_streamed_body_grows_over_the_limit(federation: Federation, a: Node) -> None:
    b = await remote_b(federation)
    limit_body(a, 2000)
    doc = like(b.bob)
    doc["padding"] = "x" * 2500
    body = encode(doc)
    headers = signed(b.bob, body)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 500):
            yield body[start : start + 500]

    async with client_for(a) as http:
        request = http.build_request("POST", "/inbox", content=chunks(), headers=headers)
        assert "content-length" not in request.headers  # no declared size: only counting can refuse it
        response = await http.send(request)
    assert response.status_code == 413
    with a.ctx:
        assert await Activity.filter(outgoing=False).count() == 0


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
async def test_415_for_a_body_that_is_not_json(federation: Federation, a: Node, content_type: str) -> None:
    b = await remote_b(federation)
    body = encode(like(b.bob))
    headers = signed(b.bob, body, content_type=content_type or AS2_TYPE)
    if not content_type:
        del headers["Content-Type"]
    else:
        headers["Content-Type"] = content_type
    assert (await post(a, body, headers)).status_code == 415


@pytest.mark.parametrize(
    "content_type", ['application/ld+json; profile="https://www.w3.org/ns/activitystreams"', "application/json"]
)
async def test_other_json_content_types_are_accepted(federation: Federation, a: Node, content_type: str) -> None:
    b = await remote_b(federation)
    body = encode(like(b.bob))
    assert (await post(a, body, signed(b.bob, body, content_type=content_type))).status_code == 202


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"id": "http://b.test/x", "type": "Like", ', "malformed JSON"),
        (b'["http://b.test/x"]', "not an object"),
        (encode({"type": "Like", "actor": "http://b.test/users/bob", "object": "http://a.test/"}), "missing id"),
        (encode({"id": "http://b.test/x", "type": "Like", "object": "http://a.test/"}), "missing actor"),
        (encode({"id": "urn:uuid:1", "type": "Like", "actor": "http://b.test/users/bob"}), "id not a URL"),
        (encode({"id": "http://b.test/x", "type": "Like", "actor": 7}), "actor not a reference"),
        (
            encode({"id": "http://c.test/likes/1", "type": "Like", "actor": "http://b.test/users/bob",
                    "object": "http://a.test/"}),
            "id on another host",
        ),
    ],
)
async def test_400_for_malformed_activities(federation: Federation, a: Node, body: bytes, reason: str) -> None:
    b = await remote_b(federation)
    before = len(federation.network.log)
    response = await post(a, body, signed(b.bob, body))
    assert response.status_code == 400, reason
    assert federation.network.log[before:] == []  # refused before any key fetch
    with a.ctx:
        assert await Activity.filter(outgoing=False).count() == 0


# ------------------------------------------------------------------ signatures


async def test_401_when_unsigned(federation: Federation, a: Node) -> None:
    b = await remote_b(federation)
    body = encode(like(b.bob))
    response = await post(a, body, {"Content-Type": AS2_TYPE})
    assert response.status_code == 401
    with a.ctx:
        assert await Activity.filter(outgoing=False).count() == 0


@pytest.mark.parametrize("scheme", ["cavage", "rfc9421"])
async def test_401_when_the_body_changed_after_signing(federation: Federation, a: Node, scheme: str) -> None:
    b = await remote_b(federation)
    body = encode(like(b.bob))
    headers = signed(b.bob, body, scheme=scheme)
    tampered = encode(like(b.bob, obj="http://a.test/posts/other"))
    assert (await post(a, tampered, headers)).status_code == 401
    assert (await post(a, body, headers)).status_code == 202  # the same headers with the signed body


async def test_401_when_signed_for_another_inbox(federation: Federation, a: Node) -> None:
    b = await remote_b(federation)
    body = encode(like(b.bob))
    headers = signed(b.bob, body, url="http://a.test/users/asso/inbox")
    assert (await post(a, body, headers, path="/inbox")).status_code == 401
    assert (await post(a, body, headers, path="/users/asso/inbox")).status_code == 202


async def test_401_when_the_signer_is_not_the_actor_and_there_is_no_ld_signature(
    federation: Federation, a: Node
) -> None:
    b = await remote_b(federation)
    body = encode(like(b.bob))  # bob's Like, signed by b's association
    response = await post(a, body, signed(b.asso, body))
    assert response.status_code == 401
    assert "own" in response.text
    with a.ctx:
        assert await Activity.filter(outgoing=False).count() == 0


async def test_a_forwarded_activity_with_a_valid_ld_signature_is_accepted(federation: Federation, a: Node) -> None:
    b = await remote_b(federation)
    doc = like(b.bob)
    doc["@context"] = LD_CONTEXT
    assert b.bob.key_id and b.bob.private_key_pem
    proof = sign_ld(doc, b.bob.key_id, b.bob.private_key_pem)
    body = encode(proof)
    assert (await post(a, body, signed(b.instance, body))).status_code == 202
    with a.ctx:
        job = await Job.get(kind=INBOX_JOB)
        assert job.payload == {"activity": doc["id"], "refetch": False}
    # the same proof over a changed activity proves nothing
    forged = dict(proof, object="http://a.test/posts/other", id=f"{b.bob.uri}#likes/2")
    body = encode(forged)
    assert (await post(a, body, signed(b.instance, body))).status_code == 401


async def test_a_forwarded_create_is_accepted_and_its_object_refetched(federation: Federation, a: Node) -> None:
    b = await remote_b(federation)
    alice, _ = await member(a, "alice")
    with b.node.ctx:
        original = await create_post(b.node, b.bob, Draft(text="the original text"))
    with a.ctx:  # alice follows bob, so bob's public notes are wanted here
        bob_here = await fetch_actor(a, b.bob.uri)
        await Follow.create(uri=f"{alice.uri}#follows/1", follower=alice, target=bob_here, state="accepted")
    note = {
        "id": original.uri, "type": "Note", "attributedTo": b.bob.uri, "content": "<p>FORGED</p>",
        "to": [PUBLIC], "published": datetime.now(timezone.utc).isoformat(),
    }
    doc = vocab.activity("Create", f"{original.uri}/activity", b.bob.uri, note, to=[PUBLIC])
    body = encode(doc)
    response = await post(a, body, signed(b.instance, body))  # relayed by b's instance actor, no LD proof
    assert response.status_code == 202
    with a.ctx:
        assert (await Job.get(kind=INBOX_JOB)).payload["refetch"] is True
    before = len(federation.network.log)
    await a.extra["worker"].drain()
    assert ("GET", original.uri, 200) in federation.network.log[before:]
    with a.ctx:
        stored = await Post.get(uri=original.uri)
        assert "the original text" in stored.content and "FORGED" not in stored.content


async def test_a_self_delete_from_an_unknown_actor_is_acknowledged_without_a_request(
    federation: Federation, a: Node
) -> None:
    gone = "http://gone.test/users/ghost"
    federation.network.add("gone.test", Response("gone", status_code=410))  # would answer any key fetch
    doc = vocab.activity("Delete", f"{gone}#delete", gone, gone, to=[PUBLIC])
    body = encode(doc)
    headers = {
        "Content-Type": AS2_TYPE,
        "Signature": f'keyId="{gone}#main-key",algorithm="rsa-sha256",headers="date",signature="AAAA"',
    }
    before = len(federation.network.log)
    response = await post(a, body, headers)
    assert response.status_code == 202
    assert federation.network.log[before:] == []
    with a.ctx:
        assert await Activity.filter(outgoing=False).count() == 0
        assert await Job.filter(kind=INBOX_JOB).count() == 0


async def test_a_self_delete_from_a_known_actor_is_verified(federation: Federation, a: Node) -> None:
    b = await remote_b(federation)
    with a.ctx:
        await fetch_actor(a, b.bob.uri)
    doc = vocab.activity("Delete", f"{b.bob.uri}#delete", b.bob.uri, b.bob.uri, to=[PUBLIC])
    body = encode(doc)
    assert (await post(a, body, {"Content-Type": AS2_TYPE})).status_code == 401
    assert (await post(a, body, signed(b.bob, body))).status_code == 202
    await a.extra["worker"].drain()
    with a.ctx:
        assert (await Actor.get(uri=b.bob.uri)).deleted_at is not None


async def test_the_same_activity_twice_is_stored_once(federation: Federation, a: Node) -> None:
    b = await remote_b(federation)
    doc = like(b.bob)
    body = encode(doc)
    headers = signed(b.bob, body)
    first = await post(a, body, headers)
    second = await post(a, body, headers)
    assert (first.status_code, second.status_code) == (202, 202)
    again = await post(a, body, signed(b.bob, body, scheme="rfc9421"))  # re-sent with the other scheme
    assert again.status_code == 202
    with a.ctx:
        assert await Activity.filter(uri=doc["id"]).count() == 1
        assert await Job.filter(kind=INBOX_JOB).count() == 1


@pytest.mark.parametrize("scheme", ["cavage", "rfc9421"])
async def test_both_signature_schemes_are_accepted_and_logged(
    federation: Federation, a: Node, scheme: str, caplog: pytest.LogCaptureFixture
) -> None:
    b = await remote_b(federation)
    caplog.set_level(logging.DEBUG, logger="agora.inbox")  # one line per activity: debug
    doc = like(b.bob)
    body = encode(doc)
    assert (await post(a, body, signed(b.bob, body, scheme=scheme))).status_code == 202
    assert f"inbox verified scheme={scheme} key={b.bob.key_id} type=Like" in caplog.messages
    with a.ctx:
        record = await Activity.get(uri=doc["id"])
        assert (record.kind, record.actor_uri, record.outgoing, record.data) == ("Like", b.bob.uri, False, doc)


async def test_a_rotated_key_is_refetched_once_and_accepted(federation: Federation, a: Node) -> None:
    b = await remote_b(federation)
    body = encode(like(b.bob, 1))
    assert (await post(a, body, signed(b.bob, body))).status_code == 202
    with a.ctx:
        old_pem = (await Actor.get(uri=b.bob.uri)).public_key_pem
    private_pem, public_pem = generate_key_pair()
    with b.node.ctx:
        rotated = await Actor.get(id=b.bob.id)  # saved, not updated: b's document cache sees the change
        rotated.private_key_pem, rotated.public_key_pem = private_pem, public_pem
        await rotated.save(update_fields=["private_key_pem", "public_key_pem"])
    a.keys.clock = lambda: time.monotonic() + 61  # a minute after the key was fetched (the refetch brake)
    before = len(federation.network.log)
    body = encode(like(b.bob, 2))
    assert (await post(a, body, signed(rotated, body))).status_code == 202
    fetches = [entry for entry in federation.network.log[before:] if entry[0] == "GET"]
    assert fetches == [("GET", b.bob.uri, 200)]
    with a.ctx:
        cached = (await Actor.get(uri=b.bob.uri)).public_key_pem
        assert cached == public_pem != old_pem
    # a request still signed with the retired key now fails, without another fetch within the minute
    before = len(federation.network.log)
    body = encode(like(b.bob, 3))
    assert (await post(a, body, signed(b.bob, body))).status_code == 401
    assert [entry for entry in federation.network.log[before:] if entry[0] == "GET"] == []


async def test_a_verified_request_revives_its_host(federation: Federation, a: Node) -> None:
    b = await remote_b(federation)
    with a.ctx:
        await Host.create(domain="b.test", failures=9, first_failure_at=datetime.now(timezone.utc))
    body = encode(like(b.bob))
    assert (await post(a, body, {"Content-Type": AS2_TYPE})).status_code == 401
    with a.ctx:
        assert (await Host.get(domain="b.test")).failures == 9  # an unverified request proves nothing
    assert (await post(a, body, signed(b.bob, body))).status_code == 202
    with a.ctx:
        host = await Host.get(domain="b.test")
        assert (host.failures, host.first_failure_at) == (0, None)


async def test_personal_and_instance_inboxes_take_activities_too(federation: Federation, a: Node) -> None:
    b = await remote_b(federation)
    for n, path in enumerate(["/users/asso/inbox", "/actor/inbox"]):
        body = encode(like(b.bob, n))
        headers = signed(b.bob, body, url=f"http://a.test{path}")
        assert (await post(a, body, headers, path=path)).status_code == 202
    with a.ctx:
        assert await Activity.filter(outgoing=False).count() == 2


async def test_a_self_delete_is_handled_when_the_actor_document_is_gone(federation: Federation, a: Node) -> None:
    """The usual account deletion: a knows bob from long ago, bob's document now answers 410 Gone (as a
    deleted Agora or Mastodon account does)."""
    b = await remote_b(federation)
    with a.ctx:
        await fetch_actor(a, b.bob.uri)
        await Actor.filter(uri=b.bob.uri).update(fetched_at=datetime(2020, 1, 1, tzinfo=timezone.utc))
    with b.node.ctx:
        gone = await Actor.get(id=b.bob.id)  # saved, not updated: b's document cache sees the change
        gone.deleted_at = datetime.now(timezone.utc)
        await gone.save(update_fields=["deleted_at"])
    doc = vocab.activity("Delete", f"{b.bob.uri}#delete", b.bob.uri, b.bob.uri, to=[PUBLIC])
    body = encode(doc)
    assert (await post(a, body, signed(b.bob, body))).status_code == 202  # verified with the cached key
    before = len(federation.network.log)
    await a.extra["worker"].drain()
    assert ("GET", b.bob.uri, 410) in federation.network.log[before:]  # the refresh was tried
    with a.ctx:
        assert (await Actor.get(uri=b.bob.uri)).deleted_at is not None
        assert (await Job.get(kind=INBOX_JOB)).status == "done"


async def test_concurrent_deliveries_are_all_accepted(federation: Federation, a: Node) -> None:
    b = await remote_b(federation)
    bodies = [encode(like(b.bob, n)) for n in range(4)]
    async with client_for(a) as http:
        responses = await asyncio.gather(
            *(http.post("/inbox", content=body, headers=signed(b.bob, body)) for body in bodies)
        )
    assert [r.status_code for r in responses] == [202] * 4
    with a.ctx:
        assert await Activity.filter(outgoing=False).count() == 4


async def test_another_host_claiming_a_key_id_does_not_break_its_owner(federation: Federation, a: Node) -> None:
    b = await remote_b(federation)
    _, evil_public = generate_key_pair()
    evil = "http://evil.test/users/mallory"
    evil_doc = {
        "@context": vocab.CONTEXT, "id": evil, "type": "Person", "inbox": f"{evil}/inbox",
        "publicKey": {"id": b.bob.key_id, "owner": evil, "publicKeyPem": evil_public},
    }
    federation.network.add("evil.test", JSONResponse(evil_doc, media_type=AS2_TYPE))
    with a.ctx:
        await fetch_actor(a, evil)
    for n in range(2):
        body = encode(like(b.bob, n))
        assert (await post(a, body, signed(b.bob, body))).status_code == 202


# ------------------------------------------------------------------ hardening: authorship, nesting, no 500


def create_note(actor: Actor, n: int, **note: Any) -> dict[str, Any]:
    obj = {"id": f"{actor.uri}/notes/{n}", "type": "Note", "attributedTo": actor.uri,
           "content": f"<p>note {n}</p>", "to": [PUBLIC, "http://a.test/users/asso"],
           "published": "2026-03-01T10:00:00Z", **note}
    return {"@context": vocab.CONTEXT, "id": f"{actor.uri}/notes/{n}/activity", "type": "Create",
            "actor": actor.uri, "to": obj["to"], "object": obj}


async def test_a_create_whose_object_claims_another_author_is_refused(federation: Federation, a: Node) -> None:
    """bob, correctly signed, sends a note addressed to a's association but attributed to someone else
    (or hosted elsewhere): nothing is stored. The same note attributed to bob is stored (control)."""
    b = await remote_b(federation)
    forged = [
        create_note(b.bob, 1, attributedTo=b.asso.uri),
        create_note(b.bob, 2, attributedTo="http://c.test/users/victim"),
        create_note(b.bob, 3, id="http://c.test/notes/3"),
    ]
    honest = create_note(b.bob, 4)
    for doc in [*forged, honest]:
        body = encode(doc)
        assert (await post(a, body, signed(b.bob, body))).status_code == 202
    await federation.settle()
    with a.ctx:
        stored = await Post.filter(local=False).values_list("uri", flat=True)
        assert stored == [honest["object"]["id"]]
        assert await Job.filter(kind=INBOX_JOB, status="dead").count() == 0


async def test_deeply_nested_json_is_refused_with_400(federation: Federation, a: Node) -> None:
    b = await remote_b(federation)
    doc = like(b.bob)
    head = encode(doc)[:-1]
    for depth in (100_000, 5_000):
        for nested in (b"[" * depth + b"]" * depth, b'{"a":' * depth + b"1" + b"}" * depth):
            body = head + b',"object":' + nested + b"}"
            for headers in (signed(b.bob, body), {"Content-Type": AS2_TYPE}):
                response = await post(a, body, headers)
                assert response.status_code == 400, (depth, response.status_code, response.text[:200])
    with a.ctx:
        assert await Activity.filter(outgoing=False).count() == 0


async def test_nesting_that_json_accepts_does_not_crash_the_worker(federation: Federation, a: Node) -> None:
    b = await remote_b(federation)
    depth = 400
    doc = create_note(b.bob, 7, content="<p>deep</p>", tag=json.loads("[" * depth + "]" * depth),
                      attachment=json.loads('{"a":' * depth + "1" + "}" * depth))
    body = encode(doc)
    assert (await post(a, body, signed(b.bob, body))).status_code in (202, 400)
    await federation.settle()
    with a.ctx:
        errors = await Job.filter(kind=INBOX_JOB).values_list("last_error", flat=True)
    assert not [e for e in errors if e and "Recursion" in e], errors


ODD_BODIES = [b"", b"null", b"true", b"12", b'"text"', b"{}", b"{\"id\": null}", b"\xff\xfe\x00{", b"{\"id\":\"\\ud800\"}",
     b'{"id": "http://b.test/x", "type": ["Like", {"a": 1}], "actor": "http://b.test/users/bob"}',
     b'{"id": "http://b.test/x", "type": "Like", "actor": {"id": ["http://b.test/users/bob"]}}',
     b'{"id": "http://b.test/' + b"x" * 5000 + b'", "type": "Like", "actor": "http://b.test/users/bob"}',
     b'{"id": "http://b.test/x", "type": "Like", "actor": "http://b.test/users/bob", "object": 1e999999}',
     b'{"id": "http://b.test/x", "type": "Like", "actor": "http://b.test/users/bob", "object": NaN}']


async def test_odd_bodies_get_a_4xx_never_a_500(federation: Federation, a: Node) -> None:
    b = await remote_b(federation)
    for body in ODD_BODIES:
        for headers in (signed(b.bob, body), {"Content-Type": AS2_TYPE}):
            response = await post(a, body, headers)
            assert 400 <= response.status_code < 500 or response.status_code == 202, (body[:80], response.status_code)
