"""Real `agora serve` / `agora worker` processes for the worker fault tests: a config on a temporary
data directory, a node prepared with followers and a post waiting to go out, and the helpers that
start, watch and stop the processes (each by its own pid)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from node.app import start_node, stop_node
from node.cli.server import bootstrap
from node.core.db import activate, open_database
from node.core.models import Job
from node.core.settings import Settings
from node.posts.content import Draft, create_post
from node.web.pages import association_actor
from tests.core.inbox_sink import add_followers


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(data: Path, port: int, database_url: str | None, *worker: str) -> Path:
    """agora.toml in `data` for a node on 127.0.0.1:port; `worker`: lines of its [worker] table."""
    lines = [
        f'base_url = "http://127.0.0.1:{port}"',
        f"data_dir = {json.dumps(str(data))}",
        'secret_key = "fault-test-secret"',
        "allow_private_addresses = true",
        'log_level = "warning"',
        *([f"database_url = {json.dumps(database_url)}"] if database_url else []),
        "[association]",
        'handle = "asso"',
        'name = "Fault test association"',
        "[worker]",
        *worker,
    ]
    config = data / "agora.toml"
    config.write_text("\n".join(lines) + "\n")
    return config


def start_agora(config: Path, log: Path, *args: str) -> subprocess.Popen[bytes]:
    """`agora <args>` on this config, its output appended to `log`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGORA_")}
    env.update(AGORA_CONFIG=str(config), PYTHONUNBUFFERED="1")
    agora = Path(sys.executable).with_name("agora")
    with log.open("ab") as out:
        return subprocess.Popen(
            [str(agora), *args], stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
            start_new_session=True,
        )


async def prepare(settings: Settings, sink_base: str, followers: int) -> None:
    """The association, its followers (one inbox each, on the sink) and one post waiting to go out."""
    node = await start_node(settings)
    try:
        with activate(node.ctx):
            await bootstrap(node, None, "")
            asso = await association_actor(node)
            assert asso is not None
            await add_followers(asso, sink_base, followers)
            await create_post(node, asso, Draft(text="Assemblée générale samedi à 14 h"))
    finally:
        await stop_node(node)


async def wait_for(event: asyncio.Event, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    """Wait for `event` while the process lives."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not event.is_set():
        assert proc.poll() is None, f"agora exited ({proc.returncode}):\n{log.read_text()[-3000:]}"
        assert loop.time() < deadline, f"not delivered after {timeout:.0f} s:\n{log.read_text()[-3000:]}"
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), 0.2)


async def wait_for_log(text: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60.0) -> None:
    """Wait until the process's log holds `text`, while the process lives (start-up on a loaded
    machine can take seconds, so no fixed sleep)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while text not in (log.read_text() if log.exists() else ""):
        assert proc.poll() is None, f"agora exited ({proc.returncode}):\n{log.read_text()[-3000:]}"
        assert loop.time() < deadline, f"{text!r} not logged after {timeout:.0f} s:\n{log.read_text()[-3000:]}"
        await asyncio.sleep(0.1)


async def deliveries(settings: Settings, *statuses: str) -> int:
    """Delivery jobs in these statuses, read through a connection of the test's own."""
    ctx = await open_database(settings)
    with activate(ctx):
        try:
            return await Job.filter(kind="deliver", status__in=statuses).count()
        finally:
            await ctx.close_connections()


async def wait_settled(settings: Settings, timeout: float = 60.0) -> None:
    """Wait until no delivery is queued or running."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        with contextlib.suppress(Exception):  # a connection broken by the last fault: ask again
            if not await deliveries(settings, "queued", "running"):
                return
        assert loop.time() < deadline, "deliveries still queued or running"
        await asyncio.sleep(0.1)


def stop(proc: subprocess.Popen[bytes]) -> int:
    """SIGTERM, then SIGKILL if it lingers; returns the exit status."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    return proc.returncode
