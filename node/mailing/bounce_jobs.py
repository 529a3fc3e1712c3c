"""The job that reads the bounce mailbox (`[mail] bounce_mailbox`) every five minutes.

Each run queues the next one (like the guides' review job, node/guides/review.py), so the chain lives
in the durable queue; `ensure_mailbox_job` (at node start) starts it when a mailbox is set. With the
setting empty the job does nothing and the chain ends."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from node.core import jobs
from node.core.models import Job
from node.core.runtime import Node
from node.mailing.bounces_mailbox import read_mailbox

log = logging.getLogger("agora.mail")

MAILBOX_JOB = "bounces.mailbox"
EVERY = timedelta(minutes=5)
SOON = timedelta(seconds=10)  # when a run left messages for the next one


async def schedule(run_at: datetime) -> None:
    slot = int(run_at.timestamp()) // 10
    await jobs.enqueue(MAILBOX_JOB, {}, run_at=run_at, dedupe_key=f"{MAILBOX_JOB} {slot}")


async def ensure_mailbox_job(node: Node) -> bool:
    """Start the chain when a mailbox is set and no run is queued; True when one was queued."""
    if not node.settings.mail.bounce_mailbox.strip():
        return False
    if await Job.filter(kind=MAILBOX_JOB, status__in=["queued", "running"]).exists():
        return False
    await schedule(datetime.now(timezone.utc))
    node.wake_worker()
    return True


def job_handlers(node: Node) -> dict[str, jobs.JobHandler]:
    async def mailbox_job(payload: Mapping[str, Any], attempt: int) -> None:
        path = node.settings.mail.bounce_mailbox.strip()
        if not path:
            return  # no mailbox (any more): the chain ends
        more = False
        try:
            run = await read_mailbox(node, path)
            more = run.more
            if run.read:
                log.info("bounce mailbox: %d messages read, %d hard bounces, %d soft, %d complaints, "
                         "%d unrecognized", run.read, run.tally.hard, run.tally.soft, run.tally.complaints,
                         run.unrecognized)
        finally:  # one chain: a failed run that is tried again finds the next one queued and ends there
            if not await Job.filter(kind=MAILBOX_JOB, status="queued").exists():
                await schedule(datetime.now(timezone.utc) + (SOON if more else EVERY))

    return {MAILBOX_JOB: mailbox_job}
