"""SQLite's statements run on the event loop's thread (node/core/sqlite_inline.py), and waiting for
another process's write lock still never blocks the loop: the statement is tried again after
asynchronous sleeps until `busy_timeout` has passed, then fails; a snapshot that can no longer write
fails at once. The other connection here is a plain sqlite3 one, as another process's would be."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.context import TortoiseContext
from tortoise.exceptions import OperationalError
from tortoise.transactions import in_transaction

from node.core import db
from node.core.sqlite_inline import InlineSqliteClient


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[BaseDBAsyncClient]:
    ctx = TortoiseContext()
    url = f"sqlite://{tmp_path / 'inline.sqlite3'}?busy_timeout=600&journal_mode=WAL"
    config = {"connections": {"default": db.connection_config(url)},
              "apps": {"models": {"models": ["node.core.models"], "default_connection": "default"}}}
    with db.activate(ctx):
        await ctx.init(config=config)
        conn = ctx.connections.get("default")
        await conn.execute_script("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        yield conn
        await ctx.close_connections()


def other_process(client: BaseDBAsyncClient) -> sqlite3.Connection:
    return sqlite3.connect(client.filename, isolation_level=None, timeout=0)  # type: ignore[attr-defined]


async def test_sqlite_goes_through_the_inline_client(client: BaseDBAsyncClient) -> None:
    assert isinstance(client, InlineSqliteClient)
    await client.execute_insert("INSERT INTO notes (body) VALUES (?)", ["salam"])
    assert await client.execute_query_dict("SELECT body FROM notes") == [{"body": "salam"}]
    assert db.connection_config("postgres://u@127.0.0.1/agora") == "postgres://u@127.0.0.1/agora"


async def test_a_locked_database_is_waited_for_without_blocking_the_loop(client: BaseDBAsyncClient) -> None:
    other = other_process(client)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO notes (body) VALUES ('first')")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    beat = asyncio.create_task(ticker())
    asyncio.get_running_loop().call_later(0.25, other.commit)
    started = time.monotonic()
    await client.execute_insert("INSERT INTO notes (body) VALUES (?)", ["second"])
    waited = time.monotonic() - started
    beat.cancel()
    assert waited >= 0.2  # it did wait for the lock...
    assert ticks >= 10  # ...while the loop kept running other tasks
    assert [r["body"] for r in await client.execute_query_dict("SELECT body FROM notes ORDER BY id")] == ["first", "second"]
    other.close()


async def test_a_lock_held_past_busy_timeout_fails_and_changes_nothing(client: BaseDBAsyncClient) -> None:
    other = other_process(client)
    other.execute("BEGIN IMMEDIATE")
    started = time.monotonic()
    with pytest.raises(OperationalError, match="locked"):
        await client.execute_insert("INSERT INTO notes (body) VALUES (?)", ["late"])
    assert 0.5 <= time.monotonic() - started < 3.0  # busy_timeout=600 ms, then the error
    other.rollback()
    assert await client.execute_query_dict("SELECT body FROM notes") == []
    other.close()


async def test_a_read_snapshot_overtaken_by_another_write_fails_at_once(client: BaseDBAsyncClient) -> None:
    await client.execute_insert("INSERT INTO notes (body) VALUES (?)", ["seen"])
    other = other_process(client)
    with pytest.raises(OperationalError):
        async with in_transaction() as tx:
            await tx.execute_query("SELECT body FROM notes")  # the transaction reads a snapshot
            other.execute("INSERT INTO notes (body) VALUES ('meanwhile')")  # another process writes
            started = time.monotonic()
            try:
                await tx.execute_query("INSERT INTO notes (body) VALUES ('stale')")
            finally:
                assert time.monotonic() - started < 0.1  # SQLITE_BUSY_SNAPSHOT: no retry can help
    bodies = [r["body"] for r in await client.execute_query_dict("SELECT body FROM notes ORDER BY id")]
    assert bodies == ["seen", "meanwhile"]
    other.close()
