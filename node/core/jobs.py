"""The durable job queue (its statements are node/core/queue.py, re-exported here) and the worker.

The worker's own database steps survive a lost database (node/core/outage.py): claiming is tried again
after a pause while the running jobs go on, and marking done or requeueing is retried until it works.
A job is marked done as soon as it ends (finished jobs that end during one write go in the next), so
a crash repeats only the jobs that were running. A worker that starts again under the same name
(node/core/worker_identity.py) hands back the leases its previous run left.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import os
import random
import socket
import time
import traceback
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from tortoise import connections
from tortoise.backends.base.client import TransactionalDBClient
from tortoise.context import TortoiseContext

from node.core import heartbeat
from node.core.db import activate
from node.core.models import Job
from node.core.outage import FIRST_DELAY, Outage, persist, unavailable
from node.core.queue import (
    CLAIM_SQL, DONE_SQL, QueueStats, claim, claimable, complete, complete_many, enqueue, fail, release,
    release_previous, release_unknown, stats, utcnow,
)

__all__ = [
    "CLAIM_SQL", "DONE_SQL", "JobHandler", "MAX_GENERIC_ATTEMPTS", "PermanentFailure", "QueueStats",
    "RetryLater", "Worker", "claim", "claimable", "complete", "complete_many", "enqueue", "fail",
    "generic_retry_delay", "release", "release_previous", "release_unknown", "stats", "utcnow",
]

log = logging.getLogger("agora.jobs")

JobHandler = Callable[[Mapping[str, Any], int], Awaitable[None]]
"""A job handler gets the payload and the attempt number (1 on the first run)."""

MAX_GENERIC_ATTEMPTS = 8
DATABASE_RETRY_DELAY = 2.0  # a job that failed because the database did is run again this soon
STOP_GRACE = 10.0  # seconds a stopping worker keeps trying a failed database step
T = TypeVar("T")


class RetryLater(Exception):
    """Raised by a handler: try again after `delay` seconds (None: the job is dead)."""

    def __init__(self, reason: str, delay: float | None) -> None:
        super().__init__(reason)
        self.delay = delay


class PermanentFailure(Exception):
    """Raised by a handler: never try this job again."""


def generic_retry_delay(attempt: int) -> float | None:
    """Backoff for jobs other than deliveries: 10 s, 40 s, 160 s ... about 2 days in all."""
    if attempt >= MAX_GENERIC_ATTEMPTS:
        return None
    base = 10.0 * (4 ** (attempt - 1))
    return min(base, 86400.0) * (0.8 + 0.4 * random.random())


def _in_leftover_transaction() -> bool:
    try:
        return isinstance(connections.get("default"), TransactionalDBClient)
    except Exception:
        return False


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
        heartbeat_seconds: float = 10.0,
        retry_max_delay: float = 10.0,
    ) -> None:
        self.handlers = dict(handlers)
        self.ctx = ctx
        self.concurrency = concurrency
        self.lease_seconds = lease_seconds
        self.poll_interval = poll_interval
        self.heartbeat_seconds = heartbeat_seconds
        self.retry_max_delay = retry_max_delay
        self.outage = Outage("worker")
        # jobs.locked_by holds 64 characters (PostgreSQL enforces it): the unique parts come first
        self.name(worker_id or f"{os.getpid()}:{id(self):x}:{socket.gethostname()}")
        self._wake = asyncio.Event()
        self._done: list[int] = []
        self._held: set[int] = set()  # claimed by this worker and not yet recorded as done or requeued
        self._claim_failed = False
        self._flushing = asyncio.Lock()
        self._next_write: asyncio.Future[None] | None = None  # resolved when the next done write is made
        self._stopping_since: float | None = None
        self._next_beat = 0.0
        self._claim_after = 0.0
        self._claim_pause = FIRST_DELAY

    def name(self, worker_id: str) -> None:
        """Work under this name (jobs are leased to it); see node/core/worker_identity.py."""
        self.worker_id = worker_id[:64]
        self.outage.name = f"worker {self.worker_id}"

    def wake(self) -> None:
        """Tell an idle worker that a job was just queued."""
        self._wake.set()

    async def _db(self, step: str, fn: Callable[[], Awaitable[T]]) -> T:
        """A database step of the worker, tried until it works (see node/core/outage.py); a stopping
        worker gives up after STOP_GRACE seconds."""
        return await persist(self.outage, step, fn, max_delay=self.retry_max_delay, give_up=self._giving_up)

    def _giving_up(self) -> bool:
        return self._stopping_since is not None and time.monotonic() - self._stopping_since > STOP_GRACE

    async def run_job(self, job: Job) -> None:
        """Run one job and record how it ended; never raises."""
        before = contextvars.copy_context()
        outcome = await self._outcome(job)
        if _in_leftover_transaction():
            # A transaction that a lost connection kept from closing stays in this task's context (Tortoise
            # resets it after releasing the connection, which failed): recording there would fail forever.
            # A new task goes on from the context as it was before the handler.
            await asyncio.create_task(self._record(job, outcome), context=before)
        else:
            await self._record(job, outcome)

    async def _record(self, job: Job, outcome: tuple[str, float | None, bool] | None) -> None:
        try:
            if outcome is None:
                await self._finished(job.id)
                return
            error, delay, counted = outcome
            await self._db(f"requeueing job {job.id}", lambda: fail(job, error, delay, counted=counted))
            self._held.discard(job.id)
        except Exception as exc:  # only when a stopping worker gives up on the database
            log.warning("job %s (%s): its end was not recorded (%s); it runs again when its lease ends",
                        job.id, job.kind, exc)

    async def _outcome(self, job: Job) -> tuple[str, float | None, bool] | None:
        """None when the job succeeded, else (error, delay before the next try or None, counted)."""
        handler = self.handlers.get(job.kind)
        try:
            if handler is None:
                raise PermanentFailure(f"no handler for job kind {job.kind!r}")
            await handler(job.payload, job.attempts)
        except RetryLater as exc:
            return str(exc), exc.delay, True
        except PermanentFailure as exc:
            return str(exc), None, True
        except Exception as exc:  # a handler bug must not kill the worker
            detail = "".join(traceback.format_exception_only(exc)).strip()
            if unavailable(exc):  # the database failed under the job: not the job's fault
                self.outage.lost(f"running job {job.id} ({job.kind})", exc)
                return f"database unavailable: {detail}", DATABASE_RETRY_DELAY * (0.5 + random.random()), False
            log.warning("job %s (%s) failed: %s", job.id, job.kind, exc)
            return detail, generic_retry_delay(job.attempts), True
        return None

    async def _finished(self, job_id: int) -> None:
        """Mark a finished job done now, and keep its task slot until it is written. While one write
        is under way, the jobs that finish wait for the next one, which takes them all: one UPDATE per
        job at low load, batches at high load. So a crash repeats only jobs still under way, at most
        `concurrency` of them."""
        self._done.append(job_id)
        if not self._flushing.locked():
            await self.flush()
            return
        if self._next_write is None:
            self._next_write = asyncio.get_running_loop().create_future()
        await self._next_write

    async def flush(self) -> None:
        """Write every pending done mark (retried through an outage)."""
        async with self._flushing:
            while self._done:
                done = self._done[:]
                waiting, self._next_write = self._next_write, None
                try:
                    await self._db("marking jobs done", lambda: complete_many(self.worker_id, done))
                except BaseException as exc:
                    if waiting is not None:
                        waiting.set_exception(exc if isinstance(exc, Exception) else RuntimeError("stopped"))
                    raise
                del self._done[: len(done)]
                self._held.difference_update(done)
                if waiting is not None:
                    waiting.set_result(None)

    async def run_once(self, limit: int | None = None) -> int:
        """Claim one batch and run it to the end. Returns how many jobs ran."""
        with activate(self.ctx):
            jobs = await claim(self.worker_id, limit or self.concurrency, self.lease_seconds)
            self._held.update(job.id for job in jobs)
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

    async def _claim(self, limit: int) -> list[Job]:
        """One try: during an outage the loop goes on with what runs and claims again after a pause.
        After a failed claim, the jobs it may have leased all the same are handed back first."""
        try:
            if self._claim_failed:
                lost = await release_unknown(self.worker_id, self._held)
                if lost:
                    log.info("worker %s: %d jobs of a claim lost with its connection handed back", self.worker_id, lost)
                self._claim_failed = False
            claimed = await claim(self.worker_id, limit, self.lease_seconds)
        except Exception as exc:
            self._claim_failed = True
            self.outage.lost("claiming jobs", exc)
            self._claim_after = time.monotonic() + self._claim_pause * (0.5 + random.random())
            self._claim_pause = min(self._claim_pause * 2, self.retry_max_delay)
            return []
        self.outage.back()
        self._claim_pause = FIRST_DELAY
        self._held.update(job.id for job in claimed)
        return claimed

    async def _beat(self) -> None:
        self._next_beat = time.monotonic() + self.heartbeat_seconds
        try:
            await heartbeat.beat(self.worker_id, utcnow())
        except Exception as exc:
            self.outage.lost("recording its heartbeat", exc)
        else:
            self.outage.back()

    async def _start(self) -> None:
        """Write what a previous loop of this worker left, then hand back the jobs still leased to
        its name (a previous run of this node that died)."""
        await self.flush()
        released = await self._db("handing back the jobs of a previous run", lambda: release_previous(self.worker_id))
        self._held.clear()
        if released:
            log.warning("worker %s: %d jobs of its previous run handed back", self.worker_id, released)
        with contextlib.suppress(Exception):
            await heartbeat.forget_old(utcnow())

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Claim jobs in batches of twice the concurrency (a claim costs several statements, so one per
        job would dominate short jobs such as deliveries) and start them as task slots free up."""
        running: set[asyncio.Task[None]] = set()
        backlog: deque[Job] = deque()
        self._stopping_since = None
        stop_waiter = asyncio.ensure_future(self._relay(stop))
        with activate(self.ctx):
            try:
                await self._start()
                await self._loop(stop, running, backlog)
            finally:
                stop_waiter.cancel()
                await self._wind_down(running, backlog)

    async def _loop(self, stop: asyncio.Event, running: set[asyncio.Task[None]], backlog: deque[Job]) -> None:
        def finished(task: asyncio.Task[None]) -> None:
            running.discard(task)
            self._wake.set()

        while not stop.is_set():
            now = time.monotonic()
            if now >= self._next_beat:
                await self._beat()
            if not backlog and len(running) < self.concurrency and now >= self._claim_after:
                backlog.extend(await self._claim(2 * self.concurrency - len(running)))
            while backlog and len(running) < self.concurrency:
                task = asyncio.create_task(self.run_job(backlog.popleft()))
                running.add(task)
                task.add_done_callback(finished)
            busy = bool(backlog) or len(running) >= self.concurrency
            if self._wake.is_set() and not busy and time.monotonic() >= self._claim_after:
                self._wake.clear()
                continue
            self._wake.clear()
            until = [self._next_beat] + ([] if busy else [max(self._claim_after, time.monotonic() + self.poll_interval)])
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(0.0, min(until) - time.monotonic()))

    async def _wind_down(self, running: set[asyncio.Task[None]], backlog: deque[Job]) -> None:
        """Hand back the unstarted jobs, let the running ones end, write their done marks."""
        unstarted = list(backlog)
        backlog.clear()
        try:
            await self._db("handing back unstarted jobs", lambda: release(self.worker_id, unstarted))
            self._held.difference_update(job.id for job in unstarted)
        except Exception as exc:
            log.warning("worker %s: %d unstarted jobs not handed back (%s)", self.worker_id, len(unstarted), exc)
        if running:
            await asyncio.wait(set(running), timeout=self.lease_seconds)
        try:
            await self.flush()
        except Exception as exc:
            log.warning("worker %s: %d done marks not written (%s); those jobs run again at its next start",
                        self.worker_id, len(self._done), exc)

    async def _relay(self, stop: asyncio.Event) -> None:
        """Wake the loop when asked to stop."""
        await stop.wait()
        self._stopping_since = time.monotonic()
        self._wake.set()
