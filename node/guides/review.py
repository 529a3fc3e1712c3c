"""Keeping guides current: each guide has a review interval (its own, else the site's, default 180
days); a guide not reviewed within it is stale. A daily job (it queues its own next run, like the
policy list refresh in node/policy/jobs.py) notifies every editor and admin once per staleness period
of each stale guide; the admin console lists them (pages_admin.py)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from node.core import jobs, site_settings
from node.core.models import Actor, Job, User
from node.core.runtime import Node
from node.accounts.roles import PUBLISHING_ROLES
from node.guides.inputs import DEFAULT_REVIEW_DAYS, MAX_REVIEW_DAYS
from node.guides.models import Guide
from node.social.notify import notify

log = logging.getLogger("agora.guides")

REVIEW_JOB = "guides.review"
REVIEW_SETTING = "guides_review_days"
EVERY = timedelta(days=1)
KIND = "guide_stale"


async def default_interval() -> int:
    value = await site_settings.get(REVIEW_SETTING)
    return value if isinstance(value, int) and 1 <= value <= MAX_REVIEW_DAYS else DEFAULT_REVIEW_DAYS


async def set_default_interval(days: int) -> None:
    if not 1 <= days <= MAX_REVIEW_DAYS:
        raise ValueError(f"review interval: 1 to {MAX_REVIEW_DAYS} days")
    await site_settings.put(REVIEW_SETTING, days)


def due_at(guide: Guide, default_days: int) -> datetime:
    """When the guide is next due for review."""
    base = guide.reviewed_at or guide.published
    return base + timedelta(days=guide.review_days or default_days)


async def stale_guides(now: datetime | None = None) -> list[tuple[Guide, datetime]]:
    """Our guides past their review date, the longest overdue first, with that date."""
    now = now or datetime.now(timezone.utc)
    default_days = await default_interval()
    found = [(g, due_at(g, default_days)) for g in await Guide.filter(local=True, deleted_at=None)]
    return sorted([(g, due) for g, due in found if due <= now], key=lambda item: item[1])


async def is_stale(guide: Guide) -> bool:
    return guide.local and due_at(guide, await default_interval()) <= datetime.now(timezone.utc)


async def editors() -> list[Actor]:
    ids = [u.actor_id for u in await User.filter(role__in=sorted(PUBLISHING_ROLES))]
    return await Actor.filter(id__in=ids, deleted_at=None)


async def flag_stale(now: datetime | None = None) -> int:
    """Notify the editors of each stale guide not flagged since it became due; how many were flagged."""
    now = now or datetime.now(timezone.utc)
    flagged = 0
    recipients = await editors()
    for guide, due in await stale_guides(now):
        if guide.stale_notified_at is not None and guide.stale_notified_at >= due:
            continue  # flagged already in this staleness period
        for editor in recipients:
            await notify(editor, KIND, None, f"{guide.uri}#stale-{int(due.timestamp())}", guide.url or guide.uri,
                         guide.title)
        guide.stale_notified_at = now
        await guide.save(update_fields=["stale_notified_at"])
        flagged += 1
    return flagged


async def schedule(run_at: datetime) -> None:
    await jobs.enqueue(REVIEW_JOB, {}, run_at=run_at, dedupe_key=f"{REVIEW_JOB} {int(run_at.timestamp()) // 3600}")


async def ensure_review_job(node: Node) -> None:
    """The daily chain, started by the first guide (and kept going by each run)."""
    if not await Job.filter(kind=REVIEW_JOB, status__in=["queued", "running"]).exists():
        await schedule(datetime.now(timezone.utc) + timedelta(minutes=1))
        node.wake_worker()


def job_handlers(node: Node) -> dict[str, jobs.JobHandler]:
    async def review_job(payload: Mapping[str, Any], attempt: int) -> None:
        try:
            count = await flag_stale()
            if count:
                log.info("%d stale guides flagged to the editors", count)
        finally:
            await schedule(datetime.now(timezone.utc) + EVERY)

    return {REVIEW_JOB: review_job}
