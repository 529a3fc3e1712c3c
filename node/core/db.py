"""Database set-up: one Tortoise context per node, migrations from node/migrations."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
    with activate(ctx):
        await ctx.init(config=tortoise_config(settings))
    return ctx
