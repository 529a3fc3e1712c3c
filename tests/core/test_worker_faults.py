"""The worker through database faults: the database breaks again and again during a fan-out (PostgreSQL:
every backend of the node's database terminated; SQLite: the file write-locked by another connection for
longer than the node waits) and every inbox still gets the post once, with no restart. Crashes of the
worker loop are logged with their traceback and the loop restarts."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import pytest

from node.app import start_node
from node.cli.server import bootstrap
from node.core import jobs, supervise
from node.core.models import Job
from node.core.runtime import Node
from node.posts.content import Draft, create_post
from node.web.pages import association_actor
from tests.conftest import PG_URL, Federation, create_app, migrated_database, node_settings
from tests.core.inbox_sink import Breaker, InboxCounter, add_followers
from tests.helpers import eventually

INBOXES = 150
SINK = "inbox.test"


async def fragile_node(fed: Federation) -> Node:
    """A node whose database gives up quickly: SQLite waits 50 ms for a lock instead of 5 s."""
    tmp = fed.tmp_path / "a.test"
    tmp.mkdir()
    url = await migrated_database(tmp)
    if url:
        fed.pg_urls.append(url)
    else:
        url = f"sqlite://{tmp}/agora.sqlite3?busy_timeout=50&journal_mode=WAL&synchronous=NORMAL"
    settings = node_settings(tmp, "a.test", database_url=url)
    settings = dataclasses.replace(settings, worker=dataclasses.replace(
        settings.worker, heartbeat_seconds=0.2, database_retry_max_seconds=0.3, restart_delay=0.1))
    node = await start_node(settings, transport=fed.network)
    fed.nodes.append(node)
    with node.ctx:
        await bootstrap(node, None, "")
    node.extra["app"] = create_app(settings, node=node)
    fed.network.add("a.test", node.extra["app"])
    return node


async def deliveries_settled(node: Node, timeout: float = 30.0) -> dict[str, int]:
    """Wait until no job is queued or running; returns the deliveries per status."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    with node.ctx:
        while True:
            assert loop.time() < deadline, "jobs left unfinished"
            try:  # the test's own first query may meet a connection broken by the last break
                if not await Job.filter(status__in=("queued", "running")).exists():
                    rows = [str(s) for s in await Job.filter(kind="deliver").values_list("status", flat=True)]
                    return {status: rows.count(status) for status in set(rows)}
            except Exception:
                pass
            await asyncio.sleep(0.1)


async def test_every_inbox_is_delivered_while_the_database_keeps_breaking(
    federation: Federation, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="agora")
    node = await fragile_node(federation)
    sink = InboxCounter(delay=0.02)  # a remote that takes 20 ms: the fan-out lasts over a second
    federation.network.add(SINK, sink.app)
    with node.ctx:
        asso = await association_actor(node)
        assert asso is not None
        await add_followers(asso, f"http://{SINK}", INBOXES)
        await create_post(node, asso, Draft(text="Assemblée générale samedi"))
    breaker = Breaker(node.settings)
    breaking = asyncio.create_task(breaker.run())
    await asyncio.sleep(0.3)  # the database is already breaking when the worker starts
    stop = asyncio.Event()
    worker_task = asyncio.create_task(supervise.run_worker(node, stop))
    try:
        await sink.wait_inboxes(INBOXES, timeout=90)
        assert not worker_task.done(), "the worker stopped"
    finally:
        breaker.stopped.set()
        await breaking
    statuses = await deliveries_settled(node)
    stop.set()
    await asyncio.wait_for(worker_task, 30)
    assert breaker.rounds >= 3 and (breaker.terminated > 0 or not PG_URL)
    assert sink.inboxes == INBOXES and statuses == {"done": INBOXES}, statuses
    assert sink.twice == 0, sink.counts  # done marks are kept until written: nothing is sent again
    worker = node.extra["worker"]
    assert worker.outage.outages >= 1  # the faults did reach the worker
    lost = [r for r in caplog.records if "database unavailable" in r.getMessage()]
    back = [r for r in caplog.records if "database answers again" in r.getMessage()]
    assert len(lost) == len(back) == worker.outage.outages, (len(lost), len(back))  # once each per outage
    assert worker.outage.outages <= breaker.rounds
    print(f"\n{INBOXES} inboxes delivered through {breaker.rounds} database breaks "
          f"({worker.outage.outages} outages seen by the worker, {worker.outage.failures} failed steps)")


async def test_a_crashed_worker_loop_is_logged_and_restarted(
    node: Node, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[int] = []

    async def work(payload: Mapping[str, Any], attempt: int) -> None:
        seen.append(payload["n"])

    node.extra["worker"] = worker = jobs.Worker({"work": work}, ctx=node.ctx, poll_interval=0.02)
    crashes: list[int] = []
    original = jobs.Worker._loop

    async def crash_once(self: jobs.Worker, *args: Any) -> None:
        if not crashes:
            crashes.append(1)
            raise RuntimeError("a bug in the loop")
        await original(self, *args)

    monkeypatch.setattr(jobs.Worker, "_loop", crash_once)
    settings = dataclasses.replace(node.settings, worker=dataclasses.replace(node.settings.worker, restart_delay=0.05))
    node.settings = settings
    with node.ctx:
        for n in range(3):
            await jobs.enqueue("work", {"n": n})
    stop = asyncio.Event()
    task = asyncio.create_task(supervise.run_worker(node, stop))
    await eventually(lambda: len(seen) == 3)
    stop.set()
    await asyncio.wait_for(task, 10)
    assert sorted(seen) == [0, 1, 2] and crashes == [1]
    [record] = [r for r in caplog.records if "worker loop crashed" in r.getMessage()]
    assert record.levelno == logging.ERROR and record.exc_info is not None
    assert "a bug in the loop" in caplog.text
    assert worker.worker_id.startswith("w-")  # the stable identity of this data directory


async def test_handler_database_errors_requeue_without_counting_the_attempt(node: Node) -> None:
    async def no_database(payload: Mapping[str, Any], attempt: int) -> None:
        raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)")

    worker = jobs.Worker({"db": no_database}, ctx=node.ctx, worker_id="W")
    with node.ctx:
        job = await jobs.enqueue("db", {})
        assert job is not None
    before = jobs.utcnow()
    assert await worker.drain() == 1
    with node.ctx:
        row = await Job.get(id=job.id)
        assert (row.status, row.attempts, row.locked_by) == ("queued", 0, None)
        assert "database" in (row.last_error or "")
        assert before < row.run_at < before + timedelta(seconds=10)
