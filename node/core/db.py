"""Database set-up: one Tortoise context per node, migrations from node/migrations."""

from __future__ import annotations

import contextlib
import importlib
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.context import TortoiseContext, _current_context
from tortoise.exceptions import OperationalError
from tortoise.migrations.api import migrate as migrate_api
from tortoise.migrations.executor import MigrationExecutor
from tortoise.migrations.recorder import MigrationRecorder
from tortoise.transactions import in_transaction
from tortoise.utils import get_schema_sql

from node.core.settings import Settings

# Every feature's tables belong to the one Tortoise app "models" (the migrations' app label).
MODELS_MODULES = (
    "node.core.models",
    "node.accounts.models",
    "node.events.models",
    "node.initiatives.models",
    "node.policy.models",
    "node.moderation.models",
    "node.forum.models",
    "node.opportunities.models",
    "node.guides.models",
    "node.mailing.models",
    "node.newsletters.models",
    "node.polls.models",
    "node.assembly.models",
)
MIGRATIONS_MODULE = "node.migrations"
SQLITE_ENGINE = "node.core.sqlite_inline"


def database_url(settings: Settings) -> str:
    url = settings.resolved_database_url
    if url.startswith("sqlite://"):
        path = url.removeprefix("sqlite://").split("?", 1)[0]
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        if "?" not in url:
            url += "?busy_timeout=5000&journal_mode=WAL&synchronous=NORMAL"
    return url


def connection_config(url: str) -> str | dict[str, Any]:
    """Tortoise's connection: PostgreSQL by its URL; SQLite through node/core/sqlite_inline.py (the
    statements run on the event loop's thread), with the URL's path and pragmas."""
    if not url.startswith("sqlite://"):
        return url
    return {"engine": SQLITE_ENGINE, "credentials": expand_db_url(url)["credentials"]}


def tortoise_config(settings: Settings) -> dict[str, Any]:
    return {
        "connections": {"default": connection_config(database_url(settings))},
        "apps": {
            "models": {
                "models": list(MODELS_MODULES),
                "default_connection": "default",
                "migrations": MIGRATIONS_MODULE,
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


@contextlib.contextmanager
def activate(ctx: TortoiseContext) -> Iterator[TortoiseContext]:
    """Make `ctx` the current database for this task.

    `with ctx:` keeps its reset token on the shared TortoiseContext, so two tasks entering the same
    context (the worker loop and a request, or two requests) overwrite each other's token and the first
    to leave fails with "created in a different Context". The token here stays local to the caller.
    """
    token = _current_context.set(ctx)
    try:
        yield ctx
    finally:
        _current_context.reset(token)


async def run_migrations(settings: Settings, *, replay: bool = False) -> None:
    """Apply every pending migration (idempotent).

    An empty database is created from the models in one transaction and every migration recorded as
    applied (`create_fresh`): replaying them costs Tortoise seconds of CPU (it rebuilds every model's
    state at each operation: 7 to 12 s for `agora init` on a small machine). `replay` replays them even
    then, as on a database created by an older release (tests/core/test_fresh_schema.py checks that both
    give the same schema). A database that has every migration recorded is left alone without loading
    them: Tortoise would import every migration module and build its model states to find none pending
    (about 3 MB that a server process then keeps, and CPU at every start)."""
    ctx = TortoiseContext()
    with activate(ctx):
        try:
            if not replay:
                await ctx.init(config=tortoise_config(settings))
                client = ctx.connections.get("default")
                if await create_fresh(client) or await all_applied(client):
                    return
            await migrate_api(config=tortoise_config(settings))
        finally:
            await ctx.close_connections()


# What migrations do beyond the models' own schema, run again on a database created from the models:
# (migration module, function taking (apps, schema_editor)).
FRESH_SCHEMA_STEPS = (("0013_assembly", "ballots_without_rowid"),)
_CREATE_LOCK = 0x61676F7261  # "agora": the advisory lock key of create_fresh on PostgreSQL
_STATEMENT_END = re.compile(r";\s*(?:\n|$)")


def migration_names() -> list[str]:
    package = importlib.import_module(MIGRATIONS_MODULE)
    return sorted(m.name for m in pkgutil.iter_modules(package.__path__) if m.name[:4].isdigit())


async def _table_count(client: BaseDBAsyncClient) -> int:
    if client.capabilities.dialect == "sqlite":
        query = "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    else:
        query = "SELECT count(*) AS n FROM pg_tables WHERE schemaname = current_schema()"
    rows = await client.execute_query_dict(query)
    return int(rows[0]["n"])


async def create_fresh(client: BaseDBAsyncClient) -> bool:
    """On a database with no table: create the models' tables, the migrations' extra steps and the
    migration records, all in one transaction (a crash leaves the database empty). False when the
    database has tables already (then the migrations apply)."""
    if await _table_count(client):
        return False
    # One statement at a time: a script (executescript) would commit the transaction on SQLite.
    # The models' docstrings (table comments) must hold no semicolon: tests/core/test_fresh_schema.py.
    statements = [s for s in _STATEMENT_END.split(get_schema_sql(client, safe=False)) if s.strip()]
    async with in_transaction(client.connection_name) as txn:
        # Two processes starting at once on one new database: the second waits, then finds the tables.
        # PostgreSQL: a lock held until this transaction ends. SQLite: a write first takes the write lock
        # (waiting busy_timeout), where a read first could not be upgraded later.
        if client.capabilities.dialect == "postgres":
            await txn.execute_query("SELECT pg_advisory_xact_lock(%d)" % _CREATE_LOCK)
        await txn.execute_query(_records_table_sql(client))
        if await _table_count(txn) > 1:  # another process created it meanwhile: the migrations apply
            return False
        for statement in statements:
            await txn.execute_query(statement)
        editor = SimpleNamespace(client=txn)
        for module, function in FRESH_SCHEMA_STEPS:
            step = getattr(importlib.import_module(f"{MIGRATIONS_MODULE}.{module}"), function)
            await step(None, editor)
        for name in migration_names():
            await MigrationRecorder(txn).record_applied("models", name)
    return True


async def all_applied(client: BaseDBAsyncClient) -> bool:
    """Whether every migration of node/migrations is recorded as applied (False without the table)."""
    table = MigrationRecorder(client).table_name
    try:
        rows = await client.execute_query_dict(f'SELECT name FROM "{table}" WHERE app = \'models\'')
    except OperationalError:
        return False
    return set(migration_names()) <= {row["name"] for row in rows}


def _records_table_sql(client: BaseDBAsyncClient) -> str:
    """Tortoise's own migration records table (tortoise.migrations.recorder), as its executor makes it."""
    editor = MigrationExecutor(client, {})._schema_editor(atomic=False)
    sql: str = editor._get_model_sql_data(MigrationRecorder(client).model).table_sql
    return sql.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS", 1)


async def open_database(settings: Settings) -> TortoiseContext:
    """A Tortoise context bound to this node's database; `activate(ctx)` around any query."""
    ctx = TortoiseContext()
    forget_statements_of_another_dialect(database_url(settings))
    with activate(ctx):
        await ctx.init(config=tortoise_config(settings))
    return ctx


_dialect = {"last": ""}


def forget_statements_of_another_dialect(url: str) -> None:
    """Tortoise keeps each model's INSERT statement in a process-wide cache keyed by connection name
    and table, not by dialect: a process that opened a SQLite database and then a PostgreSQL one under
    the same connection name ("default") would send SQLite's `?` placeholders to PostgreSQL (a syntax
    error in `bulk_create`; seen in `make bench`, whose phases use both). Opening a database of another
    dialect than the last one empties that cache; it is filled again on the next insert."""
    dialect = url.split(":", 1)[0]
    if _dialect["last"] and _dialect["last"] != dialect:
        EXECUTOR_CACHE.clear()
    _dialect["last"] = dialect
