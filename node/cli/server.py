"""`agora init`, `serve`, `worker` and `migrate`: setting a node up and running it."""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
from pathlib import Path

from starlette.types import ASGIApp

from node.accounts.actors import ensure_instance_actor
from node.app import create_app
from node.cli.common import CliError, Subparsers, ensure_association, run, settings_from, with_node
from node.cli.users import add_user, valid_email, valid_username
from node.core import supervise
from node.core.db import run_migrations
from node.core.models import User
from node.core.outage import Outage, unavailable
from node.core.runtime import Node
from node.core.settings import Settings, SettingsError, load_settings
from node.core.urls import Urls
from node.web import serving


def toml_string(value: str) -> str:
    """A TOML basic string: backslash, quote and control characters escaped (a raw newline or tab in
    a name would otherwise make the written config unreadable)."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    escaped = "".join(c if c.isprintable() or c == " " else f"\\U{ord(c):08x}" for c in escaped)
    return '"' + escaped + '"'


def config_text(args: argparse.Namespace, data_dir: Path) -> str:
    lines = [
        "# Written by `agora init`. Every setting is documented in config/default.toml.",
        f"base_url = {toml_string(args.base_url.rstrip('/'))}",
        f"data_dir = {toml_string(str(data_dir))}",
        f"secret_key = {toml_string(secrets.token_urlsafe(32))}",
        f"allow_private_addresses = {'true' if args.dev else 'false'}",
    ]
    if args.database_url:
        lines.append(f"database_url = {toml_string(args.database_url)}")
    lines += [
        "",
        "[association]",
        f"handle = {toml_string(args.handle)}",
        f"name = {toml_string(args.name)}",
    ]
    if args.language:
        lines.append(f"language = {toml_string(args.language)}")
    return "\n".join(lines) + "\n"


async def bootstrap(node: Node, admin_email: str | None, admin_name: str) -> str | None:
    """Create the instance actor, the association and (once) the first admin. Returns its password."""
    await ensure_instance_actor(node.urls)
    await ensure_association(node)
    if admin_email and not await User.filter(role="admin").exists():
        _, password = await add_user(node, admin_name, admin_email, "admin")
        return password
    return None


def check_init(args: argparse.Namespace, config_path: Path) -> None:
    """Everything is checked before anything is written: a half-done init blocks a rerun."""
    if config_path.exists() and not args.force:
        raise CliError(f"{config_path} exists already (use --force to overwrite it)")
    valid_username(args.handle)
    valid_username(args.admin_name)
    valid_email(args.admin_email)
    if args.admin_name == args.handle:
        raise CliError(f"the admin's name {args.admin_name!r} is the association's handle; choose another")


def write_config(text: str, config_path: Path) -> None:
    """Write the config through a private temporary file, kept only when it loads."""
    tmp = config_path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # the secret key is never world-readable
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    try:
        load_settings(tmp, env={})
    except SettingsError:
        tmp.unlink()
        raise
    tmp.replace(config_path)
    config_path.chmod(0o600)


def cmd_init(args: argparse.Namespace) -> None:
    data_dir = Path(args.data_dir).resolve()
    config_path = data_dir / "agora.toml"
    check_init(args, config_path)
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # the database holds the actors' private keys
    write_config(config_text(args, data_dir), config_path)
    settings = load_settings(config_path)
    run(run_migrations(settings))
    password = run(with_node(settings, lambda node: bootstrap(node, args.admin_email, args.admin_name)))
    print(f"Wrote {config_path}")
    print(f"Association @{settings.association.handle}@{settings.host} at {Urls(settings.base_url).actor(settings.association.handle)}")
    if password:
        print(f"Admin {args.admin_name} <{args.admin_email}> one-time password: {password}")
    print(f"Next: AGORA_CONFIG={config_path} agora serve")


def default_workers() -> int:
    """`AGORA_WORKERS`, else the number of cores this process may run on."""
    raw = os.environ.get("AGORA_WORKERS", "").strip()
    if raw:
        if not raw.isdigit():
            raise CliError(f"AGORA_WORKERS must be a number of processes, not {raw!r}")
        return int(raw)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def cmd_serve(args: argparse.Namespace) -> None:
    """The node's web server: `--workers` processes sharing the database. The job worker (unless
    `[worker] in_process = false`) runs in the first of them only, so jobs are claimed by one worker
    per `agora serve`, as with one process; more workers are `agora worker` processes (PostgreSQL)."""
    settings = settings_from(args)
    workers = default_workers() if args.workers is None else args.workers
    if workers < 1:
        raise CliError("--workers must be at least 1")
    run(run_migrations(settings))
    run(with_node(settings, lambda node: bootstrap(node, None, "")))

    def make_app(index: int) -> ASGIApp:
        return create_app(settings, run_worker=settings.worker.in_process and index == 0)

    serving.serve_workers(make_app, settings.server, host=args.host, port=args.port,
                          log_level=settings.log_level, processes=workers)


async def work(node: Node) -> None:
    """Run the node's worker until SIGINT or SIGTERM: supervised, under the data directory's lasting
    name (node/core/supervise.py); a database outage only pauses it."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await supervise.run_worker(node, stop)


async def start_and_work(settings: Settings) -> None:
    """`agora worker` never exits on a database error: it waits for the database before starting the
    node, and starts again when the database fails during the start itself."""
    outage = Outage("agora worker")
    pause = 0.5
    while True:
        await supervise.database_answers(settings, outage)
        try:
            await with_node(settings, work)
            return
        except Exception as exc:
            if not unavailable(exc):
                raise
            outage.lost("starting", exc)
        await asyncio.sleep(pause)
        pause = min(pause * 2, settings.worker.database_retry_max_seconds)


def cmd_worker(args: argparse.Namespace) -> None:
    settings = settings_from(args)
    if settings.is_sqlite:
        raise CliError("stand-alone workers need PostgreSQL; on SQLite `agora serve` runs the worker itself")
    run(start_and_work(settings))


def cmd_migrate(args: argparse.Namespace) -> None:
    settings = settings_from(args)
    run(run_migrations(settings))
    print("database is up to date")


def register_init(sub: Subparsers) -> None:
    init = sub.add_parser("init", help="create a config, the database, the association and its first admin")
    init.add_argument("--base-url", required=True, help="public address, e.g. https://asso.example")
    init.add_argument("--handle", required=True, help="the association's handle (@handle@domain)")
    init.add_argument("--name", required=True, help="the association's display name")
    init.add_argument("--admin-email", required=True)
    init.add_argument("--admin-name", default="admin", help="the first admin's username (default: admin)")
    init.add_argument("--data-dir", default="data", help="where agora.toml, the database and media go")
    init.add_argument("--database-url", help="postgres://... (default: SQLite in the data dir)")
    init.add_argument("--language", help="default content language (BCP 47, default en)")
    init.add_argument("--dev", action="store_true", help="development: allow loopback and private peers")
    init.add_argument("--force", action="store_true", help="overwrite an existing config")
    init.set_defaults(func=cmd_init)


def register(sub: Subparsers) -> None:
    """Add `agora init`, `serve`, `worker` and `migrate` to the `agora` parser's subparsers."""
    register_init(sub)
    serve = sub.add_parser("serve", help="run the node (web, federation and, by default, the worker)")
    serve.add_argument("--host", default=os.environ.get("AGORA_HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("AGORA_PORT", "8000")))
    serve.add_argument("--workers", type=int, default=None,
                       help="server processes sharing the database (default: AGORA_WORKERS, else the number of "
                            "cores); the first one also runs the job worker")
    serve.set_defaults(func=cmd_serve)
    sub.add_parser("worker", help="run a stand-alone worker (PostgreSQL)").set_defaults(func=cmd_worker)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)
