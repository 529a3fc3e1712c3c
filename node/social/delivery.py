"""Outbound path: an activity and one fan-out job in one transaction, then one delivery job per inbox."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from federation import delivery as policy
from federation import vocab
from federation.client import FetchError, Signer
from node.core import jobs
from node.policy import policy as node_policy
from node.accounts.actors import fetch_actor, signer_for
from node.core.models import Activity, Actor, Follow, Host, Job
from node.policy.models import Relay
from node.core.runtime import Node

log = logging.getLogger("agora.delivery")

FANOUT = "fanout"
DELIVER = "deliver"
PRESTART_SIGNING = 32  # a fan-out to more inboxes starts the client's signing workers at once


async def publish(
    node: Node,
    actor: Actor,
    doc: Mapping[str, Any],
    *,
    followers: bool = True,
    recipients: Sequence[str] = (),
    groups: Sequence[int] = (),
) -> Activity:
    """Store an outgoing activity and queue its fan-out, atomically. `groups`: local Group actors
    (forum categories) whose followers receive it too (a member's edit or deletion of a forum post)."""
    async with in_transaction():
        record = await Activity.create(
            uri=doc["id"], kind=doc["type"], actor_uri=actor.uri, outgoing=True, data=dict(doc)
        )
        await jobs.enqueue(
            FANOUT,
            {"activity": record.uri, "actor": actor.id, "followers": followers, "recipients": list(recipients),
             "groups": list(groups)},
        )
    node.wake_worker()
    return record


async def follower_recipients(actor: Actor) -> list[policy.Recipient]:
    rows = await Follow.filter(target=actor, state="accepted", follower__local=False).values_list(
        "follower__inbox", "follower__shared_inbox"
    )
    return [policy.Recipient(inbox=inbox, shared_inbox=shared) for inbox, shared in rows if inbox]


async def explicit_recipients(node: Node, uris: Sequence[str]) -> list[policy.Recipient]:
    found: list[policy.Recipient] = []
    for uri in dict.fromkeys(uris):
        if uri in vocab.PUBLIC_ALIASES or node.urls.is_local(uri):
            continue
        if await node_policy.is_blocked(node, uri):
            log.info("recipient %s skipped: blocked by the federation policy", uri)
            continue
        try:
            target = await fetch_actor(node, uri)
        except FetchError as exc:
            log.info("recipient %s skipped: %s", uri, exc)
            continue
        if target.inbox:
            found.append(policy.Recipient(inbox=target.inbox, shared_inbox=target.shared_inbox))
    return found


async def relay_inboxes(node: Node, actor: Actor, activity_uri: str) -> list[str]:
    """The accepted relays' inboxes, for the association's public activities (relays spread what is
    public; members' posts, unlisted and non-public activities never go to them)."""
    if not actor.local or actor.kind != "Group" or actor.username != node.settings.association.handle:
        return []
    inboxes = list(await Relay.filter(state="accepted").values_list("inbox_url", flat=True))
    if not inboxes:
        return []
    record = await Activity.get_or_none(uri=activity_uri)
    data = record.data if record is not None and isinstance(record.data, dict) else {}
    public = any(a in vocab.PUBLIC_ALIASES for a in vocab.ids_of(data.get("to")))  # unlisted stays off relays
    return [str(i) for i in inboxes] if public else []


async def allowed_inboxes(node: Node, inboxes: Sequence[str]) -> list[str]:
    """The inboxes the federation policy lets us deliver to (blocked ones are not even queued)."""
    allowed = []
    for inbox in dict.fromkeys(inboxes):
        if await node_policy.is_blocked(node, inbox):
            log.info("delivery to %s not queued: blocked by the federation policy", inbox)
        else:
            allowed.append(inbox)
    return allowed


async def queue_deliveries(node: Node, activity_uri: str, actor_id: int, inboxes: Sequence[str]) -> int:
    """One delivery job per inbox (the unique dedupe key keeps reruns single). Returns how many."""
    inboxes = await allowed_inboxes(node, inboxes)
    now = jobs.utcnow()
    rows = [
        Job(
            kind=DELIVER,
            payload={"activity": activity_uri, "actor": actor_id, "inbox": inbox},
            run_at=now,
            dedupe_key=f"deliver {activity_uri} {inbox}",
        )
        for inbox in inboxes
    ]
    async with in_transaction():  # one statement per 500 inboxes
        await Job.bulk_create(rows, batch_size=500, ignore_conflicts=True)
    if inboxes:
        node.wake_worker()
    return len(inboxes)


async def run_fanout(node: Node, payload: Mapping[str, Any]) -> None:
    actor = await Actor.get(id=payload["actor"])
    recipients = await explicit_recipients(node, payload.get("recipients", []))
    if payload.get("followers"):
        recipients += await follower_recipients(actor)
    for group in await Actor.filter(id__in=payload.get("groups") or [], local=True, kind="Group"):
        recipients += await follower_recipients(group)
    inboxes = policy.inbox_targets(recipients)
    if payload.get("followers"):
        inboxes += await relay_inboxes(node, actor, payload["activity"])
    if len(inboxes) > PRESTART_SIGNING:
        node.client.signing.start()  # the signing workers start while the deliveries are queued
    await queue_deliveries(node, payload["activity"], actor.id, inboxes)


async def publish_to_inboxes(node: Node, actor: Actor, doc: Mapping[str, Any], inboxes: Sequence[str]) -> Activity:
    """Store an outgoing activity and queue it straight to these inboxes (a relay has an inbox, not
    an actor we could resolve), atomically."""
    async with in_transaction():
        record = await Activity.create(
            uri=doc["id"], kind=doc["type"], actor_uri=actor.uri, outgoing=True, data=dict(doc)
        )
        await queue_deliveries(node, record.uri, actor.id, inboxes)
    return record


def _ts(moment: datetime | None) -> float | None:
    return moment.timestamp() if moment else None


def _dt(stamp: float | None) -> datetime | None:
    return datetime.fromtimestamp(stamp, timezone.utc) if stamp is not None else None


HEALTH_CACHE_SECONDS = 30.0


async def host_health(node: Node, domain: str) -> tuple[Host, policy.HostHealth]:
    """A host's delivery health, read from the database at most every 30 s while it stays healthy
    (a successful delivery then costs no database read)."""
    cache: dict[str, tuple[float, Host, policy.HostHealth]] = node.extra.setdefault("host_health", {})
    now = time.monotonic()
    cached = cache.get(domain)
    if cached is not None and now - cached[0] < HEALTH_CACHE_SECONDS:
        return cached[1], cached[2]
    host, _ = await Host.get_or_create(domain=domain)
    health = policy.HostHealth(
        failures=host.failures,
        first_failure_at=_ts(host.first_failure_at),
        next_probe_at=_ts(host.next_probe_at),
    )
    if len(cache) > 10_000:
        cache.clear()
    cache[domain] = (now, host, health)
    return host, health


def forget_health(node: Node, domain: str) -> None:
    node.extra.get("host_health", {}).pop(domain, None)


async def signer_of(node: Node, actor_id: int) -> Signer:
    cache: dict[int, Signer] = node.extra.setdefault("signers", {})
    signer = cache.get(actor_id)
    if signer is None:
        signer = signer_for(await Actor.get(id=actor_id))
        cache[actor_id] = signer
    return signer


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


REVIVE_EVERY_SECONDS = 60.0


async def revive_host(node: Node, domain: str) -> None:
    """Any verified request from a host proves it is alive again. Written at most once a minute per
    host: an UPDATE takes SQLite's write lock, and this runs on every inbox request."""
    seen: dict[str, float] = node.extra.setdefault("revived", {})
    now = time.monotonic()
    if now - seen.get(domain, -REVIVE_EVERY_SECONDS) < REVIVE_EVERY_SECONDS:
        return
    if len(seen) > 10_000:
        seen.clear()
    seen[domain] = now
    if await Host.filter(domain=domain, failures__gt=0).update(failures=0, first_failure_at=None, next_probe_at=None):
        forget_health(node, domain)


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
    refusal = await node_policy.block_reason(node, inbox)
    if refusal is not None:  # blocked after it was queued: dropped without a request, never retried
        raise jobs.PermanentFailure(f"{inbox}: dropped, {refusal}")
    now = jobs.utcnow().timestamp()
    host, health = await host_health(node, vocab.host_of(inbox))
    if health.is_dead(now) and not health.should_probe(now):
        wait = max((health.next_probe_at or now) - now, 60.0)
        raise jobs.RetryLater(f"host {host.domain} is down; parked", wait)
    body = await activity_body(node, payload["activity"])
    try:
        result = await node.client.post_activity(inbox, body, signer=await signer_of(node, payload["actor"]))
        outcome = policy.classify_response(result.status, result.headers)
    except FetchError as exc:
        outcome = policy.classify_error(exc)
    if outcome.outcome is policy.Outcome.SENT:
        if health.failures:
            await record_success(host)
            forget_health(node, host.domain)
        return
    if outcome.host_down or outcome.outcome is policy.Outcome.RETRY:
        await record_failure(host, now, outcome.reason)
        forget_health(node, host.domain)
    if outcome.outcome is policy.Outcome.PERMANENT:
        raise jobs.PermanentFailure(f"{inbox}: {outcome.reason}")
    delay = policy.retry_delay(attempt)
    if delay is not None and outcome.retry_after is not None:
        delay = max(delay, outcome.retry_after)
    raise jobs.RetryLater(f"{inbox}: {outcome.reason}", delay)
