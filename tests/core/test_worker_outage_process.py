"""A real worker process through a database that keeps breaking mid fan-out, with no restart of Agora:
on PostgreSQL a stand-alone `agora worker` while every backend of its database is terminated again
and again; on SQLite `agora serve` (its worker runs inside) while another connection holds the file's
write lock for longer than the node waits. Every inbox gets the post, once, and the process is still
running at the end (and stops cleanly when asked)."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from urllib.parse import urlsplit

from node.core.settings import load_settings
from tests.conftest import PG_URL, migrated_database
from tests.core.agora_process import (
    deliveries, free_port, prepare, start_agora, stop, wait_for, wait_for_log, wait_settled, write_config,
)
from tests.core.inbox_sink import Breaker, InboxCounter, served

INBOXES = 200


async def test_a_worker_process_delivers_every_inbox_while_the_database_keeps_breaking(tmp_path: Path) -> None:
    sink = InboxCounter(delay=0.02)  # a remote that takes 20 ms: the fan-out lasts a few seconds
    data = tmp_path / "node"
    data.mkdir()
    log = tmp_path / "agora.log"
    port = free_port()
    url = await migrated_database(data)
    if PG_URL:  # the web part is not started: a stand-alone worker does the work
        command: tuple[str, ...] = ("worker",)
        config = write_config(data, port, url, "in_process = false", "database_retry_max_seconds = 0.5")
    else:  # waits 50 ms for a lock instead of 5 s
        command = ("serve", "--port", str(port))
        url = f"sqlite://{data}/agora.sqlite3?busy_timeout=50&journal_mode=WAL&synchronous=NORMAL"
        config = write_config(data, port, url, "database_retry_max_seconds = 0.5")
    settings = load_settings(config, env={})
    async with served(sink.app) as sink_port:
        await prepare(settings, f"http://127.0.0.1:{sink_port}", INBOXES)
        breaker = Breaker(settings)
        breaking = asyncio.create_task(breaker.run())
        proc = start_agora(config, log, *command)
        try:
            await wait_for(sink.when_received(INBOXES), proc, log, timeout=120)
            assert proc.poll() is None, log.read_text()[-3000:]
        finally:
            breaker.stopped.set()
            await breaking
        try:
            await wait_settled(settings)
            assert proc.poll() is None, log.read_text()[-3000:]  # it never exited
        finally:
            status = stop(proc)
    text = log.read_text()
    print(f"\n`agora {command[0]}`: {sink.inboxes} of {INBOXES} inboxes delivered through {breaker.rounds} "
          f"database breaks ({text.count('database unavailable')} outages logged)")
    assert breaker.rounds >= 3 and (breaker.terminated > 0 or not PG_URL)
    assert sink.inboxes == INBOXES and sink.twice == 0
    assert await deliveries(settings, "done") == INBOXES
    assert "database unavailable" in text and "database answers again" in text  # the faults reached it
    assert text.count("database unavailable") == text.count("database answers again")
    assert "Traceback" not in text  # a database outage is no crash
    assert status in ((0,) if PG_URL else (0, -signal.SIGTERM))  # uvicorn exits by the signal it stopped for


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def _forward(target: tuple[str, int], reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    upstream_reader, upstream_writer = await asyncio.open_connection(*target)
    await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))


async def test_agora_worker_waits_for_a_database_that_is_not_there_yet(tmp_path: Path) -> None:
    """PostgreSQL lane: `agora worker` started while nothing answers on the database's address (a
    loopback relay to the real database, opened once it has logged the outage) waits, then works. SQLite lane: a stand-alone
    worker is refused with one line, since `agora serve` runs the worker on SQLite."""
    data = tmp_path / "node"
    data.mkdir()
    log = tmp_path / "agora.log"
    url = await migrated_database(data)
    if not PG_URL:
        proc = start_agora(write_config(data, free_port(), url), log, "worker")
        assert proc.wait(60) == 2
        assert "stand-alone workers need PostgreSQL" in log.read_text()
        return
    assert url is not None
    real = urlsplit(url)
    relay_port = free_port()
    relayed = real._replace(netloc=f"{real.username}@127.0.0.1:{relay_port}").geturl()
    sink = InboxCounter()
    async with served(sink.app) as sink_port:
        await prepare(load_settings(write_config(data, free_port(), url), env={}), f"http://127.0.0.1:{sink_port}", 20)
        config = write_config(data, free_port(), relayed, "in_process = false", "database_retry_max_seconds = 0.5")
        proc = start_agora(config, log, "worker")
        try:
            await wait_for_log("database unavailable while starting", proc, log)
            await asyncio.sleep(1.5)  # several retries of 0.5 s at most
            assert proc.poll() is None, log.read_text()  # no database, and still waiting
            relay = await asyncio.start_server(
                lambda r, w: _forward((real.hostname or "127.0.0.1", real.port or 5432), r, w), "127.0.0.1", relay_port)
            try:
                await wait_for(sink.when_received(20), proc, log, timeout=60)
                await wait_settled(load_settings(config, env={}))
            finally:  # in a thread: the relay runs in this event loop and carries the worker's goodbye to the database
                status = await asyncio.to_thread(stop, proc)
                relay.close()
        finally:
            stop(proc)
    assert sink.inboxes == 20 and status == 0
    assert "database answers again" in log.read_text()
