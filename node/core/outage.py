"""Database steps that outlive an outage.

A worker's own database steps (claiming, marking done, requeueing, its heartbeat) are tried again
with a growing pause until they work: a restarted PostgreSQL, terminated backends or a SQLite file
locked by another process only delay them. Nothing needs reconnecting by hand: asyncpg's pool opens a
new connection for the next query once one is lost, and SQLite keeps its connection through a lock.
`Outage` logs the loss once and the recovery once, however many steps fail in between."""

from __future__ import annotations

import asyncio
import errno
import logging
import random
import sqlite3
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tortoise.exceptions import DBConnectionError, OperationalError, TransactionManagementError

log = logging.getLogger("agora.jobs")

T = TypeVar("T")

FIRST_DELAY = 0.1
SQLITE_BUSY = ("database is locked", "database table is locked", "database is busy")
CONNECTION_ERRNOS = frozenset({errno.ECONNREFUSED, errno.ECONNRESET, errno.ECONNABORTED, errno.EPIPE,
                               errno.ETIMEDOUT, errno.EHOSTUNREACH, errno.ENETUNREACH})
# asyncpg's exceptions that mean a lost or refused connection, known by name (with their subclasses):
# importing asyncpg costs ~14 MB, which a node on SQLite would pay for nothing.
ASYNCPG_UNAVAILABLE = frozenset({
    "PostgresConnectionError", "InterfaceError",
    "OperatorInterventionError",  # shutdown, restart, cancel
    "TooManyConnectionsError",
    "InternalClientError",  # a connection left mid-protocol by its loss
})


def _asyncpg_unavailable(exc: BaseException) -> bool:
    return any(cls.__module__.split(".", 1)[0] == "asyncpg" and cls.__name__ in ASYNCPG_UNAVAILABLE
               for cls in type(exc).__mro__)


def _one_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, (DBConnectionError, ConnectionError)) or _asyncpg_unavailable(exc):
        return True
    if isinstance(exc, (sqlite3.OperationalError, OperationalError, TransactionManagementError)):
        return any(text in str(exc).lower() for text in SQLITE_BUSY)
    if isinstance(exc, OSError):  # asyncpg's connect: "Connect call failed", "Multiple exceptions"
        return exc.errno in CONNECTION_ERRNOS or "connect call failed" in str(exc).lower()
    return False


def unavailable(exc: BaseException) -> bool:
    """A lost or refused database connection, or a SQLite file locked for longer than the node waits:
    the database, not the job, is at fault, and trying again later will do."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if _one_unavailable(current):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


class Outage:
    """One component's view of the database: the first failed step of an outage is logged (with the
    traceback when it does not look like a connection problem), then its end, once each."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.since: float | None = None
        self.outages = 0  # outages seen since start
        self.failures = 0  # failed steps since start

    @property
    def down(self) -> bool:
        return self.since is not None

    def lost(self, step: str, exc: BaseException) -> None:
        self.failures += 1
        if self.since is not None:
            return
        self.since = time.monotonic()
        self.outages += 1
        detail = f"{type(exc).__name__}: {exc}"
        log.error("%s: database unavailable while %s (%s); trying again until it answers",
                  self.name, step, detail, exc_info=None if unavailable(exc) else exc)

    def back(self) -> None:
        if self.since is None:
            return
        log.warning("%s: database answers again after %.1f s", self.name, time.monotonic() - self.since)
        self.since = None


async def persist(outage: Outage, step: str, fn: Callable[[], Awaitable[T]], *, max_delay: float,
                  give_up: Callable[[], bool] = lambda: False) -> T:
    """`await fn()` until it works, pausing 0.1 s, 0.2 s, ... up to `max_delay` between tries (with
    jitter, so that many workers do not come back at once). When `give_up()` turns true (a stopping
    worker) the last error is raised instead of waiting again."""
    delay = FIRST_DELAY
    while True:
        try:
            result = await fn()
        except Exception as exc:
            outage.lost(step, exc)
            if give_up():
                raise
            await asyncio.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, max_delay)
        else:
            outage.back()
            return result
