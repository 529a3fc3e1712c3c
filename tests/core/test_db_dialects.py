"""One process, a SQLite database then a PostgreSQL one: Tortoise's cache of INSERT statements (keyed
by connection name, not dialect) is emptied between them (node/core/db.py), so bulk inserts work on both."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from node.core.db import activate, open_database, run_migrations
from node.core.models import Actor
from tests.conftest import _drop_pg_database, migrated_database, node_settings


async def _bulk(settings: object) -> int:
    ctx = await open_database(settings)  # type: ignore[arg-type]
    try:
        with activate(ctx):
            await Actor.bulk_create([Actor(uri=f"http://peer.test/u/{n}", local=False, kind="Person", username=f"u{n}",
                                           domain="peer.test", inbox=f"http://peer.test/u/{n}/inbox") for n in range(3)])
            return await Actor.filter(domain="peer.test").count()
    finally:
        with activate(ctx):
            await ctx.close_connections()


@pytest.mark.skipif(not os.environ.get("AGORA_TEST_DATABASE_URL"), reason="the PostgreSQL lane (make test-postgres) runs it")
async def test_bulk_create_on_sqlite_then_postgresql(tmp_path: Path) -> None:
    lite = node_settings(tmp_path / "lite", "a.test")
    (tmp_path / "lite").mkdir()
    await run_migrations(lite)
    assert await _bulk(lite) == 3
    (tmp_path / "pg").mkdir()
    url = await migrated_database(tmp_path / "pg")
    assert url and url.startswith("postgres")
    try:
        assert await _bulk(node_settings(tmp_path / "pg", "b.test", database_url=url)) == 3
    finally:
        await _drop_pg_database(url)
