"""The durable job queue and the worker loop.

One `jobs` table. A worker claims a batch by setting a lease (`locked_until`); a job whose lease has
passed is claimable again, so a crashed worker loses nothing. Delivery is at-least-once.
On PostgreSQL the claim uses FOR UPDATE SKIP LOCKED so many `agora worker` processes can share the
work; on SQLite one process claims inside a transaction (one worker process, several tasks).
"""

from __future__ import annotations

import asyncio
import json
import contextlib
import logging
import os
import random
import socket
import traceback
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from tortoise import connections
from tortoise.context import TortoiseContext
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from node.core.db import activate
from node.core.models import Job

log = logging.getLogger("agora.jobs")

JobHandler = Callable[[Mapping[str, Any], int], Awaitable[None]]
"""A job handler gets the payload and the attempt number (1 on the first run)."""

MAX_GENERIC_ATTEMPTS = 8
DONE_BATCH = 32


class RetryLater(Exception):
    """Raised by a handler: try again after `delay` seconds (None: the job is dead)."""

    def __init__(self, reason: str, delay: float | None) -> None:
        super().__init__(reason)
        self.delay = delay


class PermanentFailure(Exception):
    """Raised by a handler: never try this job again."""


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def generic_retry_delay(attempt: int) -> float | None:
    """Backoff for jobs other than deliveries: 10 s, 40 s, 160 s ... about 2 days in all."""
    if attempt >= MAX_GENERIC_ATTEMPTS:
        return None
    base = 10.0 * (4 ** (attempt - 1))
    return min(base, 86400.0) * (0.8 + 0.4 * random.random())


async def enqueue(
    kind: str,
    payload: Mapping[str, Any],
    *,
    run_at: datetime | None = None,
    dedupe_key: str | None = None,
) -> Job | None:
    """Insert a job; with a dedupe key, a second job with the same key is not inserted (None)."""
    if dedupe_key is not None and await Job.filter(dedupe_key=dedupe_key).exists():
        return None
    try:
        async with in_transaction():
            return await Job.create(
                kind=kind, payload=dict(payload), run_at=run_at or utcnow(), dedupe_key=dedupe_key
            )
    except IntegrityError:
        if dedupe_key is None:
            raise
        return None


def _claimable(now: datetime) -> Q:
    return Q(status="queued", run_at__lte=now) | Q(status="running", locked_until__lt=now)


CLAIM_SQL = {
    # One statement: the claim is atomic, and costs one round trip instead of a transaction of three.
    "sqlite": (
        "UPDATE jobs SET status='running', locked_by=?, locked_until=?, attempts=attempts+1 "
        "WHERE id IN (SELECT id FROM jobs WHERE (status='queued' AND run_at<=?) "
        "OR (status='running' AND locked_until<?) ORDER BY run_at, id LIMIT ?) "
        "RETURNING id, kind, payload, attempts"
    ),
    # SKIP LOCKED: concurrent workers on any machine take disjoint batches without waiting.
    "postgres": (
        "UPDATE jobs SET status='running', locked_by=$1, locked_until=$2, attempts=attempts+1 "
        "WHERE id IN (SELECT id FROM jobs WHERE (status='queued' AND run_at<=$3) "
        "OR (status='running' AND locked_until<$4) ORDER BY run_at, id LIMIT $5 FOR UPDATE SKIP LOCKED) "
        "RETURNING id, kind, payload, attempts"
    ),
}


def _timestamp(moment: datetime, dialect: str) -> Any:
    """SQLite keeps Tortoise's text form of datetimes (compared as text); PostgreSQL takes datetimes."""
    return str(moment) if dialect == "sqlite" else moment


async def claim(worker_id: str, limit: int, lease_seconds: float) -> list[Job]:
    """Lease up to `limit` due jobs (or jobs whose lease expired) to this worker."""
    now = utcnow()
    until = now + timedelta(seconds=lease_seconds)
    conn = connections.get("default")
    dialect = conn.capabilities.dialect
    stamp_now = _timestamp(now, dialect)
    values = [worker_id, _timestamp(until, dialect), stamp_now, stamp_now, limit]
    rows = await conn.execute_query_dict(CLAIM_SQL[dialect], values)
    claimed = []
    for row in sorted(rows, key=lambda r: r["id"]):
        payload = row["payload"]
        job = Job(
            id=row["id"], kind=row["kind"], attempts=row["attempts"], status="running",
            payload=json.loads(payload) if isinstance(payload, (str, bytes)) else payload,
            locked_by=worker_id, locked_until=until, run_at=now,
        )
        job._saved_in_db = True
        claimed.append(job)
    return claimed


async def complete(job: Job) -> None:
    await complete_many(job.locked_by or "", [job.id])


async def complete_many(worker_id: str, ids: list[int]) -> None:
    """Mark jobs done in one statement (only those this worker still holds)."""
    if ids:
        await Job.filter(id__in=ids, locked_by=worker_id).update(
            status="done", locked_until=None, finished_at=utcnow(), last_error=None
        )


async def fail(job: Job, error: str, delay: float | None) -> None:
    """Requeue after `delay` seconds, or mark dead when delay is None. A worker whose lease passed
    and was taken by another worker changes nothing (like `complete`)."""
    now = utcnow()
    if delay is None:
        await Job.filter(id=job.id, locked_by=job.locked_by).update(
            status="dead", locked_until=None, last_error=error[:2000], finished_at=now
        )
        return
    await Job.filter(id=job.id, locked_by=job.locked_by).update(
        status="queued",
        locked_by=None,
        locked_until=None,
        last_error=error[:2000],
        run_at=now + timedelta(seconds=delay),
    )


async def release(worker_id: str, jobs: list[Job]) -> None:
    """Hand back claimed jobs that were never started (a stopping worker), attempt not counted."""
    if jobs:
        await Job.filter(id__in=[job.id for job in jobs], locked_by=worker_id, status="running").update(
            status="queued", locked_by=None, locked_until=None, attempts=F("attempts") - 1
        )


@dataclass(frozen=True)
class QueueStats:
    queued: int
    running: int
    done: int
    dead: int


async def stats() -> QueueStats:
    counts = {s: await Job.filter(status=s).count() for s in ("queued", "running", "done", "dead")}
    return QueueStats(**counts)


class Worker:
    """Claims jobs and runs them with a bounded number of concurrent tasks."""

    def __init__(
        self,
        handlers: Mapping[str, JobHandler],
        *,
        ctx: TortoiseContext,
        concurrency: int = 8,
        lease_seconds: float = 120.0,
        poll_interval: float = 0.5,
        worker_id: str | None = None,
    ) -> None:
        self.handlers = dict(handlers)
        self.ctx = ctx
        self.concurrency = concurrency
        self.lease_seconds = lease_seconds
        self.poll_interval = poll_interval
        # jobs.locked_by holds 64 characters (PostgreSQL enforces it): the unique parts come first
        self.worker_id = (worker_id or f"{os.getpid()}:{id(self):x}:{socket.gethostname()}")[:64]
        self._wake = asyncio.Event()
        self._done: list[int] = []

    def wake(self) -> None:
        """Tell an idle worker that a job was just queued."""
        self._wake.set()

    async def run_job(self, job: Job) -> None:
        handler = self.handlers.get(job.kind)
        try:
            if handler is None:
                raise PermanentFailure(f"no handler for job kind {job.kind!r}")
            await handler(job.payload, job.attempts)
        except RetryLater as exc:
            await fail(job, str(exc), exc.delay)
        except PermanentFailure as exc:
            await fail(job, str(exc), None)
        except Exception as exc:  # a handler bug must not kill the worker
            log.warning("job %s (%s) failed: %s", job.id, job.kind, exc)
            detail = "".join(traceback.format_exception_only(exc)).strip()
            await fail(job, detail, generic_retry_delay(job.attempts))
        else:
            self._done.append(job.id)
            if len(self._done) >= DONE_BATCH:
                await self.flush()

    async def flush(self) -> None:
        """Record finished jobs. Batched because one UPDATE per short job (a delivery) costs as much
        as the job; a crash before the flush re-runs them, which at-least-once delivery allows."""
        done, self._done = self._done, []
        await complete_many(self.worker_id, done)

    async def run_once(self, limit: int | None = None) -> int:
        """Claim one batch and run it to the end. Returns how many jobs ran."""
        with activate(self.ctx):
            jobs = await claim(self.worker_id, limit or self.concurrency, self.lease_seconds)
            await asyncio.gather(*(self.run_job(job) for job in jobs))
            await self.flush()
        return len(jobs)

    async def drain(self, max_rounds: int = 100) -> int:
        """Run batches until no job is due (tests and CLI). Returns the total run."""
        total = 0
        for _ in range(max_rounds):
            ran = await self.run_once()
            if not ran:
                break
            total += ran
        return total

    async def _claim_quietly(self, limit: int) -> list[Job]:
        try:
            return await claim(self.worker_id, limit, self.lease_seconds)
        except Exception as exc:  # database hiccup: wait and try again
            log.error("claiming jobs failed: %s", exc)
            return []

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Claim jobs in batches of twice the concurrency (a claim costs several statements, so one per
        job would dominate short jobs such as deliveries) and start them as task slots free up."""
        running: set[asyncio.Task[None]] = set()
        backlog: deque[Job] = deque()

        def finished(task: asyncio.Task[None]) -> None:
            running.discard(task)
            self._wake.set()

        stop_waiter = asyncio.ensure_future(self._relay(stop))
        with activate(self.ctx):
            while not stop.is_set():
                if self._done and (not running or len(self._done) >= DONE_BATCH or not backlog):
                    await self.flush()
                if not backlog and len(running) < self.concurrency:
                    backlog.extend(await self._claim_quietly(2 * self.concurrency - len(running)))
                while backlog and len(running) < self.concurrency:
                    task = asyncio.create_task(self.run_job(backlog.popleft()))
                    running.add(task)
                    task.add_done_callback(finished)
                busy = bool(backlog) or len(running) >= self.concurrency
                if self._wake.is_set() and not busy:
                    self._wake.clear()
                    continue
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), None if busy else self.poll_interval)
            stop_waiter.cancel()
            await release(self.worker_id, list(backlog))
            if running:
                await asyncio.wait(set(running), timeout=self.lease_seconds)
            await self.flush()

    async def _relay(self, stop: asyncio.Event) -> None:
        """Wake the loop when asked to stop."""
        await stop.wait()
        self._wake.set()
