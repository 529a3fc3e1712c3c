"""Running the worker for the life of a process (`agora serve`, `agora worker`): under this data
directory's lasting name (node/core/worker_identity.py), restarted after a crash."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from tortoise import connections

from node.core import worker_identity
from node.core.db import activate, open_database
from node.core.jobs import Worker
from node.core.outage import Outage, persist
from node.core.runtime import Node
from node.core.settings import Settings

log = logging.getLogger("agora.jobs")


async def supervise(name: str, run: Callable[[], Awaitable[None]], stop: asyncio.Event, restart_delay: float) -> None:
    """`await run()` until `stop` is set. A crash is logged with its traceback and `run` starts again
    after `restart_delay` seconds (a loop that returns before `stop` is set is started again too)."""
    while not stop.is_set():
        try:
            await run()
        except Exception:
            log.exception("%s crashed; starting it again in %.1f s", name, restart_delay)
        else:
            if stop.is_set():
                return
            log.error("%s stopped by itself; starting it again in %.1f s", name, restart_delay)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), restart_delay)


async def run_worker(node: Node, stop: asyncio.Event) -> None:
    """Run the node's worker until `stop` is set, under this data directory's lasting name: the jobs a
    previous run of that name left leased are handed back when it starts."""
    worker: Worker = node.extra["worker"]
    identity = worker_identity.claim(node.settings.data_path)
    worker.name(identity.worker_id)
    log.info("worker %s running", worker.worker_id)
    try:
        await supervise(f"worker {worker.worker_id}: the worker loop", lambda: worker.run_forever(stop), stop,
                        node.settings.worker.restart_delay)
    finally:
        identity.release()


async def _ping(settings: Settings) -> None:
    ctx = await open_database(settings)
    with activate(ctx):
        try:
            await connections.get("default").execute_query("SELECT 1")
        finally:
            await ctx.close_connections()


async def database_answers(settings: Settings, outage: Outage) -> None:
    """Return once the database answers (a worker started before PostgreSQL, or during its restart,
    waits for it instead of exiting); the wait is logged once, its end once."""
    await persist(outage, "starting", lambda: _ping(settings), max_delay=settings.worker.database_retry_max_seconds)
