"""Background work of the federation policy: refreshing subscribed block and allow lists.

A subscription's refresh job reschedules itself (the next job runs `refresh_hours` later), so the
chain lives in the durable queue; `ensure_refresh_jobs` (at node start) restores a missing link.
Lists are fetched through the node's federation client (SSRF guard, size and time limits), with
If-None-Match when the client offers conditional requests, and compared by content otherwise."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from federation.client import FetchError
from node.core import jobs
from node.core.models import Job
from node.policy.models import PolicySubscription
from node.policy.domains import PolicyError
from node.policy.subscriptions import SUBSCRIPTION_JOB, RefreshResult, apply_subscription, refresh_due, schedule
from node.policy.lists import parse
from node.core.runtime import Node

log = logging.getLogger("agora.policy")

LIST_ACCEPT = "text/csv, application/json;q=0.9, text/plain;q=0.8, */*;q=0.1"


@dataclass(frozen=True)
class Outcome:
    ok: bool
    changed: bool
    message: str
    result: RefreshResult | None = None


async def _fetch(node: Node, sub: PolicySubscription) -> tuple[bool, str, str, str | None]:
    """(modified, content type, text, validator). A conditional GET when the client supports one;
    otherwise the body's hash stands in for the ETag, so an unchanged list is not applied again."""
    conditional = getattr(node.client, "get_text_conditional", None)
    if conditional is not None:
        status, content_type, text, etag = await conditional(sub.url, etag=sub.etag, accept=LIST_ACCEPT)
        return status != 304, content_type, text, etag
    content_type, text = await node.client.get_text(sub.url, accept=LIST_ACCEPT)
    etag = "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    return etag != sub.etag, content_type, text, etag


async def refresh(node: Node, sub: PolicySubscription) -> Outcome:
    """Fetch one subscribed list and apply it. Errors are recorded on the subscription, never raised:
    a list that cannot be fetched or read changes nothing."""
    try:
        modified, content_type, text, etag = await _fetch(node, sub)
        if modified:
            parsed = parse(text, content_type)
    except FetchError as exc:
        return await _failed(sub, f"not fetched: {exc}")
    except PolicyError as exc:
        return await _failed(sub, f"not applied: {exc}")
    if not modified:
        await PolicySubscription.filter(id=sub.id).update(last_fetched_at=jobs.utcnow(), last_error=None)
        await sub.refresh_from_db()
        return Outcome(True, False, "the list has not changed")
    result = await apply_subscription(node, sub, parsed)
    await PolicySubscription.filter(id=sub.id).update(last_fetched_at=jobs.utcnow(), last_error=None,
                                                      etag=(etag or "")[:255] or None)
    await sub.refresh_from_db()
    message = (f"{len(parsed.entries)} entries: {result.drafts} new drafts, {result.created} new rules, "
               f"{result.updated} changed, {result.removed} removed")
    return Outcome(True, True, message, result)


async def _failed(sub: PolicySubscription, error: str) -> Outcome:
    log.info("subscription %s: %s", sub.url, error)
    await PolicySubscription.filter(id=sub.id).update(last_error=error[:2000])
    await sub.refresh_from_db()
    return Outcome(False, False, error)


def _is_for(job: Job, sub_id: int) -> bool:
    payload: Any = job.payload
    return isinstance(payload, Mapping) and payload.get("subscription") == sub_id


async def has_job(sub_id: int, statuses: tuple[str, ...] = ("queued", "running")) -> bool:
    rows = await Job.filter(kind=SUBSCRIPTION_JOB, status__in=list(statuses))
    return any(_is_for(job, sub_id) for job in rows)


async def ensure_refresh_jobs(node: Node) -> int:
    """One refresh job per subscription (call at node start). Returns how many were queued."""
    queued = 0
    for sub in await PolicySubscription.all():
        if not await has_job(sub.id):
            await schedule(sub.id, jobs.utcnow())
            queued += 1
    if queued:
        node.wake_worker()
    return queued


def job_handlers(node: Node) -> dict[str, jobs.JobHandler]:
    async def refresh_job(payload: Mapping[str, Any], attempt: int) -> None:
        sub = await PolicySubscription.get_or_none(id=payload.get("subscription"))
        if sub is None:
            return  # unsubscribed: the chain ends
        try:
            await refresh(node, sub)
        finally:
            if not await has_job(sub.id, ("queued",)):
                await schedule(sub.id, refresh_due(sub))

    return {SUBSCRIPTION_JOB: refresh_job}
