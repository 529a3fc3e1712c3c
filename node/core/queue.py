"""The job queue's statements: one `jobs` table, leases instead of deletes.

A worker claims a batch by setting a lease (`locked_until`); a job whose lease has passed is claimable
again, so a crashed worker loses nothing. Delivery is at-least-once. On PostgreSQL the claim uses FOR
UPDATE SKIP LOCKED so many `agora worker` processes can share the work; on SQLite one process claims
(one worker process, several tasks). Every statement that ends a job names the worker holding it, so a
worker whose lease passed and was taken by another changes nothing. The worker is node/core/jobs.py."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from node.core.models import Job


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


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


async def release_unknown(worker_id: str, held: set[int]) -> int:
    """Hand back the jobs leased to this worker that it does not know it holds: a claim whose answer
    was lost with its connection (PostgreSQL committed the UPDATE, the rows never arrived) would
    otherwise wait for its lease. Attempt not counted: they never ran. Returns how many."""
    query = Job.filter(locked_by=worker_id, status="running")
    if held:
        query = query.exclude(id__in=sorted(held))
    return await query.update(status="queued", locked_by=None, locked_until=None, attempts=F("attempts") - 1)


def claimable(now: datetime) -> Q:
    """Jobs a worker may claim now: due, or leased to a worker whose lease has passed (CLAIM_SQL)."""
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


DONE_SQL = {
    # Written once or more per batch of deliveries: plain SQL, without building a query each time.
    "sqlite": "UPDATE jobs SET status='done', locked_until=NULL, finished_at=?, last_error=NULL "
              "WHERE locked_by=? AND id IN ({ids})",
    "postgres": "UPDATE jobs SET status='done', locked_until=NULL, finished_at=$1, last_error=NULL "
                "WHERE locked_by=$2 AND id = ANY($3::bigint[])",
}


async def complete_many(worker_id: str, ids: list[int]) -> None:
    """Mark jobs done in one statement (only those this worker still holds)."""
    if not ids:
        return
    conn = connections.get("default")
    dialect = conn.capabilities.dialect
    stamp = _timestamp(utcnow(), dialect)
    if dialect == "sqlite":
        await conn.execute_query(DONE_SQL[dialect].format(ids=",".join("?" * len(ids))), [stamp, worker_id, *ids])
    else:
        await conn.execute_query(DONE_SQL[dialect], [stamp, worker_id, list(ids)])


async def fail(job: Job, error: str, delay: float | None, *, counted: bool = True) -> None:
    """Requeue after `delay` seconds, or mark dead when delay is None. A worker whose lease passed
    and was taken by another worker changes nothing (like `complete`), nor does a job its handler
    already marked done (node/mailing/sending.py marks it before a message's final dot).
    `counted=False`: the attempt does not count (the database failed, not the job)."""
    now = utcnow()
    if delay is None:
        await Job.filter(id=job.id, locked_by=job.locked_by, status="running").update(
            status="dead", locked_until=None, last_error=error[:2000], finished_at=now
        )
        return
    await Job.filter(id=job.id, locked_by=job.locked_by, status="running").update(
        status="queued",
        locked_by=None,
        locked_until=None,
        last_error=error[:2000],
        run_at=now + timedelta(seconds=delay),
        **({} if counted else {"attempts": F("attempts") - 1}),
    )


async def release(worker_id: str, jobs: list[Job]) -> None:
    """Hand back claimed jobs that were never started (a stopping worker), attempt not counted."""
    if jobs:
        await Job.filter(id__in=[job.id for job in jobs], locked_by=worker_id, status="running").update(
            status="queued", locked_by=None, locked_until=None, attempts=F("attempts") - 1
        )


async def release_previous(worker_id: str) -> int:
    """Hand back every job still leased to this name: a worker starting again under the name of a run
    that died (SIGKILL, a crash) runs them now instead of after their lease. Returns how many."""
    return await Job.filter(locked_by=worker_id, status="running").update(
        status="queued", locked_by=None, locked_until=None
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
