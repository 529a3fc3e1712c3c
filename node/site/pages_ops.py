"""Admin console: the node's settings (the config read-only with secrets hidden, and the runtime
settings stored in SiteSetting), delivery health per remote host with "retry now", and the job queue."""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from tortoise.functions import Count

from federation import delivery as policy
from federation import vocab
from node.core import audit, health, i18n, site_settings
from node.social.delivery import DELIVER, forget_health
from node.core.models import Host, Job
from node.core.settings import Settings
from node.web.admin_access import admin_form, done, int_field, page, staff
from node.web.forms import text_field
from node.web.pages import node_of

ERROR_LIMIT = 300
DEAD_SHOWN = 50
RUNNING_SHOWN = 100
DELIVERY_SCAN = 200_000  # queued/dead deliveries read to count them per host
SECRET_WORDS = ("secret", "password", "private", "token")


# ------------------------------------------------------------------ shared


SCRUB = (
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|$)", re.S), "[private key]"),
    (re.compile(r"(?i)\b(authorization|signature|cookie)\s*[:=]\s*[^\n]+"), r"\1: [hidden]"),
    (re.compile(r"(?i)\b(password|passwd|secret|token|api_key|apikey|key)\s*([=:])\s*[^\s&,;'\"]+"), r"\1\2[hidden]"),
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@"), r"\1[hidden]@"),
)


def scrub(text: str | None, limit: int = ERROR_LIMIT) -> str:
    """An error message fit to show: secrets (keys, passwords, tokens, credentials in URLs) hidden,
    shortened."""
    if not text:
        return ""
    for pattern, replacement in SCRUB:
        text = pattern.sub(replacement, text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


# ------------------------------------------------------------------ settings


def _is_secret(name: str) -> bool:
    return any(word in name.lower() for word in SECRET_WORDS)


def _shown(name: str, value: Any) -> str:
    if _is_secret(name):
        return i18n.lazy("set (hidden)") if value else i18n.lazy("not set")
    if name == "database_url" and isinstance(value, str):
        parts = urlsplit(value)
        if parts.password:
            host = parts.hostname or ""
            port = f":{parts.port}" if parts.port else ""
            value = parts._replace(netloc=f"{parts.username or ''}:[hidden]@{host}{port}").geturl()
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value) or "—"
    if isinstance(value, bool):
        return i18n.lazy("yes") if value else i18n.lazy("no")
    return str(value) if value not in ("", None) else "—"


def config_sections(settings: Settings) -> list[tuple[str, list[tuple[str, str]]]]:
    """[(section, [(setting, value as shown)])]: the top level first, then each table."""
    top: list[tuple[str, str]] = []
    tables: list[tuple[str, list[tuple[str, str]]]] = []
    for field in dataclasses.fields(settings):
        value = getattr(settings, field.name)
        if dataclasses.is_dataclass(value):
            rows = [(f.name, _shown(f.name, getattr(value, f.name))) for f in dataclasses.fields(value)]
            tables.append((field.name, rows))
        else:
            top.append((field.name, _shown(field.name, value)))
    return [("", top), *tables]


async def _flag_rows(request: Request) -> list[dict[str, Any]]:
    node = node_of(request)
    rows = []
    for flag in site_settings.FLAGS:
        stored = await site_settings.get(flag.key)
        rows.append({"flag": flag, "value": await site_settings.flag(node, flag.key),
                     "default": flag.default(node.settings), "overridden": isinstance(stored, bool)})
    return rows


async def settings_page(request: Request) -> Response:
    if request.method == "GET":
        user = await staff(request)
        node = node_of(request)
        return await page(request, "admin/settings.html", sections=config_sections(node.settings),
                          flags=await _flag_rows(request), config_path=node.settings.config_path)
    checked = await admin_form(request)
    admin, form = checked
    node = node_of(request)
    changes: dict[str, bool] = {}
    for flag in site_settings.FLAGS:
        wanted = text_field(form, flag.key) == "1"
        if await site_settings.flag(node, flag.key) != wanted or not isinstance(await site_settings.get(flag.key), bool):
            await site_settings.put(flag.key, wanted)
            changes[flag.key] = wanted
    if changes:
        await audit.record(admin, "settings.update", "site", changes=changes)
    if changes:
        return done(request, "/admin/settings", "Settings saved.")
    return done(request, "/admin/settings", "Nothing changed.")


# ------------------------------------------------------------------ delivery health


@dataclass
class HostView:
    domain: str
    host: Host | None
    state: str  # parked | failing | ok
    queued: int
    dead: int
    running: int
    error: str


def _inbox_of(key: str | None, payload: Any) -> str:
    if key and key.startswith(f"{DELIVER} "):
        return key.rsplit(" ", 1)[-1]
    inbox = payload.get("inbox") if isinstance(payload, dict) else None
    return inbox if isinstance(inbox, str) else ""


async def delivery_counts() -> dict[str, Counter[str]]:
    """Queued, running and dead deliveries per host (read from the dedupe keys, which name the inbox)."""
    counts: dict[str, Counter[str]] = {}
    rows = await (Job.filter(kind=DELIVER, status__in=("queued", "running", "dead"))
                  .limit(DELIVERY_SCAN).values_list("status", "dedupe_key"))
    keyless = False
    for status, key in rows:
        if key is None:
            keyless = True
            continue
        counts.setdefault(vocab.host_of(_inbox_of(key, None)), Counter())[status] += 1
    if keyless:
        for status, payload in await (Job.filter(kind=DELIVER, status__in=("queued", "running", "dead"),
                                                 dedupe_key__isnull=True).limit(DELIVERY_SCAN)
                                      .values_list("status", "payload")):
            counts.setdefault(vocab.host_of(_inbox_of(None, payload)), Counter())[status] += 1
    counts.pop("", None)
    return counts


def host_state(host: Host | None, now: float) -> str:
    if host is None or not host.failures:
        return "ok"
    health = policy.HostHealth(
        failures=host.failures,
        first_failure_at=host.first_failure_at.timestamp() if host.first_failure_at else None,
        next_probe_at=host.next_probe_at.timestamp() if host.next_probe_at else None,
    )
    return "parked" if health.is_dead(now) else "failing"


async def delivery_page(request: Request) -> Response:
    if request.method == "POST":
        return await retry_host(request)
    user = await staff(request)
    counts = await delivery_counts()
    hosts = {h.domain: h for h in await Host.filter(failures__gt=0)}
    for host in await Host.filter(domain__in=[d for d in counts if d not in hosts]):
        hosts[host.domain] = host
    now = utcnow().timestamp()
    views = []
    for domain in set(counts) | set(hosts):
        known = hosts.get(domain)
        count = counts.get(domain, Counter())
        views.append(HostView(domain, known, host_state(known, now), count["queued"], count["dead"], count["running"],
                              scrub(known.last_error if known else None)))
    order = {"parked": 0, "failing": 1, "ok": 2}
    views.sort(key=lambda v: (order[v.state], -(v.host.failures if v.host else 0), -v.dead, -v.queued, v.domain))
    return await page(
        request, "admin/delivery.html", hosts=views, known=await Host.all().count(),
        health=await health.check(node_of(request).settings.worker.stale_after_seconds),
        dead_after=policy.DEAD_AFTER_FAILURES, dead_hours=int(policy.DEAD_AFTER_SECONDS // 3600),
    )


async def _host_jobs(domain: str) -> list[int]:
    """Ids of the queued and dead deliveries to one host (not those running right now)."""
    waiting = ("queued", "dead")
    ids = [job_id for job_id, key in await Job.filter(
        kind=DELIVER, status__in=waiting, dedupe_key__contains=f"://{domain}/").values_list("id", "dedupe_key")
        if vocab.host_of(_inbox_of(key, None)) == domain]
    ids += [job_id for job_id, payload in await Job.filter(
        kind=DELIVER, status__in=waiting, dedupe_key__isnull=True).values_list("id", "payload")
        if vocab.host_of(_inbox_of(None, payload)) == domain]
    return ids


async def retry_host(request: Request) -> Response:
    """Forget a host's failures and run its queued and dead deliveries now."""
    checked = await admin_form(request)
    admin, form = checked
    node = node_of(request)
    domain = text_field(form, "host").lower()[:255]
    host = await Host.get_or_none(domain=domain) if domain else None
    ids = await _host_jobs(domain) if domain else []
    if host is None and not ids:
        return done(request, "/admin/delivery", "Nothing to retry for this host.")
    await Host.filter(domain=domain).update(failures=0, first_failure_at=None, next_probe_at=None)
    forget_health(node, domain)
    requeued = 0
    if ids:
        requeued = await Job.filter(id__in=ids, status__in=("queued", "dead")).update(
            status="queued", run_at=utcnow(), attempts=0, locked_by=None, locked_until=None, finished_at=None)
    node.wake_worker()
    await audit.record(admin, "delivery.retry", domain, requeued=requeued)
    return done(request, "/admin/delivery", "%(host)s: %(num)s deliveries will be tried now.",
                host=domain, num=requeued)


# ------------------------------------------------------------------ the job queue


async def jobs_page(request: Request) -> Response:
    if request.method == "POST":
        return await job_action(request)
    user = await staff(request)
    now = utcnow()
    grouped = await Job.annotate(n=Count("id")).group_by("kind", "status").values("kind", "status", "n")
    kinds: dict[str, dict[str, int]] = {}
    for row in grouped:
        kinds.setdefault(row["kind"], {})[row["status"]] = row["n"]
    oldest = await Job.filter(status="queued").order_by("created_at", "id").first()
    due = await Job.filter(status="queued", run_at__lte=now).order_by("run_at", "id").first()
    running = await Job.filter(status="running").order_by("locked_until", "id").limit(RUNNING_SHOWN)
    dead = await Job.filter(status="dead").order_by("-finished_at", "-id").limit(DEAD_SHOWN)
    return await page(
        request, "admin/jobs.html", kinds=sorted(kinds.items()), statuses=("queued", "running", "done", "dead"),
        oldest=_age(now, oldest.created_at if oldest else None), due=_age(now, due.run_at if due else None),
        running=running, dead=[(job, scrub(job.last_error)) for job in dead], now=now,
    )


def _age(now: datetime, moment: datetime | None) -> int | None:
    """Seconds since `moment` (None when there is none)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return max(0, int((now - moment).total_seconds()))


async def job_action(request: Request) -> Response:
    checked = await admin_form(request)
    admin, form = checked
    node = node_of(request)
    job_id = int_field(form, "job")
    action = text_field(form, "action")
    job = await Job.get_or_none(id=job_id, status="dead") if job_id is not None else None
    if job is None or action not in ("retry", "discard"):
        return done(request, "/admin/jobs", "This job is not dead any more.")
    if action == "retry":
        await Job.filter(id=job.id, status="dead").update(
            status="queued", run_at=utcnow(), attempts=0, locked_by=None, locked_until=None, finished_at=None)
        node.wake_worker()
    else:
        await Job.filter(id=job.id, status="dead").delete()
    await audit.record(admin, f"job.{action}", str(job.id), kind=job.kind)
    if action == "retry":
        return done(request, "/admin/jobs", "Job %(id)s will run again now.", id=job.id)
    return done(request, "/admin/jobs", "Job %(id)s is discarded.", id=job.id)


def routes() -> list[BaseRoute]:
    return [
        Route("/admin/settings", settings_page, methods=["GET", "POST"]),
        Route("/admin/delivery", delivery_page, methods=["GET", "POST"]),
        Route("/admin/jobs", jobs_page, methods=["GET", "POST"]),
    ]
