"""An empty database is created from the models in one transaction (node/core/db.py create_fresh), not
by replaying every migration: both ways give the same schema (columns, indexes, constraints, SQLite's
WITHOUT ROWID), on SQLite and, in the PostgreSQL lane, on PostgreSQL; a failure half-way leaves the
database empty, and the next start creates it whole."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from node.core import db
from node.core.db import activate, migration_names, run_migrations
from node.core.settings import Settings
from tests.conftest import PG_URL, _create_pg_database, _drop_pg_database, node_settings


async def _rows(settings: Settings, query: str) -> list[dict[str, Any]]:
    ctx = await db.open_database(settings)
    try:
        with activate(ctx):
            return await ctx.connections.get("default").execute_query_dict(query)
    finally:
        with activate(ctx):
            await ctx.close_connections()


async def _schema(settings: Settings) -> dict[str, Any]:
    """What the schema is made of, independent of column order and whitespace."""
    if PG_URL:
        columns = await _rows(settings, """
            SELECT table_name, column_name, data_type, is_nullable, column_default, character_maximum_length
            FROM information_schema.columns WHERE table_schema = current_schema()""")
        indexes = await _rows(settings, "SELECT tablename, indexname, indexdef FROM pg_indexes "
                                        "WHERE schemaname = current_schema()")
        constraints = await _rows(settings, """
            SELECT c.conrelid::regclass::text AS tbl, c.contype, pg_get_constraintdef(c.oid) AS def
            FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = current_schema()""")
        return {"columns": sorted(map(str, columns)), "indexes": sorted(map(str, indexes)),
                "constraints": sorted(map(str, constraints))}
    tables = await _rows(settings, "SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                                   "AND name NOT LIKE 'sqlite_%' ORDER BY name")
    shape: dict[str, Any] = {}
    for table in tables:
        name = table["name"]
        info = await _rows(settings, f"PRAGMA table_info('{name}')")
        indexes = await _rows(settings, f"PRAGMA index_list('{name}')")
        index_columns = {i["name"]: [c["name"] for c in await _rows(settings, f"PRAGMA index_info('{i['name']}')")]
                         for i in indexes}
        keys = await _rows(settings, f"PRAGMA foreign_key_list('{name}')")
        shape[name] = {
            "columns": sorted((c["name"], c["type"], c["notnull"], c["dflt_value"], c["pk"]) for c in info),
            "indexes": sorted((i["name"], i["unique"], i["origin"], tuple(index_columns[i["name"]])) for i in indexes),
            "foreign_keys": sorted((k["from"], k["table"], k["to"], k["on_delete"]) for k in keys),
            "without_rowid": table["sql"].rstrip().upper().endswith("WITHOUT ROWID"),
        }
    return shape


async def _settings(tmp_path: Path, name: str) -> Settings:
    folder = tmp_path / name
    folder.mkdir()
    url = await _create_pg_database() if PG_URL else None
    return node_settings(folder, f"{name}.test", database_url=url)


async def _cleanup(*settings: Settings) -> None:
    if PG_URL:
        for s in settings:
            await _drop_pg_database(s.resolved_database_url)


async def test_a_fresh_database_has_the_schema_the_migrations_make(tmp_path: Path) -> None:
    replayed, fresh = await _settings(tmp_path, "replayed"), await _settings(tmp_path, "fresh")
    try:
        await run_migrations(replayed, replay=True)
        await run_migrations(fresh)
        expected, got = await _schema(replayed), await _schema(fresh)
        assert got == expected
        if not PG_URL:  # what the migrations' own steps add is there (0013, 0014)
            assert expected["assembly_ballots"]["without_rowid"]
            assert any(i[0] == "idx_posts_draft_2a23e6" for i in expected["posts"]["indexes"])
        records = 'SELECT name FROM tortoise_migrations ORDER BY name'
        assert [r["name"] for r in await _rows(fresh, records)] == migration_names()
        assert [r["name"] for r in await _rows(replayed, records)] == migration_names()
        await run_migrations(fresh)  # then nothing left to apply, nothing applied twice
        assert [r["name"] for r in await _rows(fresh, records)] == migration_names()
    finally:
        await _cleanup(replayed, fresh)


async def test_a_failure_while_creating_leaves_the_database_empty(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    settings = await _settings(tmp_path, "broken")
    try:
        # A step that fails after every table was created, inside the transaction.
        monkeypatch.setattr(db, "FRESH_SCHEMA_STEPS", (*db.FRESH_SCHEMA_STEPS, ("0014_draft_indexes", "missing")))
        with pytest.raises(AttributeError):
            await run_migrations(settings)
        count = ("SELECT count(*) AS n FROM pg_tables WHERE schemaname = current_schema()" if PG_URL
                 else "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'")
        assert (await _rows(settings, count))[0]["n"] == 0
        monkeypatch.undo()
        await run_migrations(settings)
        assert len(await _rows(settings, "SELECT name FROM tortoise_migrations")) == len(migration_names())
        assert (await _rows(settings, "SELECT count(*) AS n FROM posts"))[0]["n"] == 0
    finally:
        await _cleanup(settings)


async def test_two_processes_creating_one_new_database_at_once(tmp_path: Path) -> None:
    """`agora serve` and `agora worker` started together on a new database: one creates it, the other
    waits for it (SQLite's write lock, PostgreSQL's advisory lock) and finds it made."""
    settings = await _settings(tmp_path, "both")
    try:
        await asyncio.gather(run_migrations(settings), run_migrations(settings))
        names = [r["name"] for r in await _rows(settings, "SELECT name FROM tortoise_migrations ORDER BY name")]
        assert names == migration_names()
    finally:
        await _cleanup(settings)


async def test_a_database_with_every_migration_applied_loads_none(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    settings = await _settings(tmp_path, "current")
    calls: list[object] = []

    async def migrate(**kwargs: object) -> None:
        calls.append(kwargs)

    try:
        await run_migrations(settings)
        monkeypatch.setattr(db, "migrate_api", migrate)
        await run_migrations(settings)  # every migration recorded: Tortoise's migrator is not even started
        assert calls == []
        last = migration_names()[-1]
        await _rows(settings, f"DELETE FROM tortoise_migrations WHERE name = '{last}'")
        await run_migrations(settings)  # one missing: the migrator runs and finds it
        assert len(calls) == 1
    finally:
        await _cleanup(settings)
