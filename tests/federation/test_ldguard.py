"""federation.ldguard and federation.keycache: the LD worker process (answers, time limit, kill and
replace), the per-host budget, and the key cache's refetch brake and shared fetches."""

from __future__ import annotations

import asyncio
import io
import json
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest

from federation.keycache import KeyCache
from federation.ldguard import HostBudget, LdGuard
from federation.ldsig import ld_signed_data, sign_ld, verify_ld_signed_data
from federation.ldworker import READY, answer, read_frame, serve, write_frame
from federation.signatures import PublicKey, generate_key_pair

KEY_ID = "https://b.example/users/bob#main-key"
CONTEXT = ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"]


@pytest.fixture(scope="module")
def pair() -> tuple[str, str]:
    return generate_key_pair()


def note(tags: int = 1) -> dict[str, Any]:
    tag = {"type": "Note", "tag": {"type": "Note", "tag": {"type": "Hashtag"}}}
    return {"@context": CONTEXT, "id": "https://b.example/a/1", "type": "Create", "actor": "https://b.example/users/bob",
            "object": {"id": "https://b.example/n/1", "type": "Note", "tag": [tag] * tags}}


@pytest.fixture
async def guard() -> AsyncIterator[LdGuard]:
    ld = LdGuard()
    try:
        yield ld
    finally:
        await ld.close()


def test_the_worker_protocol_answers_each_frame() -> None:
    doc = sign_ld(note(), KEY_ID, generate_key_pair()[0])
    stdin = io.BytesIO()
    write_frame(stdin, b'{"not": "signed"}')
    write_frame(stdin, json.dumps(doc).encode())
    stdin.seek(0)
    stdout = io.BytesIO()
    serve(stdin, stdout)
    stdout.seek(0)
    assert read_frame(stdout) == READY
    assert read_frame(stdout) == b"ecannot canonicalize: ValueError"
    assert read_frame(stdout) == b"o" + ld_signed_data(doc)
    assert read_frame(stdout) is None
    assert answer(b"[[[") == b"ecannot canonicalize: JSONDecodeError"


async def test_the_worker_computes_what_the_signature_signs(guard: LdGuard, pair: tuple[str, str]) -> None:
    doc = sign_ld(note(), KEY_ID, pair[0])
    canonical = await guard.signed_data(doc, 5.0)
    assert canonical.data == ld_signed_data(doc)
    assert verify_ld_signed_data(doc, canonical.data, pair[1]).ok
    pid = guard.pid
    assert pid is not None and pid != os.getpid()  # another process did the work
    again = await guard.signed_data(dict(doc, signature=dict(doc["signature"], created="2020-01-01T00:00:00Z")), 5.0)
    assert again.data is not None and again.data != canonical.data
    assert (guard.pid, guard.starts, guard.runs) == (pid, 1, 2)  # the same worker served both


async def test_the_worker_reports_what_it_cannot_canonicalize(guard: LdGuard, pair: tuple[str, str]) -> None:
    doc = sign_ld(note(), KEY_ID, pair[0])
    doc["@context"] = "https://example.org/not-bundled"
    canonical = await guard.signed_data(doc, 5.0)
    assert canonical.data is None and "not bundled" in canonical.reason
    assert guard.kills == 0  # an answer, not a fault


async def test_over_the_time_limit_the_worker_is_killed_and_replaced(guard: LdGuard, pair: tuple[str, str]) -> None:
    assert (await guard.signed_data(sign_ld(note(), KEY_ID, pair[0]), 5.0)).data is not None
    slow = sign_ld(note(800), KEY_ID, pair[0])  # about half a second of canonicalization
    first = guard.pid
    canonical = await guard.signed_data(slow, 0.05)
    assert canonical.data is None and "longer than 0.05 s" in canonical.reason
    assert guard.kills == 1 and guard.pid is None
    assert first is not None
    with pytest.raises(ProcessLookupError):
        os.kill(first, 0)
    assert (await guard.signed_data(slow, 30.0)).data == ld_signed_data(slow)
    assert guard.starts == 2


async def test_a_document_waits_for_the_worker_at_most_the_time_limit(guard: LdGuard, pair: tuple[str, str]) -> None:
    assert (await guard.signed_data(sign_ld(note(), KEY_ID, pair[0]), 5.0)).data is not None
    slow = sign_ld(note(800), KEY_ID, pair[0])
    busy = asyncio.create_task(guard.signed_data(slow, 30.0))
    await asyncio.sleep(0.01)
    waiting = await guard.signed_data(sign_ld(note(), KEY_ID, pair[0]), 0.05)
    assert waiting.data is None and "busy" in waiting.reason
    assert (await busy).data is not None and guard.kills == 0  # the one at work was not disturbed


async def test_close_stops_the_worker(pair: tuple[str, str]) -> None:
    guard = LdGuard()
    assert guard.pid is None  # started only when needed
    await guard.signed_data(sign_ld(note(), KEY_ID, pair[0]), 5.0)
    pid = guard.pid
    assert pid is not None
    await guard.close()
    assert guard.pid is None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_the_host_budget_is_a_token_bucket_per_host() -> None:
    now = [0.0]
    budget = HostBudget(clock=lambda: now[0])
    assert [budget.take("b.example", 3) for _ in range(4)] == [True, True, True, False]
    assert budget.take("c.example", 3)  # another host has its own
    now[0] += 20.0  # 3 a minute: one regained every 20 s
    assert [budget.take("b.example", 3) for _ in range(2)] == [True, False]
    assert all(budget.take("b.example", 0) for _ in range(10))  # 0: no limit


def test_the_host_budget_is_bounded() -> None:
    budget = HostBudget(max_hosts=2, clock=lambda: 0.0)
    assert budget.take("a", 1) and budget.take("b", 1) and budget.take("c", 1)
    assert budget.take("a", 1)  # forgotten (least recently used): its past forgiven


def test_the_key_cache_remembers_keys_for_a_while() -> None:
    now = [0.0]
    keys = KeyCache(ttl=300.0, clock=lambda: now[0])
    key = PublicKey(key_id=KEY_ID, owner="https://b.example/users/bob", pem="pem")
    keys.put(KEY_ID, key)
    assert keys.get(KEY_ID) == key
    now[0] += 300.0
    assert keys.get(KEY_ID) is None
    keys.put(KEY_ID, key)
    keys.put(KEY_ID, None)
    assert keys.get(KEY_ID) is None


def test_a_key_id_is_fetched_at_most_once_a_minute() -> None:
    now = [0.0]
    keys = KeyCache(clock=lambda: now[0])
    assert keys.may_fetch(KEY_ID)
    assert not keys.may_fetch(KEY_ID)
    assert keys.may_fetch("https://b.example/users/alice#main-key")  # per keyId
    now[0] += 59.0
    assert not keys.may_fetch(KEY_ID)
    now[0] += 1.0
    assert keys.may_fetch(KEY_ID)


async def test_concurrent_lookups_share_one_fetch() -> None:
    keys = KeyCache()
    key = PublicKey(key_id=KEY_ID, owner="https://b.example/users/bob", pem="pem")
    calls = []
    release = asyncio.Event()

    async def fetch() -> PublicKey | None:
        calls.append(1)
        await release.wait()
        return key

    tasks = [keys.fetching(KEY_ID, fetch) for _ in range(5)]
    assert all(task is tasks[0] for task in tasks)
    release.set()
    assert tasks[0] is not None and await tasks[0] == key
    assert calls == [1]
    assert keys.fetching(KEY_ID, fetch) is None  # done, and less than a minute ago
