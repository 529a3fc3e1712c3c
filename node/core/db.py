"""Database set-up: one Tortoise context per node, migrations from node/migrations."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.context import TortoiseContext, _current_context
from tortoise.migrations.api import migrate as migrate_api

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


def database_url(settings: Settings) -> str:
    url = settings.resolved_database_url
    if url.startswith("sqlite://"):
        path = url.removeprefix("sqlite://").split("?", 1)[0]
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        if "?" not in url:
            url += "?busy_timeout=5000&journal_mode=WAL&synchronous=NORMAL"
    return url


def tortoise_config(settings: Settings) -> dict[str, Any]:
    return {
        "connections": {"default": database_url(settings)},
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


async def run_migrations(settings: Settings) -> None:
    """Apply every pending migration (idempotent)."""
    ctx = TortoiseContext()
    with activate(ctx):
        try:
            await migrate_api(config=tortoise_config(settings))
        finally:
            await ctx.close_connections()


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
