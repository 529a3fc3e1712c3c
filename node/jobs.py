"""The durable job queue and the worker loop.

One `jobs` table. A worker claims a batch by setting a lease (`locked_until`); a job whose lease has
passed is claimable again, so a crashed worker loses nothing. Delivery is at-least-once.
On PostgreSQL the claim uses FOR UPDATE SKIP LOCKED so many `agora worker` processes can share the
work; on SQLite one process claims inside a transaction (one worker process, several tasks).
"""

from __future__ import annotations

import asyncio
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

from tortoise.context import TortoiseContext
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from node.db import activate
from node.models import Job

log = logging.getLogger("agora.jobs")

JobHandler = Callable[[Mapping[str, Any], int], Awaitable[None]]
"""A job handler gets the payload and the attempt number (1 on the first run)."""

MAX_GENERIC_ATTEMPTS = 8


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


async def claim(worker_id: str, limit: int, lease_seconds: float) -> list[Job]:
    """Lease up to `limit` due jobs (or jobs whose lease expired) to this worker."""
    now = utcnow()
    until = now + timedelta(seconds=lease_seconds)
    async with in_transaction() as conn:
        query = Job.filter(_claimable(now)).order_by("run_at", "id").limit(limit).using_db(conn)
        if conn.capabilities.dialect == "postgres":
            query = query.select_for_update(skip_locked=True)
        # `.only`, not `.values_list`: in Tortoise 1.1.9 values_list() drops FOR UPDATE SKIP LOCKED, and
        # a second worker would then pick the same rows, wait for the first to commit and claim nothing.
        ids = [job.id for job in await query.only("id")]
        if not ids:
            return []
        await (
            Job.filter(_claimable(now), id__in=ids)
            .using_db(conn)
            .update(status="running", locked_by=worker_id, locked_until=until, attempts=F("attempts") + 1)
        )
        return list(await Job.filter(id__in=ids, locked_by=worker_id, locked_until=until).using_db(conn))


async def complete(job: Job) -> None:
    await Job.filter(id=job.id, locked_by=job.locked_by).update(
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
            await complete(job)

    async def run_once(self, limit: int | None = None) -> int:
        """Claim one batch and run it to the end. Returns how many jobs ran."""
        with activate(self.ctx):
            jobs = await claim(self.worker_id, limit or self.concurrency, self.lease_seconds)
            await asyncio.gather(*(self.run_job(job) for job in jobs))
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
        with activate(self.ctx):
            while not stop.is_set():
                if not backlog and len(running) < self.concurrency:
                    backlog.extend(await self._claim_quietly(2 * self.concurrency - len(running)))
                while backlog and len(running) < self.concurrency:
                    task = asyncio.create_task(self.run_job(backlog.popleft()))
                    running.add(task)
                    task.add_done_callback(running.discard)
                await self._wait(stop, running, busy=bool(backlog) or len(running) >= self.concurrency)
            await release(self.worker_id, list(backlog))
            if running:
                await asyncio.wait(set(running), timeout=self.lease_seconds)

    async def _wait(self, stop: asyncio.Event, running: set[asyncio.Task[None]], *, busy: bool) -> None:
        """Until a task finishes (busy), or until a task finishes, a job is queued, or the poll interval."""
        self._wake.clear()
        waiters: list[asyncio.Future[Any]] = [asyncio.ensure_future(stop.wait())]
        if running:
            waiters.append(asyncio.ensure_future(asyncio.wait(set(running), return_when=asyncio.FIRST_COMPLETED)))
        if not busy:
            waiters.append(asyncio.ensure_future(self._wake.wait()))
        _, pending = await asyncio.wait(
            waiters, timeout=None if busy else self.poll_interval, return_when=asyncio.FIRST_COMPLETED
        )
        for fut in pending:
            fut.cancel()
