"""Items by email: each one as it is published ("instant" subscribers), or a daily or weekly digest.

Pull, not push: a scan job every minute reads what was published since its watermark (a moment kept in
the site settings, `WATERMARK`) and queues one job per item and instant subscriber whose choices it
matches, with a dedupe key per subscriber and item, so a scan that runs twice (or crashes half way
and goes again) queues nobody's item twice. The digest runs at `HOUR` UTC, daily, and weekly on
Mondays: one job per subscriber of that frequency and period (dedupe key with the period's date)
gathers the items since the subscriber's last digest and sends one message, or none when nothing is
new, and then records the period's end (`last_digest_at`), so a job that runs again sends nothing.

Each chain (scan, daily, weekly) reschedules itself; `ensure_chains` restores a missing link, at node
start and whenever a subscriber row is saved active (a Tortoise post_save listener: confirmation, a
member's choices, the command line all save the row)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from tortoise.signals import post_save

from node.core import i18n, jobs, site_settings
from node.core.models import Job
from node.core.runtime import Node
from node.mailing import messages, sending
from node.mailing.items import KINDS, Item, load, matches, published_between
from node.mailing.models import Subscriber

log = logging.getLogger("agora.mailing")

SCAN_JOB = "mail.scan"
ITEM_JOB = "mail.item"
DAILY_JOB = "mail.daily"
WEEKLY_JOB = "mail.weekly"
DIGEST_JOB = "mail.digest"
WATERMARK = "mailing.items_watermark"
SCAN_EVERY = timedelta(minutes=1)
GRACE = timedelta(seconds=5)  # an item written just before a scan may be committed just after it
HOUR = 7  # UTC, when digests go out
PERIODS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}
CHAINS = {"daily": DAILY_JOB, "weekly": WEEKLY_JOB}
LONGEST = timedelta(days=31)  # a digest after a long pause covers this much at most
MAX_DIGEST_ITEMS = 50


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        found = datetime.fromisoformat(value)
    except ValueError:
        return None
    return found if found.tzinfo is not None else found.replace(tzinfo=timezone.utc)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


# ------------------------------------------------------------------ each item as it is published


async def scan(node: Node, now: datetime | None = None) -> int:
    """Queue the items published since the watermark for the instant subscribers; how many jobs were
    queued. The first scan only sets the watermark (a new list does not mail the node's history)."""
    until = (now or utcnow()) - GRACE
    stored = await site_settings.get(WATERMARK)
    since = _moment(stored.get("at")) if isinstance(stored, dict) else None
    if since is None or since >= until:
        if since is None:
            await site_settings.put(WATERMARK, {"at": until.isoformat()})
        return 0
    queued = 0
    found = await published_between(node, since, until)
    if found:
        subscribers = await Subscriber.filter(status="active", frequency="instant")
        for item in found:
            for subscriber in subscribers:
                if matches(subscriber, item):
                    key = f"{ITEM_JOB} {subscriber.id} {item.kind} {item.id}"
                    payload = {"subscriber": subscriber.id, "kind": item.kind, "item": item.id, "key": key}
                    queued += await jobs.enqueue(ITEM_JOB, payload, dedupe_key=key) is not None
    await site_settings.put(WATERMARK, {"at": until.isoformat()})
    if queued:
        node.wake_worker()
    return queued


def _heading(kind: str) -> str:
    return {"posts": i18n.gettext("New post"), "events": i18n.gettext("New event"),
            "initiatives": i18n.gettext("New initiative"), "opportunities": i18n.gettext("New opportunity"),
            "forum": i18n.gettext("New forum topic")}.get(kind, "")


def _section(kind: str) -> str:
    return {"posts": i18n.gettext("Posts"), "events": i18n.gettext("Events"),
            "initiatives": i18n.gettext("Initiatives"), "opportunities": i18n.gettext("Opportunities"),
            "forum": i18n.gettext("Forum topics")}.get(kind, "")


def item_message(node: Node, subscriber: Subscriber, item: Item) -> Any:
    language = subscriber.language or node.settings.association.language
    i18n.activate(language)
    shown = item.shown(language)
    heading = _heading(item.kind)
    text = messages.render("item.txt", heading=heading, item=shown)
    html = messages.render("item.html", heading=heading, item=shown)
    return messages.compose(node, subscriber, shown.title or heading, text, html)


async def send_item(node: Node, payload: Mapping[str, Any], attempt: int) -> None:
    """One item to one instant subscriber, as they are now (unsubscribed, or changed their choices,
    or the item went away: nothing)."""
    subscriber = await Subscriber.get_or_none(id=payload.get("subscriber"))
    item_id = payload.get("item")
    if subscriber is None or subscriber.status != "active" or subscriber.frequency != "instant" or not isinstance(item_id, int):
        return
    item = await load(node, str(payload.get("kind")), item_id)
    if item is None or not matches(subscriber, item):
        return
    await sending.deliver(node, subscriber, lambda: item_message(node, subscriber, item), payload, attempt)


# ------------------------------------------------------------------ digests


def next_run(frequency: str, now: datetime) -> datetime:
    """The next digest moment after `now`: HOUR UTC each day, or each Monday for the weekly one."""
    now = _aware(now).astimezone(timezone.utc)
    moment = now.replace(hour=HOUR, minute=0, second=0, microsecond=0)
    if frequency == "weekly":
        moment -= timedelta(days=moment.weekday())
        while moment <= now:
            moment += PERIODS["weekly"]
        return moment
    return moment if moment > now else moment + PERIODS["daily"]


def digest_key(subscriber_id: int, frequency: str, end: datetime) -> str:
    return f"{DIGEST_JOB} {subscriber_id} {frequency} {end.date().isoformat()}"


async def run_period(node: Node, frequency: str, end: datetime) -> int:
    """Queue one digest job per active subscriber of `frequency` not yet served up to `end`."""
    queued = 0
    for subscriber in await Subscriber.filter(status="active", frequency=frequency):
        if subscriber.last_digest_at is not None and _aware(subscriber.last_digest_at) >= end:
            continue
        key = digest_key(subscriber.id, frequency, end)
        payload = {"subscriber": subscriber.id, "frequency": frequency, "end": end.isoformat(), "key": key}
        queued += await jobs.enqueue(DIGEST_JOB, payload, dedupe_key=key) is not None
    if queued:
        node.wake_worker()
    return queued


def digest_message(node: Node, subscriber: Subscriber, frequency: str, found: list[Item]) -> Any:
    language = subscriber.language or node.settings.association.language
    i18n.activate(language)
    shown = found[:MAX_DIGEST_ITEMS]
    sections = [{"label": _section(kind), "items": [i.shown(language) for i in shown if i.kind == kind]}
                for kind in KINDS if any(i.kind == kind for i in shown)]
    name = node.settings.association.name
    heading = (i18n.gettext("This week at %(name)s", name=name) if frequency == "weekly"
               else i18n.gettext("Today at %(name)s", name=name))
    context = {"heading": heading, "sections": sections, "more": len(found) - len(shown),
               "base_url": node.settings.base_url.rstrip("/")}
    text = messages.render("digest.txt", **context)
    html = messages.render("digest.html", **context)
    return messages.compose(node, subscriber, heading, text, html)


async def send_digest(node: Node, payload: Mapping[str, Any], attempt: int) -> None:
    """One subscriber's digest up to the period's end: the items since their last one that match
    their choices; nothing sent when nothing is new. The end is recorded once it is sent (or found
    empty), so the job going again sends nothing."""
    subscriber = await Subscriber.get_or_none(id=payload.get("subscriber"))
    frequency, end = str(payload.get("frequency")), _moment(payload.get("end"))
    if subscriber is None or end is None or subscriber.status != "active" or subscriber.frequency != frequency:
        return
    last = _aware(subscriber.last_digest_at) if subscriber.last_digest_at is not None else None
    if last is not None and last >= end:
        return  # sent already
    since = max(last or end - PERIODS.get(frequency, PERIODS["weekly"]), end - LONGEST)
    kinds = [k for k in KINDS if k in (subscriber.kinds if isinstance(subscriber.kinds, list) else [])]
    found = [i for i in await published_between(node, since, end, kinds) if matches(subscriber, i)]
    async def recorded() -> None:
        await Subscriber.filter(id=subscriber.id).update(last_digest_at=end)

    async def undone() -> None:
        await Subscriber.filter(id=subscriber.id).update(last_digest_at=subscriber.last_digest_at)

    if not found:
        await recorded()
        return
    outcome = await sending.deliver(node, subscriber, lambda: digest_message(node, subscriber, frequency, found),
                                    payload, attempt, recorded, undone)
    if outcome == sending.BLOCKED:
        await recorded()  # this period is over for it all the same (taken over: the other run records it)


# ------------------------------------------------------------------ the chains


async def schedule_scan(run_at: datetime) -> None:
    await jobs.enqueue(SCAN_JOB, {}, run_at=run_at, dedupe_key=f"{SCAN_JOB} {int(run_at.timestamp()) // 60}")


async def schedule_digest(frequency: str, end: datetime) -> None:
    await jobs.enqueue(CHAINS[frequency], {"frequency": frequency, "end": end.isoformat()}, run_at=end,
                       dedupe_key=f"{CHAINS[frequency]} {end.date().isoformat()}")


async def ensure_chains(now: datetime | None = None) -> int:
    """The scan and digest chains exist once there is an active subscriber. Returns how many links
    were queued."""
    if not await Subscriber.filter(status="active").exists():
        return 0
    now = now or utcnow()
    running = set(await Job.filter(kind__in=[SCAN_JOB, *CHAINS.values()], status__in=["queued", "running"])
                  .values_list("kind", flat=True))
    queued = 0
    if SCAN_JOB not in running:
        await schedule_scan(now + SCAN_EVERY)
        queued += 1
    for frequency, kind in CHAINS.items():
        if kind not in running:
            await schedule_digest(frequency, next_run(frequency, now))
            queued += 1
    return queued


async def ensure_jobs(node: Node, now: datetime | None = None) -> int:
    """ensure_chains at node start (and wherever a node is at hand)."""
    queued = await ensure_chains(now)
    if queued:
        node.wake_worker()
    return queued


@post_save(Subscriber)
async def _subscriber_saved(sender: type[Subscriber], row: Subscriber, created: bool, using_db: Any,
                            update_fields: Any) -> None:
    """An address became active (confirmed, a member's own choices, an import, the command line):
    the chains start, in the same transaction, without each of those places having to ask."""
    if row.status == "active":
        await ensure_chains()


def job_handlers(node: Node) -> dict[str, jobs.JobHandler]:
    async def scan_job(payload: Mapping[str, Any], attempt: int) -> None:
        """Never retried itself (a retry would start a second chain): the next scan, a minute later,
        starts from the same watermark."""
        try:
            await scan(node)
        except Exception as exc:
            log.warning("mailing scan failed, the next one covers the same items: %s", exc)
        finally:
            await schedule_scan(utcnow() + SCAN_EVERY)

    def chain(frequency: str) -> jobs.JobHandler:
        async def period_job(payload: Mapping[str, Any], attempt: int) -> None:
            end = _moment(payload.get("end")) or utcnow()
            try:
                await run_period(node, frequency, end)
            finally:
                await schedule_digest(frequency, next_run(frequency, max(end, utcnow())))

        return period_job

    return {SCAN_JOB: scan_job, ITEM_JOB: lambda p, a: send_item(node, p, a), DAILY_JOB: chain("daily"),
            WEEKLY_JOB: chain("weekly"), DIGEST_JOB: lambda p, a: send_digest(node, p, a)}
