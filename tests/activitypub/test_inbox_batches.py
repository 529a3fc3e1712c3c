"""Received activities written in batches under load (node/activitypub/inbox.py, ReceivedWriter): each
activity stored once with one job, replays and duplicates inside a batch answered as known, and a
batch that cannot be written as one written activity by activity."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from node.activitypub import inbox
from node.activitypub.inbox import INBOX_JOB, Received, ReceivedWriter
from node.core.models import Activity, Job
from node.core.runtime import Node
from tests.activitypub.test_inbox import encode, like, remote_b, signed
from tests.conftest import Federation, client_for


@pytest.fixture
async def a(federation: Federation) -> Node:
    return await federation.add_node("a.test")


def received(n: int, refetch: bool = False) -> Received:
    doc = {"id": f"http://b.test/likes/{n}", "type": "Like", "actor": "http://b.test/users/bob",
           "object": "http://a.test/posts/1"}
    return Received(doc["id"] + ("#forwarded" if refetch else ""), "Like", doc["actor"], doc, refetch)


async def test_activities_that_arrive_during_a_write_go_together_in_the_next(a: Node) -> None:
    writer = ReceivedWriter()
    with a.ctx:
        assert await writer.store(received(0))  # stored before: its replay in the batch is known
        items = [received(n) for n in range(1, 21)] + [received(n) for n in (0, 3, 3, 7)] + [received(3, True)]
        stored = await asyncio.gather(*(writer.store(item) for item in items))
        assert stored == [True] * 20 + [False, False, False, False] + [True]
        assert writer.batches >= 1 and writer.batched >= 20
        uris = await Activity.filter(outgoing=False).values_list("uri", flat=True)
        assert sorted(uris) == sorted([received(n).key for n in range(21)] + [received(3, True).key])
        payloads = await Job.filter(kind=INBOX_JOB).values_list("payload", flat=True)
        assert sorted(p["activity"] for p in payloads) == sorted(uris)
        forwarded = [p for p in payloads if p["refetch"]]
        assert forwarded == [{"activity": received(3, True).key, "refetch": True}]


async def test_a_batch_that_fails_is_written_one_by_one(a: Node, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(batch: list[Received]) -> None:
        raise RuntimeError("one bad row")

    monkeypatch.setattr(inbox, "_insert_batch", broken)
    writer = ReceivedWriter()
    with a.ctx:
        stored = await asyncio.gather(*(writer.store(received(n % 6)) for n in range(12)))
        assert sorted(stored) == [False] * 6 + [True] * 6
        assert await Activity.filter(outgoing=False).count() == 6
        assert await Job.filter(kind=INBOX_JOB).count() == 6
    assert writer.batches == 0


async def test_concurrent_signed_posts_and_replays_are_stored_once(federation: Federation, a: Node) -> None:
    b = await remote_b(federation)
    docs: list[dict[str, Any]] = [like(b.bob, n) for n in range(16)]
    bodies = [encode(doc) for doc in docs] + [encode(docs[n]) for n in (1, 1, 5)]
    async with client_for(a) as http:
        responses = await asyncio.gather(
            *(http.post("/inbox", content=body, headers=signed(b.bob, body)) for body in bodies)
        )
    assert [r.status_code for r in responses] == [202] * len(bodies)
    with a.ctx:
        assert sorted(await Activity.filter(outgoing=False).values_list("uri", flat=True)) == sorted(d["id"] for d in docs)
        assert await Job.filter(kind=INBOX_JOB).count() == 16
