"""What every `agora` command module shares: the one-line user error, loading the settings, running a
function against a started node (after checking the database is migrated), and the association's actor.

Each command group (node/cli/server.py, users.py, posts.py, ...) imports these; node/cli/main.py
gathers the groups."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, NoReturn, TypeAlias, TypeVar

from tortoise.exceptions import BaseORMException

from node.accounts.actors import create_local_actor, local_actor
from node.app import start_node, stop_node
from node.core.db import activate, open_database
from node.core.models import Actor, User
from node.core.runtime import Node, run_async
from node.core.settings import Settings, SettingsError, load_settings

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
"""What `add_subparsers()` returns: each command group's `register(sub)` adds its commands to it."""

T = TypeVar("T")
Action: TypeAlias = Callable[[Node, argparse.Namespace], Awaitable[None]]
"""One subcommand's work: given the started node and the parsed arguments."""


class CliError(Exception):
    """A user mistake: printed as one line, exit status 2."""


def fail(message: str) -> NoReturn:
    """A user mistake: one line on stderr, exit status 2 (like the rest of `agora`)."""
    print(f"agora: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def settings_from(args: argparse.Namespace) -> Settings:
    """The node's settings; `log_level` applies to the node's own loggers (`agora.*`) as to uvicorn's."""
    settings = load_settings(getattr(args, "config", None))
    logging.getLogger("agora").setLevel(settings.log_level.upper())
    return settings


def run(coro: Coroutine[Any, Any, T]) -> T:
    return run_async(coro)


async def check_database(settings: Settings) -> None:
    """A clear refusal when the database is not migrated: starting a node on it would fail with a
    traceback and leave SQLite's connection thread open, so the command would never exit."""
    ctx = await open_database(settings)
    with activate(ctx):
        try:
            await User.all().count()
        except BaseORMException as exc:
            raise CliError(f"database not ready ({exc}); run `agora migrate`") from None
        finally:
            await ctx.close_connections()


async def with_node(settings: Settings, fn: Callable[[Node], Awaitable[T]]) -> T:
    await check_database(settings)
    node = await start_node(settings)
    try:
        with activate(node.ctx):
            return await fn(node)
    finally:
        await stop_node(node)


def run_action(args: argparse.Namespace, action: Action) -> None:
    """Load the settings of `args` and run `action` on a started node (a CliError goes up to `main`)."""
    settings = settings_from(args)
    run(with_node(settings, lambda node: action(node, args)))


def run_with_node(args: argparse.Namespace, fn: Callable[[Node], Awaitable[T]],
                  *user_errors: type[Exception]) -> T:
    """Load the settings of `args`, run `fn` on a started node; a settings mistake, a CliError or one
    of `user_errors` ends the command with one line on stderr and exit status 2 (`fail`)."""
    errors: tuple[type[Exception], ...] = (CliError, SettingsError, *user_errors)
    try:
        return run(with_node(settings_from(args), fn))
    except errors as exc:
        fail(str(exc))


async def ensure_association(node: Node) -> Actor:
    """The association's Group actor, created on first use from the settings."""
    assoc = node.settings.association
    actor = await local_actor(assoc.handle)
    if actor is None:
        actor = await create_local_actor(
            node.urls, kind="Group", username=assoc.handle, name=assoc.name, summary=assoc.summary,
            manually_approves=assoc.manually_approves_followers,
        )
    return actor
