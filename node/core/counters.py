"""The store of short-lived counters that every process of a node shares: the rate limits
(node/web/ratelimit.py) and the lock-out of names that are no account (node/accounts/lockout.py).

It is the `limits` package's asynchronous storage: in this process's memory when `[limits] storage_url`
is empty (one `agora serve`), Redis (or Valkey) when it names one, so that several `agora serve`
processes, on one machine or several, count together. Counters expire by themselves (Redis TTLs; the
memory storage drops them when they expire), so the store never grows past what a window holds."""

from __future__ import annotations

import logging
import time

from limits.aio.storage import MemoryStorage, Storage
from limits.errors import StorageError
from limits.storage import storage_from_string

from node.core.settings import LimitSettings

log = logging.getLogger("agora.limits")

__all__ = ["Outage", "StorageError", "open_storage", "storage_uri"]


def storage_uri(limits: LimitSettings) -> str:
    """The `limits` storage URI of a `[limits] storage_url` (the asynchronous variant)."""
    url = limits.storage_url.strip()
    if not url:
        return "async+memory://"
    return url if url.startswith("async+") else f"async+{url}"


def open_storage(limits: LimitSettings) -> Storage:
    """A new storage for these settings. Redis errors are raised as `limits.errors.StorageError`."""
    uri = storage_uri(limits)
    if uri.startswith("async+memory"):
        return MemoryStorage()
    options: dict[str, float | str | bool] = {"wrap_exceptions": True, "key_prefix": limits.key_prefix}
    if uri.startswith(("async+redis", "async+rediss")):
        options["implementation"] = "redispy"  # redis-py's asyncio client (limits[redis]), not coredis
    storage = storage_from_string(uri, **options)
    if not isinstance(storage, Storage):  # pragma: no cover - storage_uri always asks for async+
        raise TypeError(f"{uri} is not an asynchronous storage")
    return storage


class Outage:
    """Logs a store that stopped answering once, and its return once (not every request)."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.since: float | None = None

    def failed(self, exc: BaseException) -> None:
        if self.since is None:
            self.since = time.monotonic()
            log.warning("%s: the counter store does not answer (%s); requests are let through meanwhile",
                        self.what, exc)

    def ok(self) -> None:
        if self.since is not None:
            log.warning("%s: the counter store answers again after %.0f s", self.what, time.monotonic() - self.since)
            self.since = None
