"""Signing in worker processes (federation/signatures/pool.py and worker.py): the signatures verify,
they come from the workers once those are ready, and a worker that dies or a key it cannot load never
costs a signature (it is made in-process)."""

from __future__ import annotations

import asyncio
import os
import signal

from federation.signatures import generate_key_pair, prepare_cavage, verify_bytes, verify_request
from federation.signatures.pool import SigningPool
from federation.signatures.worker import HEAD, Signer

URL = "https://remote.example/users/bob/inbox"
BODY = b'{"type":"Like"}'


async def ready(pool: SigningPool, count: int) -> None:
    for _ in range(500):
        if len(pool.pids) >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the signing workers did not start")


async def test_signatures_come_from_the_workers_and_verify() -> None:
    private, public = generate_key_pair()
    other_private, other_public = generate_key_pair()
    pool = SigningPool(2, queue_limit=1000)
    try:
        first = await pool.sign(private, b"before the workers")
        assert pool.in_process == 1 and verify_bytes(public, b"before the workers", first)
        await ready(pool, 2)
        pids = pool.pids
        assert len(set(pids)) == 2 and os.getpid() not in pids
        datas = [f"request {n}".encode() for n in range(40)]
        pems = [private if n % 2 else other_private for n in range(40)]
        signatures = await asyncio.gather(*(pool.sign(pem, data) for pem, data in zip(pems, datas)))
        assert pool.in_workers == 40 and pool.in_process == 1
        for n, (data, signature) in enumerate(zip(datas, signatures)):
            assert verify_bytes(public if n % 2 else other_public, data, signature)
            assert not verify_bytes(other_public if n % 2 else public, data, signature)
    finally:
        await pool.aclose()
    assert pool.pids == []


async def test_a_cavage_signature_made_by_a_worker_verifies_as_a_request() -> None:
    private, public = generate_key_pair()
    pool = SigningPool(1)
    try:
        await pool.sign(private, b"start")
        await ready(pool, 1)
        headers = {"Content-Type": "application/activity+json"}
        draft = prepare_cavage("POST", URL, headers, BODY, "https://agora.test/users/a#main-key", private)
        headers.update(draft.finish(await pool.sign(private, draft.data)))
        assert pool.in_workers == 1
        assert verify_request("POST", URL, headers, BODY, public).ok
    finally:
        await pool.aclose()


async def test_a_dead_worker_costs_no_signature() -> None:
    private, public = generate_key_pair()
    pool = SigningPool(1)
    try:
        await pool.sign(private, b"start")
        await ready(pool, 1)
        os.kill(pool.pids[0], signal.SIGKILL)
        signatures = await asyncio.gather(*(pool.sign(private, b"after %d" % n) for n in range(5)))
        assert all(verify_bytes(public, b"after %d" % n, s) for n, s in enumerate(signatures))
        assert pool.in_process >= 5
    finally:
        await pool.aclose()


async def test_no_workers_signs_in_process() -> None:
    private, public = generate_key_pair()
    pool = SigningPool(0)
    signature = await pool.sign(private, b"data")
    assert verify_bytes(public, b"data", signature) and pool.pids == [] and pool.in_process == 1
    await pool.aclose()


async def test_a_burst_is_shared_between_idle_workers_and_the_event_loop() -> None:
    private, public = generate_key_pair()
    pool = SigningPool(2, queue_limit=1)
    try:
        await pool.sign(private, b"start")
        await ready(pool, 2)
        datas = [b"burst %d" % n for n in range(10)]
        signatures = await asyncio.gather(*(pool.sign(private, data) for data in datas))
        assert all(verify_bytes(public, data, s) for data, s in zip(datas, signatures))
        assert (pool.in_workers, pool.in_process) == (2, 1 + 8)  # one each for the idle workers, the rest here
    finally:
        await pool.aclose()


def test_the_worker_answers_every_complete_frame_and_refuses_unknown_keys() -> None:
    private, public = generate_key_pair()
    worker = Signer()
    pem = private.encode()
    frames = HEAD.pack(b"k", 0, 7, len(pem)) + pem + HEAD.pack(b"s", 1, 7, 3) + b"abc" + HEAD.pack(b"s", 2, 9, 1) + b"x"
    out = worker.feed(frames[:50]) + worker.feed(frames[50:-3]) + worker.feed(frames[-3:])
    kind, number, _key, size = HEAD.unpack_from(out, 0)
    assert (kind, number) == (b"o", 1) and verify_bytes(public, b"abc", out[HEAD.size : HEAD.size + size])
    rest = out[HEAD.size + size :]
    kind, number, _key, size = HEAD.unpack_from(rest, 0)
    assert (kind, number) == (b"e", 2) and b"unknown key" in rest[HEAD.size :]
    bad = worker.feed(HEAD.pack(b"k", 0, 8, 3) + b"bad")
    assert HEAD.unpack_from(bad, 0)[0] == b"e"
