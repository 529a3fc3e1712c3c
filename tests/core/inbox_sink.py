"""What the worker fault tests share: a remote server with many inboxes that counts every POST it
receives (per inbox), served in-process or on a loopback port, followers pointing at it, and a breaker
of the node's database (PostgreSQL: its backends terminated again and again; SQLite: the file
write-locked by another connection)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import socket
import sqlite3
import threading
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from node.core.models import Actor, Follow
from node.core.settings import Settings
from tests.conftest import PG_URL


class InboxCounter:
    """POST /inbox/{n}: counted when the body has arrived (a delivery the node may not have seen
    answered yet still counts), answered 202 after `delay` seconds."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.counts: Counter[str] = Counter()
        self.received = 0
        self.on_received: Callable[[int], None] | None = None  # called with the count, at each arrival
        self._waiters: list[tuple[int, asyncio.Event]] = []
        self.app = Starlette(routes=[Route("/inbox/{n}", self.inbox, methods=["POST"])])

    async def inbox(self, request: Request) -> Response:
        await request.body()
        self.counts[request.url.path] += 1
        self.received += 1
        if self.on_received is not None:
            self.on_received(self.received)
        for total, event in self._waiters:
            if self.received >= total:
                event.set()
        if self.delay:
            await asyncio.sleep(self.delay)
        return Response(status_code=202)

    def when_received(self, total: int) -> asyncio.Event:
        """An event set once `total` POSTs (duplicates included) have arrived."""
        event = asyncio.Event()
        if self.received >= total:
            event.set()
        self._waiters.append((total, event))
        return event

    @property
    def inboxes(self) -> int:
        """How many different inboxes got at least one POST."""
        return len(self.counts)

    @property
    def twice(self) -> int:
        """How many inboxes got more than one POST."""
        return sum(1 for n in self.counts.values() if n > 1)

    async def wait_inboxes(self, count: int, timeout: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.inboxes < count:
            assert loop.time() < deadline, f"only {self.inboxes} of {count} inboxes got the post in {timeout:.0f} s"
            await asyncio.sleep(0.05)


class _QuietServer(uvicorn.Server):
    """uvicorn inside the test's own loop: signals stay with pytest."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def served(app: Starlette) -> AsyncIterator[int]:
    """Serve `app` on a free loopback port for the duration; yields the port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    server = _QuietServer(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            assert not task.done(), "the inbox server did not start"
            await asyncio.sleep(0.01)
        yield port
    finally:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 10)
        sock.close()


async def add_followers(target: Actor, base: str, count: int) -> list[str]:
    """`count` remote followers of `target`, each with its own inbox `{base}/inbox/{n}` (no shared
    inbox: one delivery each). Returns the inbox paths."""
    now = dt.datetime.now(dt.timezone.utc)
    domain = base.split("://", 1)[1]
    await Actor.bulk_create(
        [Actor(uri=f"{base}/users/f{n}", local=False, kind="Person", username=f"f{n}", domain=domain,
               inbox=f"{base}/inbox/{n}", shared_inbox=None, fetched_at=now) for n in range(count)],
        batch_size=500,
    )
    ids = await Actor.filter(domain=domain, local=False).values_list("id", flat=True)
    await Follow.bulk_create(
        [Follow(uri=f"{base}/follows/{i}", follower_id=i, target_id=target.id, state="accepted") for i in ids],
        batch_size=500,
    )
    assert len(ids) == count
    return [f"/inbox/{n}" for n in range(count)]


class Breaker:
    """Breaks the node's database until stopped; counts the times it did."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.rounds = 0
        self.terminated = 0
        self.stopped = threading.Event()

    async def run(self) -> None:
        if PG_URL:
            await self._terminate_backends()
        else:
            await asyncio.to_thread(self._lock_file)

    async def _terminate_backends(self) -> None:
        name = urlsplit(self.settings.resolved_database_url).path.lstrip("/")
        admin = await asyncpg.connect(PG_URL.replace("postgres://", "postgresql://", 1))
        try:
            while not self.stopped.is_set():
                self.terminated += await admin.fetchval(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = $1 AND pid <> pg_backend_pid()", name)
                self.rounds += 1
                await asyncio.sleep(0.15)
        finally:
            await admin.close()

    def _lock_file(self) -> None:
        path = Path(self.settings.data_dir) / "agora.sqlite3"
        while not self.stopped.is_set():
            conn = sqlite3.connect(path, timeout=30, isolation_level=None)
            try:
                conn.execute("BEGIN EXCLUSIVE")  # every writer now fails after its 50 ms
                self.rounds += 1
                self.stopped.wait(0.4)
                conn.execute("COMMIT")
            finally:
                conn.close()
            self.stopped.wait(0.1)
