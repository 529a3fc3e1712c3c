"""A node killed with SIGKILL in the middle of a fan-out (a real `agora serve` process, on SQLite or
PostgreSQL) and started again on the same data: it hands its previous run's leases back at once (the
lease here is an hour, so waiting them out would fail the test) and delivers the rest. Only the
deliveries under way at the kill can be sent twice (at most the worker's concurrency, 8: their answer
was never read), since every finished delivery is marked done at once: fewer than 1 % of the inboxes
of a 1,000-follower fan-out, whatever the machine's load (with 300 followers the same at most 8 would
be up to 2.7 %)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from node.app import start_node, stop_node
from node.cli.server import bootstrap
from node.core.db import activate, open_database
from node.core.models import Job
from node.core.settings import Settings, load_settings
from node.posts.content import Draft, create_post
from node.web.pages import association_actor
from tests.conftest import migrated_database
from tests.core.inbox_sink import InboxCounter, add_followers, served

INBOXES = 1000
KILL_AFTER = 300  # POSTs received when the node is killed
CONCURRENCY = 8  # the default of [worker] concurrency


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(data: Path, port: int, database_url: str | None) -> Path:
    lines = [
        f'base_url = "http://127.0.0.1:{port}"',
        f"data_dir = {json.dumps(str(data))}",
        'secret_key = "crash-test-secret"',
        "allow_private_addresses = true",
        'log_level = "warning"',
        *([f"database_url = {json.dumps(database_url)}"] if database_url else []),
        "[association]",
        'handle = "asso"',
        'name = "Crash test association"',
        "[worker]",
        "lease_seconds = 3600",
    ]
    config = data / "agora.toml"
    config.write_text("\n".join(lines) + "\n")
    return config


def child_env(config: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGORA_")}
    env.update(AGORA_CONFIG=str(config), PYTHONUNBUFFERED="1")
    return env


def start_serve(config: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    agora = Path(sys.executable).with_name("agora")
    with log.open("ab") as out:
        return subprocess.Popen(
            [str(agora), "serve", "--port", str(port)], stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, env=child_env(config), start_new_session=True,
        )


async def prepare(settings: Settings, sink_base: str) -> None:
    """The association, its followers (one inbox each, on the sink) and one post waiting to go out."""
    node = await start_node(settings)
    try:
        with activate(node.ctx):
            await bootstrap(node, None, "")
            asso = await association_actor(node)
            assert asso is not None
            await add_followers(asso, sink_base, INBOXES)
            await create_post(node, asso, Draft(text="Assemblée générale samedi à 14 h"))
    finally:
        await stop_node(node)


async def wait_for(event: asyncio.Event, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not event.is_set():
        assert proc.poll() is None, f"agora serve exited ({proc.returncode}):\n{log.read_text()[-3000:]}"
        assert loop.time() < deadline, f"nothing delivered after {timeout:.0f} s:\n{log.read_text()[-3000:]}"
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), 0.2)


async def deliveries_left(settings: Settings) -> int:
    ctx = await open_database(settings)
    with activate(ctx):
        try:
            return await Job.filter(kind="deliver", status__in=("queued", "running")).count()
        finally:
            await ctx.close_connections()


async def deliveries_done(settings: Settings) -> int:
    ctx = await open_database(settings)
    with activate(ctx):
        try:
            return await Job.filter(kind="deliver", status="done").count()
        finally:
            await ctx.close_connections()


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


async def test_a_node_killed_mid_fanout_delivers_the_rest_at_restart_with_few_duplicates(tmp_path: Path) -> None:
    sink = InboxCounter()
    data = tmp_path / "node"
    data.mkdir()
    log = tmp_path / "serve.log"
    async with served(sink.app) as sink_port:
        port = free_port()
        config = write_config(data, port, await migrated_database(data))
        settings = load_settings(config, env={})
        await prepare(settings, f"http://127.0.0.1:{sink_port}")
        first = start_serve(config, port, log)

        def kill(received: int) -> None:  # at the arrival of the KILL_AFTER-th POST, before answering it
            if received == KILL_AFTER:
                first.send_signal(signal.SIGKILL)

        sink.on_received = kill
        try:
            await wait_for(sink.when_received(KILL_AFTER), first, log, timeout=60)
        finally:
            sink.on_received = None
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        at_kill = sink.received
        assert at_kill < INBOXES, "the fan-out ended before the kill: nothing was tested"
        done_at_kill = await deliveries_done(settings)
        second = start_serve(config, port, log)
        try:
            await wait_for(sink.when_received(INBOXES), second, log, timeout=60)
            await sink.wait_inboxes(INBOXES, timeout=60)  # not after the hour-long lease
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 60
            while await deliveries_left(settings):
                assert loop.time() < deadline, "deliveries still queued or running"
                await asyncio.sleep(0.1)
        finally:
            stop(second)
    rate = sink.twice / INBOXES
    print(f"\nkilled when {at_kill} POSTs had arrived ({done_at_kill} marked done); restarted: {sink.inboxes} "
          f"of {INBOXES} inboxes got the post, {sink.twice} twice ({rate:.1%})")
    assert sink.inboxes == INBOXES
    assert sink.twice == at_kill - done_at_kill  # exactly the deliveries whose end was not yet recorded
    assert sink.twice <= CONCURRENCY  # ... which were under way: no finished one waited for a batch
    assert rate < 0.01, f"{sink.twice} inboxes got the post twice"
    assert "handed back" in log.read_text()  # the restarted node said what it did
