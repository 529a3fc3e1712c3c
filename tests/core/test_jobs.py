"""The durable job queue: dedupe, leases, lost workers, retry and death; and deliveries through the queue
to a real (in-process) receiving server that checks our signatures."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from federation import vocab
from federation.signatures import verify_request
from node.core import jobs, queue
from node.accounts.actors import fetch_actor, local_actor
from node.social.delivery import DELIVER, publish, revive_host
from node.core.models import Host, Job
from node.core.runtime import Node
from tests.conftest import Federation
from tests.helpers import eventually

SINK = "sink.test"
SINK_ACTOR = f"http://{SINK}/actor"
SINK_INBOX = f"http://{SINK}/actor/inbox"
SINK_SHARED = f"http://{SINK}/inbox"


class Recorder:
    """Job handlers that remember what they were given."""

    def __init__(self) -> None:
        self.seen: list[tuple[dict[str, Any], int]] = []

    async def ok(self, payload: Mapping[str, Any], attempt: int) -> None:
        self.seen.append((dict(payload), attempt))


def worker_for(node: Node, handlers: Mapping[str, jobs.JobHandler], worker_id: str, **kw: Any) -> jobs.Worker:
    return jobs.Worker(handlers, ctx=node.ctx, worker_id=worker_id, **kw)


async def expire_leases() -> None:
    await Job.filter(status="running").update(locked_until=jobs.utcnow() - timedelta(seconds=1))


# ------------------------------------------------------------------ the queue itself


async def test_enqueue_with_dedupe_key_inserts_once(node: Node) -> None:
    with node.ctx:
        first = await jobs.enqueue("x", {"n": 1}, dedupe_key="same")
        second = await jobs.enqueue("x", {"n": 2}, dedupe_key="same")
        third = await jobs.enqueue("x", {"n": 3})
        assert first is not None and second is None and third is not None
        assert await Job.filter(kind="x").count() == 2
        assert (await Job.get(dedupe_key="same")).payload == {"n": 1}


async def test_claim_leases_jobs_and_a_second_claim_gets_nothing(node: Node) -> None:
    with node.ctx:
        for n in range(3):
            await jobs.enqueue("x", {"n": n})
        later = await jobs.enqueue("x", {"n": 99}, run_at=jobs.utcnow() + timedelta(hours=1))
        claimed = await jobs.claim("A", 10, 30)
        assert sorted(j.payload["n"] for j in claimed) == [0, 1, 2]  # the future job is not due
        for job in claimed:
            row = await Job.get(id=job.id)
            assert (row.status, row.locked_by, row.attempts) == ("running", "A", 1)
            assert row.locked_until is not None and row.locked_until > jobs.utcnow() + timedelta(seconds=25)
        assert await jobs.claim("B", 10, 30) == []
        assert (await Job.get(id=later.id)).status == "queued"  # type: ignore[union-attr]


async def test_claim_respects_the_batch_limit(node: Node) -> None:
    with node.ctx:
        for n in range(5):
            await jobs.enqueue("x", {"n": n})
        assert len(await jobs.claim("A", 2, 30)) == 2
        assert len(await jobs.claim("B", 10, 30)) == 3
        assert await Job.filter(status="queued").count() == 0


async def test_concurrent_claims_split_the_work(node: Node) -> None:
    with node.ctx:
        for n in range(6):
            await jobs.enqueue("x", {"n": n})
        first, second = await asyncio.gather(jobs.claim("A", 3, 30), jobs.claim("B", 3, 30))
        ids_a, ids_b = {j.id for j in first}, {j.id for j in second}
        assert len(ids_a) == len(ids_b) == 3 and not ids_a & ids_b
        assert {(r.locked_by, r.id in ids_a) for r in await Job.all()} == {("A", True), ("B", False)}


async def test_an_expired_lease_is_claimed_again(node: Node) -> None:
    with node.ctx:
        job = await jobs.enqueue("x", {})
        assert job is not None
        assert [j.id for j in await jobs.claim("A", 10, 30)] == [job.id]
        assert await jobs.claim("B", 10, 30) == []
        await expire_leases()  # A's lease runs out (no wall-clock wait: a loaded machine could outlast a short one)
        again = await jobs.claim("B", 10, 30)
        assert [j.id for j in again] == [job.id]
        row = await Job.get(id=job.id)
        assert (row.status, row.locked_by, row.attempts) == ("running", "B", 2)


async def test_a_worker_killed_mid_batch_loses_nothing(node: Node) -> None:
    recorder = Recorder()
    with node.ctx:
        for n in range(5):
            await jobs.enqueue("work", {"n": n})
        lost = await jobs.claim("A", 5, 30)  # worker A takes the batch and dies
        assert len(lost) == 5
    b = worker_for(node, {"work": recorder.ok}, "B")
    assert await b.drain() == 0  # leases still held by A: nothing for B yet
    with node.ctx:
        await expire_leases()
    assert await b.drain() == 5
    assert sorted(p["n"] for p, _ in recorder.seen) == [0, 1, 2, 3, 4]
    assert {attempt for _, attempt in recorder.seen} == {2}
    with node.ctx:
        rows = await Job.filter(kind="work")
        assert {(r.status, r.locked_by) for r in rows} == {("done", "B")}
        assert all(r.finished_at is not None for r in rows)
    assert await b.drain() == 0


async def test_a_stale_worker_cannot_finish_a_job_another_worker_holds(node: Node) -> None:
    with node.ctx:
        await jobs.enqueue("x", {})
        [stale] = await jobs.claim("A", 1, 30)
        await expire_leases()
        [fresh] = await jobs.claim("B", 1, 30)
        await jobs.complete(stale)
        await jobs.fail(stale, "A gave up", None)
        row = await Job.get(id=fresh.id)
        assert (row.status, row.locked_by, row.last_error) == ("running", "B", None)
        await jobs.complete(fresh)
        assert (await Job.get(id=fresh.id)).status == "done"


async def test_a_long_host_name_still_makes_a_usable_worker_id(node: Node, monkeypatch: Any) -> None:
    monkeypatch.setattr("socket.gethostname", lambda: "worker-" + "x" * 120 + ".example.org")
    recorder = Recorder()
    first, second = (jobs.Worker({"work": recorder.ok}, ctx=node.ctx) for _ in range(2))
    assert len(first.worker_id) <= 64 and first.worker_id != second.worker_id
    with node.ctx:
        await jobs.enqueue("work", {})
    assert await first.drain() == 1  # PostgreSQL refuses a locked_by longer than the column
    with node.ctx:
        assert (await Job.get(kind="work")).locked_by == first.worker_id


async def test_retry_later_requeues_in_the_future(node: Node) -> None:
    calls: list[int] = []

    async def busy(payload: Mapping[str, Any], attempt: int) -> None:
        calls.append(attempt)
        raise jobs.RetryLater("remote busy", 300)

    worker = worker_for(node, {"busy": busy}, "W")
    with node.ctx:
        job = await jobs.enqueue("busy", {})
    before = jobs.utcnow()
    assert await worker.drain() == 1
    assert await worker.drain() == 0  # not due again yet
    assert calls == [1]
    with node.ctx:
        row = await Job.get(id=job.id)  # type: ignore[union-attr]
        assert (row.status, row.attempts, row.last_error, row.locked_by) == ("queued", 1, "remote busy", None)
        assert row.run_at >= before + timedelta(seconds=299)
        await Job.filter(id=row.id).update(run_at=jobs.utcnow())
    assert await worker.drain() == 1
    assert calls == [1, 2]


async def test_permanent_failure_and_retry_later_none_mark_dead(node: Node) -> None:
    async def refuse(payload: Mapping[str, Any], attempt: int) -> None:
        raise jobs.PermanentFailure("no such inbox")

    async def give_up(payload: Mapping[str, Any], attempt: int) -> None:
        raise jobs.RetryLater("out of attempts", None)

    worker = worker_for(node, {"refuse": refuse, "give_up": give_up}, "W")
    with node.ctx:
        a = await jobs.enqueue("refuse", {})
        b = await jobs.enqueue("give_up", {})
    assert await worker.drain() == 2
    with node.ctx:
        await Job.filter(id__in=[a.id, b.id]).update(run_at=jobs.utcnow() - timedelta(days=1))  # type: ignore[union-attr]
        rows = {r.kind: r for r in await Job.all()}
        assert (rows["refuse"].status, rows["refuse"].attempts, rows["refuse"].last_error) == ("dead", 1, "no such inbox")
        assert (rows["give_up"].status, rows["give_up"].last_error) == ("dead", "out of attempts")
        assert rows["refuse"].finished_at is not None
    assert await worker.drain() == 0  # dead jobs are never claimed again


async def test_an_unexpected_exception_retries_with_backoff(node: Node) -> None:
    async def buggy(payload: Mapping[str, Any], attempt: int) -> None:
        raise ValueError("handler bug")

    worker = worker_for(node, {"buggy": buggy}, "W")
    with node.ctx:
        job = await jobs.enqueue("buggy", {})
    before = jobs.utcnow()
    assert await worker.drain() == 1
    with node.ctx:
        row = await Job.get(id=job.id)  # type: ignore[union-attr]
        assert row.status == "queued" and row.attempts == 1
        assert "ValueError" in (row.last_error or "") and "handler bug" in (row.last_error or "")
        assert row.run_at >= before + timedelta(seconds=7)  # 10 s +- 20 %
        # the last allowed attempt fails: dead, not retried forever
        await Job.filter(id=row.id).update(attempts=jobs.MAX_GENERIC_ATTEMPTS - 1, run_at=jobs.utcnow())
    assert await worker.drain() == 1
    with node.ctx:
        assert (await Job.get(id=job.id)).status == "dead"  # type: ignore[union-attr]


async def test_an_unknown_job_kind_is_dead(node: Node) -> None:
    worker = worker_for(node, {}, "W")
    with node.ctx:
        job = await jobs.enqueue("no-such-kind", {})
    assert await worker.drain() == 1
    with node.ctx:
        row = await Job.get(id=job.id)  # type: ignore[union-attr]
        assert row.status == "dead" and "no-such-kind" in (row.last_error or "")


async def test_stats_count_each_status(node: Node) -> None:
    async def refuse(payload: Mapping[str, Any], attempt: int) -> None:
        raise jobs.PermanentFailure("no")

    worker = worker_for(node, {"ok": Recorder().ok, "refuse": refuse}, "W", concurrency=2)
    with node.ctx:
        await jobs.enqueue("ok", {})
        await jobs.enqueue("refuse", {})
        await jobs.enqueue("ok", {}, run_at=jobs.utcnow() + timedelta(hours=1))
    await worker.drain()
    with node.ctx:
        assert await jobs.stats() == jobs.QueueStats(queued=1, running=0, done=1, dead=1)


async def test_run_forever_works_woken_jobs_and_stops(node: Node) -> None:
    recorder = Recorder()
    worker = worker_for(node, {"work": recorder.ok}, "W", poll_interval=0.02)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run_forever(stop))
    with node.ctx:
        for n in range(3):
            await jobs.enqueue("work", {"n": n})
    worker.wake()
    await eventually(lambda: len(recorder.seen) == 3)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert sorted(p["n"] for p, _ in recorder.seen) == [0, 1, 2]
    with node.ctx:
        assert await Job.filter(kind="work", status="done").count() == 3


# ------------------------------------------------------------------ deliveries through the queue


class Sink:
    """A remote server: an actor document and an inbox that answers from a script of responses,
    verifying each POST's signature with the sender's public key."""

    def __init__(self, public_key_pem: str, script: list[tuple[int, dict[str, str]]]) -> None:
        self.public_key_pem = public_key_pem
        self.script = list(script)
        self.posts: list[dict[str, Any]] = []
        self.app = Starlette(
            routes=[
                Route("/actor", self.actor),
                Route("/actor/inbox", self.inbox, methods=["POST"]),
                Route("/inbox", self.inbox, methods=["POST"]),
            ]
        )

    async def actor(self, request: Request) -> Response:
        return JSONResponse(
            {
                "@context": vocab.CONTEXT,
                "id": SINK_ACTOR,
                "type": "Person",
                "preferredUsername": "sink",
                "inbox": SINK_INBOX,
                "endpoints": {"sharedInbox": SINK_SHARED},
            },
            media_type="application/activity+json",
        )

    async def inbox(self, request: Request) -> Response:
        body = await request.body()
        result = verify_request("POST", str(request.url), request.headers, body, self.public_key_pem)
        status, headers = self.script.pop(0) if self.script else (202, {})
        if not result.ok:
            status, headers = 401, {}
        self.posts.append({"url": str(request.url), "verified": result.ok, "status": status, "body": body})
        return Response(status_code=status, headers=headers)

    @property
    def accepted(self) -> list[dict[str, Any]]:
        return [p for p in self.posts if p["verified"] and 200 <= p["status"] < 300]


async def sink_setup(fed: Federation, script: list[tuple[int, dict[str, str]]]) -> tuple[Node, Sink, Any]:
    a = await fed.add_node("a.test")
    with a.ctx:
        asso = await local_actor("asso")
        assert asso is not None and asso.public_key_pem
    sink = Sink(asso.public_key_pem, script)
    fed.network.add(SINK, sink.app)
    return a, sink, asso


def note_activity(asso: Any, n: int) -> dict[str, Any]:
    note = {"id": f"{asso.uri}/notes/{n}", "type": "Note", "attributedTo": asso.uri, "content": f"note {n}",
            "to": [SINK_ACTOR]}
    return vocab.activity("Create", f"{asso.uri}/notes/{n}/activity", asso.uri, note, to=[SINK_ACTOR])


async def test_503_then_202_delivers_exactly_once_honouring_retry_after(federation: Federation) -> None:
    a, sink, asso = await sink_setup(federation, [(503, {"Retry-After": "120"})])
    worker = a.extra["worker"]
    with a.ctx:
        await publish(a, asso, note_activity(asso, 1), followers=False, recipients=[SINK_ACTOR])
    before = jobs.utcnow()
    await worker.drain()
    assert [p["status"] for p in sink.posts] == [503]
    assert sink.posts[0]["verified"] and sink.posts[0]["url"] == SINK_SHARED  # one POST per shared inbox
    with a.ctx:
        job = await Job.get(kind=DELIVER)
        assert (job.status, job.attempts) == ("queued", 1)
        assert "503" in (job.last_error or "")
        # without Retry-After the first retry would come after about a minute (54-66 s)
        assert job.run_at >= before + timedelta(seconds=115)
        assert job.run_at <= jobs.utcnow() + timedelta(seconds=125)
        await Job.filter(id=job.id).update(run_at=jobs.utcnow())
    await worker.drain()
    await worker.drain()
    assert [p["status"] for p in sink.posts] == [503, 202]
    assert len(sink.accepted) == 1
    assert sink.accepted[0]["body"] == sink.posts[0]["body"]  # the same activity, byte for byte
    with a.ctx:
        job = await Job.get(kind=DELIVER)
        assert (job.status, job.attempts) == ("done", 2)
        host = await Host.get(domain=SINK)
        assert host.failures == 0 and host.last_success_at is not None


async def test_410_stops_delivery_at_once(federation: Federation) -> None:
    a, sink, asso = await sink_setup(federation, [(410, {})])
    worker = a.extra["worker"]
    with a.ctx:
        await publish(a, asso, note_activity(asso, 1), followers=False, recipients=[SINK_ACTOR])
    await worker.drain()
    with a.ctx:
        job = await Job.get(kind=DELIVER)
        assert (job.status, job.attempts) == ("dead", 1)
        assert "410" in (job.last_error or "")
        await Job.filter(id=job.id).update(run_at=jobs.utcnow() - timedelta(days=1))
        host = await Host.get(domain=SINK)
        assert host.failures == 0  # a refusal is an answer: the host is alive
    await worker.drain()
    assert [p["status"] for p in sink.posts] == [410]


async def test_a_down_host_counts_failures_and_revive_resets_them(federation: Federation) -> None:
    a, sink, asso = await sink_setup(federation, [])
    # one delivery at a time here; concurrent failures to one host are the next test
    worker = jobs.Worker(a.extra["worker"].handlers, ctx=a.ctx, concurrency=1, worker_id="serial")
    with a.ctx:
        await fetch_actor(a, SINK_ACTOR)  # known before the host goes down
    federation.network.down.add(SINK)
    with a.ctx:
        for n in range(5):
            await publish(a, asso, note_activity(asso, n), followers=False, recipients=[SINK_ACTOR])
    await worker.drain()
    assert sink.posts == []
    with a.ctx:
        deliveries = await Job.filter(kind=DELIVER)
        assert len(deliveries) == 5
        assert {(j.status, j.attempts) for j in deliveries} == {("queued", 1)}
        host = await Host.get(domain=SINK)
        assert host.failures == 5
        assert host.first_failure_at is not None and host.next_probe_at is not None
        assert "no route" in (host.last_error or "")
        await revive_host(a, SINK)
        host = await Host.get(domain=SINK)
        assert (host.failures, host.first_failure_at, host.next_probe_at) == (0, None, None)


async def test_concurrent_failures_to_one_host_are_all_counted(federation: Federation) -> None:
    a, sink, asso = await sink_setup(federation, [])
    with a.ctx:
        await fetch_actor(a, SINK_ACTOR)
    federation.network.down.add(SINK)
    with a.ctx:
        for n in range(5):
            await publish(a, asso, note_activity(asso, n), followers=False, recipients=[SINK_ACTOR])
    await a.extra["worker"].drain()  # concurrency 4: deliveries to the same host overlap
    with a.ctx:
        assert (await Host.get(domain=SINK)).failures == 5


async def test_a_delivery_job_with_a_recovered_host_is_sent(federation: Federation) -> None:
    """Deliver jobs queued directly: the host comes back and the parked retries succeed."""
    a, sink, asso = await sink_setup(federation, [])
    with a.ctx:
        await fetch_actor(a, SINK_ACTOR)
        await publish(a, asso, note_activity(asso, 7), followers=False, recipients=[])
        await jobs.enqueue(DELIVER, {"activity": f"{asso.uri}/notes/7/activity", "actor": asso.id, "inbox": SINK_INBOX})
    federation.network.down.add(SINK)
    await a.extra["worker"].drain()
    federation.network.down.discard(SINK)
    with a.ctx:
        assert (await Host.get(domain=SINK)).failures == 1
        await Job.filter(kind=DELIVER).update(run_at=jobs.utcnow())
    await a.extra["worker"].drain()
    assert [(p["url"], p["status"]) for p in sink.accepted] == [(SINK_INBOX, 202)]
    with a.ctx:
        assert (await Job.get(kind=DELIVER)).status == "done"
        assert (await Host.get(domain=SINK)).failures == 0


async def test_a_failing_run_does_not_requeue_a_job_already_marked_done(node: Node) -> None:
    """A mail job marks itself done before its message's final dot (node/mailing/sending.py): a run
    that later fails on the same row (it took the job over after a lease passed) must not requeue it,
    or the message would go a second time."""
    with node.ctx:
        job = await Job.create(kind="x", payload={}, status="running", run_at=jobs.utcnow(), locked_by="w-b",
                               locked_until=jobs.utcnow() + timedelta(seconds=60))
        await Job.filter(id=job.id).update(status="done", finished_at=jobs.utcnow())
        await queue.fail(job, "throttled", 5.0)
        await queue.fail(job, "gave up", None)
        assert (await Job.get(id=job.id)).status == "done"
        running = await Job.create(kind="x", payload={}, status="running", run_at=jobs.utcnow(), locked_by="w-b")
        await queue.fail(running, "throttled", 5.0)
        assert (await Job.get(id=running.id)).status == "queued"
