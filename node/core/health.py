"""The node's health, as `/healthz` and the admin console report it: whether the database answers,
the newest worker heartbeat (node/core/heartbeat.py) and the oldest job that is due but not taken.
Three small indexed queries; with the database gone, or too slow to answer, only `database: down` is
known."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from node.core import heartbeat
from node.core.models import Job
from node.core.queue import utcnow

TIME_LIMIT = 5.0  # seconds the database has to answer a health check


@dataclass(frozen=True)
class Health:
    database: bool
    last_heartbeat: datetime | None
    heartbeat_age: float | None
    oldest_due: datetime | None
    due: int | None
    stale_after: float

    @property
    def worker_alive(self) -> bool:
        return self.heartbeat_age is not None and self.heartbeat_age <= self.stale_after

    @property
    def ok(self) -> bool:
        return self.database and self.worker_alive

    def as_json(self) -> dict[str, Any]:
        return {
            "status": "ok" if self.ok else "failing",
            "database": "ok" if self.database else "down",
            "worker": {"last_heartbeat": self.last_heartbeat.isoformat() if self.last_heartbeat else None,
                       "age_seconds": round(self.heartbeat_age, 1) if self.heartbeat_age is not None else None,
                       "alive": self.worker_alive},
            "queue": {"oldest_due": self.oldest_due.isoformat() if self.oldest_due else None, "due": self.due},
        }


async def _read(now: datetime) -> tuple[datetime | None, int, datetime | None]:
    last = await heartbeat.latest()
    due_jobs = Job.filter(status="queued", run_at__lte=now)
    due = await due_jobs.count()
    oldest = await due_jobs.order_by("run_at").first().values_list("run_at", flat=True) if due else None
    return last, due, oldest if isinstance(oldest, datetime) else None


async def check(stale_after: float) -> Health:
    """Every check answers, even with the database gone: any failure of it is reported, never raised."""
    now = utcnow()
    try:
        last, due, oldest = await asyncio.wait_for(_read(now), TIME_LIMIT)
    except Exception:
        return Health(False, None, None, None, None, stale_after)
    age = max(0.0, (now - last).total_seconds()) if last is not None else None
    return Health(True, last, age, oldest, due, stale_after)
