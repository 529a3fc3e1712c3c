"""Workers' heartbeats, in the database so that every process (`agora serve`, each `agora worker`)
reports: one SiteSetting row per worker name, `worker.heartbeat:<name>`, holding the time it was
last alive. /healthz and the admin console read the newest."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tortoise.exceptions import IntegrityError

from node.core.models import SiteSetting

PREFIX = "worker.heartbeat:"
FORGOTTEN_AFTER = timedelta(days=7)  # the rows of workers gone for longer are removed
KEY_LENGTH = 64  # site_settings.key


def key_of(worker_id: str) -> str:
    return (PREFIX + worker_id)[:KEY_LENGTH]


def _moment(value: object) -> datetime | None:
    text = value.get("at") if isinstance(value, dict) else None
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


async def beat(worker_id: str, now: datetime) -> None:
    """Record that this worker is alive at `now`."""
    key, value = key_of(worker_id), {"at": now.isoformat()}
    if await SiteSetting.filter(key=key).update(value=value):
        return
    try:
        await SiteSetting.create(key=key, value=value)
    except IntegrityError:  # created meanwhile by the same name's previous run, still shutting down
        await SiteSetting.filter(key=key).update(value=value)


async def forget_old(now: datetime) -> None:
    """Remove the heartbeats of workers not seen for a week."""
    rows = await SiteSetting.filter(key__startswith=PREFIX).values_list("key", "value")
    old = [key for key, value in rows if (_moment(value) or now - 2 * FORGOTTEN_AFTER) < now - FORGOTTEN_AFTER]
    if old:
        await SiteSetting.filter(key__in=old).delete()


async def latest() -> datetime | None:
    """The newest heartbeat of any worker (None: no worker ever ran)."""
    values = await SiteSetting.filter(key__startswith=PREFIX).values_list("value", flat=True)
    moments = [m for m in (_moment(v) for v in values) if m is not None]
    return max(moments, default=None)
