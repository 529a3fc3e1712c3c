"""Outbound path: an activity and one fan-out job in one transaction, then one delivery job per inbox."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from federation import delivery as policy
from federation import vocab
from federation.client import FetchError
from node import jobs
from node.actors import fetch_actor, signer_for
from node.models import Activity, Actor, Follow, Host
from node.runtime import Node

log = logging.getLogger("agora.delivery")

FANOUT = "fanout"
DELIVER = "deliver"


async def publish(
    node: Node,
    actor: Actor,
    doc: Mapping[str, Any],
    *,
    followers: bool = True,
    recipients: Sequence[str] = (),
) -> Activity:
    """Store an outgoing activity and queue its fan-out, atomically."""
    async with in_transaction():
        record = await Activity.create(
            uri=doc["id"], kind=doc["type"], actor_uri=actor.uri, outgoing=True, data=dict(doc)
        )
        await jobs.enqueue(
            FANOUT,
            {"activity": record.uri, "actor": actor.id, "followers": followers, "recipients": list(recipients)},
        )
    node.wake_worker()
    return record


async def follower_recipients(actor: Actor) -> list[policy.Recipient]:
    rows = await Follow.filter(target=actor, state="accepted", follower__local=False).prefetch_related("follower")
    return [
        policy.Recipient(inbox=row.follower.inbox, shared_inbox=row.follower.shared_inbox)
        for row in rows
        if row.follower.inbox
    ]


async def explicit_recipients(node: Node, uris: Sequence[str]) -> list[policy.Recipient]:
    found: list[policy.Recipient] = []
    for uri in dict.fromkeys(uris):
        if uri in vocab.PUBLIC_ALIASES or node.urls.is_local(uri):
            continue
        try:
            target = await fetch_actor(node, uri)
        except FetchError as exc:
            log.info("recipient %s skipped: %s", uri, exc)
            continue
        if target.inbox:
            found.append(policy.Recipient(inbox=target.inbox, shared_inbox=target.shared_inbox))
    return found


async def run_fanout(node: Node, payload: Mapping[str, Any]) -> None:
    actor = await Actor.get(id=payload["actor"])
    recipients = await explicit_recipients(node, payload.get("recipients", []))
    if payload.get("followers"):
        recipients += await follower_recipients(actor)
    inboxes = policy.inbox_targets(recipients)
    for inbox in inboxes:
        await jobs.enqueue(
            DELIVER,
            {"activity": payload["activity"], "actor": actor.id, "inbox": inbox},
            dedupe_key=f"deliver {payload['activity']} {inbox}",
        )
    if inboxes:
        node.wake_worker()


def _ts(moment: datetime | None) -> float | None:
    return moment.timestamp() if moment else None


def _dt(stamp: float | None) -> datetime | None:
    return datetime.fromtimestamp(stamp, timezone.utc) if stamp is not None else None


async def host_health(domain: str) -> tuple[Host, policy.HostHealth]:
    host, _ = await Host.get_or_create(domain=domain)
    return host, policy.HostHealth(
        failures=host.failures,
        first_failure_at=_ts(host.first_failure_at),
        next_probe_at=_ts(host.next_probe_at),
    )


async def record_success(host: Host) -> None:
    await Host.filter(id=host.id).update(
        failures=0, first_failure_at=None, next_probe_at=None, last_success_at=jobs.utcnow()
    )


async def record_failure(host: Host, now: float, error: str) -> None:
    """Count one failure atomically (concurrent deliveries to one host must all count), then set the
    next probe time from the counted state."""
    moment = _dt(now)
    await Host.filter(id=host.id).update(failures=F("failures") + 1, last_error=error[:500])
    await Host.filter(id=host.id, first_failure_at=None).update(first_failure_at=moment)
    await host.refresh_from_db()
    counted = policy.HostHealth(failures=host.failures - 1, first_failure_at=_ts(host.first_failure_at))
    await Host.filter(id=host.id).update(next_probe_at=_dt(counted.record_failure(now).next_probe_at))


async def revive_host(domain: str) -> None:
    """Any verified request from a host proves it is alive again."""
    await Host.filter(domain=domain, failures__gt=0).update(failures=0, first_failure_at=None, next_probe_at=None)


async def activity_body(node: Node, uri: str) -> bytes:
    cache: dict[str, bytes] = node.extra.setdefault("body_cache", {})
    body = cache.get(uri)
    if body is None:
        record = await Activity.get(uri=uri)
        body = json.dumps(record.data, separators=(",", ":")).encode()
        if len(cache) > 256:
            cache.clear()
        cache[uri] = body
    return body


async def run_delivery(node: Node, payload: Mapping[str, Any], attempt: int) -> None:
    inbox: str = payload["inbox"]
    now = jobs.utcnow().timestamp()
    host, health = await host_health(vocab.host_of(inbox))
    if health.is_dead(now) and not health.should_probe(now):
        wait = max((health.next_probe_at or now) - now, 60.0)
        raise jobs.RetryLater(f"host {host.domain} is down; parked", wait)
    actor = await Actor.get(id=payload["actor"])
    body = await activity_body(node, payload["activity"])
    try:
        result = await node.client.post_activity(inbox, body, signer=signer_for(actor))
        outcome = policy.classify_response(result.status, result.headers)
    except FetchError as exc:
        outcome = policy.classify_error(exc)
    if outcome.outcome is policy.Outcome.SENT:
        if health.failures:
            await record_success(host)
        return
    if outcome.host_down or outcome.outcome is policy.Outcome.RETRY:
        await record_failure(host, now, outcome.reason)
    if outcome.outcome is policy.Outcome.PERMANENT:
        raise jobs.PermanentFailure(f"{inbox}: {outcome.reason}")
    delay = policy.retry_delay(attempt)
    if delay is not None and outcome.retry_after is not None:
        delay = max(delay, outcome.retry_after)
    raise jobs.RetryLater(f"{inbox}: {outcome.reason}", delay)
