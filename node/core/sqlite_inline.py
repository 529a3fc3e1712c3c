"""Tortoise's SQLite client with its statements run on the event loop's own thread.

Tortoise talks to SQLite through aiosqlite, which runs every statement on a thread of its own and
hands the result back to the loop: about 0.05 ms of CPU per statement in queues, wake-ups and the
GIL, where the indexed reads and single-row writes of a node take SQLite 0.01-0.02 ms. An inbox job
makes about ten statements, so the hops were a third of its cost (BENCHMARKS.md). Statements here
run where they are awaited; Tortoise's client, its lock (one statement or transaction at a time) and
its transactions stay as they are: only the connection object under them changes.

What a thread gave for free is kept by hand:
- waiting for another process's write lock (`agora worker`, a CLI command) never blocks the loop: the
  connection's own busy timeout is 0, and a statement answered SQLITE_BUSY is tried again after an
  asynchronous sleep (1 ms, doubling to 100 ms) until the configured `busy_timeout` has passed. Only
  the plain SQLITE_BUSY is retried, where the statement did nothing; SQLITE_BUSY_SNAPSHOT (a read
  transaction that can no longer write) is raised at once, as SQLite's own busy handler does;
- a script (the schema at start-up, migrations) runs with the busy timeout as SQLite applies it, since
  a script cannot be retried from its middle.
The price: a statement that runs long (a search over thousands of posts) holds the loop meanwhile,
where before it held only the database, which every other request waited for anyway."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, cast

from tortoise.backends.sqlite.client import SqliteClient

T = TypeVar("T")
FIRST_WAIT = 0.001
LONGEST_WAIT = 0.1


class InlineCursor:
    """What Tortoise does with a cursor aiosqlite returns: close it."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self.cursor = cursor

    async def close(self) -> None:
        self.cursor.close()


class InlineConnection:
    """The part of aiosqlite.Connection that Tortoise's SQLite client uses, on the caller's thread."""

    def __init__(self, conn: sqlite3.Connection, busy_seconds: float) -> None:
        self._conn = conn
        self.busy_seconds = busy_seconds

    async def _run(self, call: Callable[[], T]) -> T:
        waited, wait = 0.0, FIRST_WAIT
        while True:
            try:
                return call()
            except sqlite3.OperationalError as exc:
                if getattr(exc, "sqlite_errorcode", None) != sqlite3.SQLITE_BUSY or waited >= self.busy_seconds:
                    raise
            await asyncio.sleep(wait)
            waited += wait
            wait = min(wait * 2, LONGEST_WAIT)

    @property
    def total_changes(self) -> int:
        return self._conn.total_changes

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> InlineCursor:
        return InlineCursor(await self._run(lambda: self._conn.execute(sql, list(parameters or ()))))

    async def execute_fetchall(self, sql: str, parameters: Iterable[Any] | None = None) -> list[Any]:
        return await self._run(lambda: self._conn.execute(sql, list(parameters or ())).fetchall())

    async def execute_insert(self, sql: str, parameters: Iterable[Any] | None = None) -> Any:
        def insert() -> Any:
            cursor = self._conn.execute(sql, list(parameters or ()))
            return cursor.execute("SELECT last_insert_rowid()").fetchone()

        return await self._run(insert)

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> InlineCursor:
        rows = [list(row) for row in parameters]
        return InlineCursor(await self._run(lambda: self._conn.executemany(sql, rows)))

    async def executescript(self, script: str) -> InlineCursor:
        self._conn.execute(f"PRAGMA busy_timeout={int(self.busy_seconds * 1000)}")
        try:
            return InlineCursor(self._conn.executescript(script))
        finally:
            self._conn.execute("PRAGMA busy_timeout=0")

    async def commit(self) -> None:
        await self._run(self._conn.commit)

    async def rollback(self) -> None:
        await self._run(self._conn.rollback)

    async def close(self) -> None:
        self._conn.close()


class InlineSqliteClient(SqliteClient):
    """SqliteClient over an InlineConnection. The `busy_timeout` pragma (milliseconds, of the database
    URL: node/core/db.py sets 5000) becomes the retry budget of a statement that finds the database
    locked."""

    async def create_connection(self, with_db: bool) -> None:
        if self._connection:
            return
        busy_seconds = float(self.pragmas.get("busy_timeout", 5000)) / 1000
        conn = sqlite3.connect(self.filename, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA busy_timeout=0")
        connection = InlineConnection(conn, busy_seconds)
        self._connection = cast(Any, connection)
        for pragma, value in self.pragmas.items():
            if pragma != "busy_timeout":
                cursor = await connection.execute(f"PRAGMA {pragma}={value}")
                await cursor.close()
        await self._post_connect()


client_class = InlineSqliteClient
