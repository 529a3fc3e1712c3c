"""Shared fixtures: real node instances (SQLite, or PostgreSQL with AGORA_TEST_DATABASE_URL) federating
in-process through an httpx transport that routes each host to its app."""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx2
import pytest

from node.app import create_app, start_node, stop_node
from node.cli.server import bootstrap
from node.cli.users import add_user
from node.core.db import run_migrations
from node.core.models import Actor
from node.core.runtime import Node
from node.core.settings import AssociationSettings, LimitSettings, Settings, WorkerSettings
from tests.mailserver import MailServer

PG_URL = os.environ.get("AGORA_TEST_DATABASE_URL", "")

# `make test` runs the suite on pytest-xdist workers with `--dist loadgroup`: the tests of one group
# below run on one worker, one after another. The browser package starts two `agora serve` nodes and a
# Chromium per worker (package fixtures) and writes its logs and screenshots to fixed test-artifacts/
# paths, so it stays whole.
TESTS = Path(__file__).resolve().parent
XDIST_GROUPS = {TESTS / "browser": "browser"}


@pytest.fixture(autouse=True)
def _node_log_level() -> Iterator[None]:
    """The CLI sets the `agora` loggers' level from `log_level` (node/cli/common.settings_from): a test
    that ran a command must not leave it to the next test of the same process (caplog's levels)."""
    yield
    logging.getLogger("agora").setLevel(logging.NOTSET)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for folder, group in XDIST_GROUPS.items():
            if item.path.is_relative_to(folder):
                item.add_marker(pytest.mark.xdist_group(group))


class Network(httpx2.AsyncBaseTransport):
    """Routes each request to the ASGI app registered for its host; unknown hosts fail to connect."""

    def __init__(self) -> None:
        self.apps: dict[str, httpx2.ASGITransport] = {}
        self.log: list[tuple[str, str, int]] = []
        self.down: set[str] = set()

    def add(self, host: str, app: Any) -> None:
        self.apps[host] = httpx2.ASGITransport(app=app)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        host = request.url.netloc.decode() if isinstance(request.url.netloc, bytes) else str(request.url.netloc)
        transport = self.apps.get(host)
        if transport is None or host in self.down:
            raise httpx2.ConnectError(f"no route to {host}", request=request)
        response = await transport.handle_async_request(request)
        self.log.append((request.method, str(request.url), response.status_code))
        return response


async def _create_pg_database(template: str | None = None) -> str:
    name = f"agora_t_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(PG_URL.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    finally:
        await conn.close()
    parts = urlsplit(PG_URL)
    return parts._replace(path=f"/{name}").geturl()


# Migrating a fresh database replays every migration (about a second with Tortoise's executor), and
# the suite starts well over a thousand nodes: each test node gets a copy of one database migrated
# once per session instead (a file copy on SQLite, CREATE DATABASE ... TEMPLATE on PostgreSQL).
# The migrations themselves are replayed in that template (replay=True: the schema of a node upgraded
# release after release); `agora init` in the CLI tests creates its database from the models.
_template: dict[str, str] = {}


async def _migrated_template() -> str:
    if "path" not in _template:
        if PG_URL:
            url = await _create_pg_database()
            await run_migrations(node_settings(Path(tempfile.mkdtemp()), "template.test", database_url=url), replay=True)
            _template["path"] = urlsplit(url).path.lstrip("/")
            atexit.register(lambda: asyncio.run(_drop_pg_database(url)))
        else:
            folder = Path(tempfile.mkdtemp(prefix="agora-template-"))
            await run_migrations(node_settings(folder, "template.test"), replay=True)
            _template["path"] = str(folder / "agora.sqlite3")
            atexit.register(shutil.rmtree, folder, True)
    return _template["path"]


async def migrated_database(tmp: Path) -> str | None:
    """A database URL for a new test node, already migrated (None: the default SQLite file in `tmp`,
    copied from the template)."""
    template = await _migrated_template()
    if PG_URL:
        return await _create_pg_database(template)
    shutil.copyfile(template, tmp / "agora.sqlite3")
    return None


async def _drop_pg_database(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    conn = await asyncpg.connect(PG_URL.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def node_settings(tmp: Path, host: str, *, database_url: str | None = None, **association: Any) -> Settings:
    return Settings(
        base_url=f"http://{host}",
        data_dir=str(tmp),
        database_url=database_url or f"sqlite://{tmp}/agora.sqlite3",
        secret_key="test-secret",
        allow_private_addresses=True,
        association=AssociationSettings(handle="asso", name=f"Association of {host}", **association),
        worker=WorkerSettings(in_process=False, concurrency=4, lease_seconds=30, poll_interval=0.05),
        # Every test client comes from 127.0.0.1: rate limits are off here, and tested on their own.
        limits=LimitSettings(
            login_per_ip_per_minute=0, forms_per_ip_per_minute=0, inbox_per_ip_per_minute=0, inbox_per_host_per_minute=0
        ),
    )


class Federation:
    """Several nodes on one in-process network."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.network = Network()
        self.nodes: list[Node] = []
        self.pg_urls: list[str] = []

    async def add_node(self, host: str, **association: Any) -> Node:
        tmp = self.tmp_path / host.replace(":", "_")
        tmp.mkdir(parents=True, exist_ok=True)
        database_url = await migrated_database(tmp)
        if database_url:
            self.pg_urls.append(database_url)
        settings = node_settings(tmp, host, database_url=database_url, **association)
        node = await start_node(settings, transport=self.network)
        with node.ctx:
            await bootstrap(node, None, "")
        node.extra["app"] = create_app(settings, node=node)
        self.network.add(host, node.extra["app"])
        self.nodes.append(node)
        return node

    async def settle(self, rounds: int = 50) -> int:
        """Run every node's due jobs until the whole network is quiet."""
        total = 0
        for _ in range(rounds):
            ran = 0
            for node in self.nodes:
                ran += await node.extra["worker"].drain()
            total += ran
            if ran == 0:
                return total
        raise AssertionError("the network did not settle")

    async def close(self) -> None:
        for node in self.nodes:
            await stop_node(node)
        for url in self.pg_urls:
            await _drop_pg_database(url)


@pytest.fixture
async def federation(tmp_path: Path) -> AsyncIterator[Federation]:
    fed = Federation(tmp_path)
    try:
        yield fed
    finally:
        await fed.close()


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    """A real SMTP server on loopback that keeps what it receives (tests/mailserver.py)."""
    server = MailServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def node(federation: Federation) -> Node:
    return await federation.add_node("a.test")


def client_for(node: Node, **kwargs: Any) -> httpx2.AsyncClient:
    """An HTTP client that talks to one node's app directly."""
    return httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=node.extra["app"]), base_url=node.settings.base_url, **kwargs
    )


async def member(node: Node, username: str, role: str = "member") -> tuple[Actor, str]:
    with node.ctx:
        user, password = await add_user(node, username, f"{username}@example.org", role)
        return await Actor.get(id=user.actor_id), password  # type: ignore[attr-defined]


