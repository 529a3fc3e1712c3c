"""The plain-SQL reads of node/core/sql.py give what Tortoise's own queries give, on SQLite and on
PostgreSQL (the PostgreSQL lane runs this file too): the same model instances, NULL as IS NULL,
booleans, JSON and datetimes read back, the open transaction's uncommitted rows."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from tortoise.transactions import in_transaction

from node.core import sql
from node.core.models import Activity, Actor, Post
from node.core.runtime import Node
from tests.conftest import member


def fields_of(model: object) -> dict[str, object]:
    return {name: getattr(model, name) for name in type(model)._meta.fields_db_projection}  # type: ignore[attr-defined]


async def test_get_builds_the_same_instance_as_the_orm(node: Node) -> None:
    amal, _ = await member(node, "amal")
    with node.ctx:
        published = datetime(2026, 5, 1, 12, 30, tzinfo=timezone.utc)
        await Post.create(uri="https://asso.example/posts/1", local=True, author=amal, content="<p>Salut</p>",
                          tags=[{"type": "Hashtag", "name": "#diaspora"}], to=["https://www.w3.org/ns/activitystreams#Public"],
                          cc=[], published=published, sensitive=True)
        by_sql = await sql.get(Post, uri="https://asso.example/posts/1", local=True, deleted_at=None)
        by_orm = await Post.get(uri="https://asso.example/posts/1")
        assert by_sql is not None
        assert fields_of(by_sql) == fields_of(by_orm)
        assert by_sql.published == published and by_sql.sensitive is True and by_sql.local is True
        assert by_sql.tags == [{"type": "Hashtag", "name": "#diaspora"}]
        assert by_sql.author_id == amal.id
        actor = await sql.get(Actor, id=amal.id)
        assert actor is not None and fields_of(actor) == fields_of(await Actor.get(id=amal.id))


async def test_get_and_exists_match_every_column_and_none_is_null(node: Node) -> None:
    amal, _ = await member(node, "amal")
    with node.ctx:
        uri = "https://asso.example/posts/2"
        await Post.create(uri=uri, local=True, author=amal, content="x", tags=[], to=[], cc=[],
                          published=datetime.now(timezone.utc))
        assert await sql.exists(Post, uri=uri, deleted_at=None)
        assert not await sql.exists(Post, uri=uri, local=False)  # every column must match
        assert await sql.get(Post, uri=uri, author_id=amal.id + 1) is None
        await Post.filter(uri=uri).update(deleted_at=datetime.now(timezone.utc))
        assert await sql.get(Post, uri=uri, deleted_at=None) is None
        assert await sql.get(Post, uri=uri) is not None
        assert not await sql.exists(Activity, uri=uri)


async def test_a_read_inside_a_transaction_sees_its_uncommitted_rows(node: Node) -> None:
    with node.ctx:
        with pytest.raises(RuntimeError):
            async with in_transaction():
                await Activity.create(uri="https://remote.example/a/1", kind="Like", actor_uri="https://remote.example/u",
                                      outgoing=False, data={"type": "Like"})
                found = await sql.get(Activity, uri="https://remote.example/a/1")
                assert found is not None and found.data == {"type": "Like"}
                raise RuntimeError("roll back")
        assert await sql.get(Activity, uri="https://remote.example/a/1") is None


async def test_an_unknown_column_is_refused_by_name(node: Node) -> None:
    with node.ctx:
        with pytest.raises(ValueError, match="no column 'author'"):
            await sql.get(Post, author=1)


def test_placeholders_are_numbered_for_postgresql() -> None:
    assert sql.numbered("SELECT 1 FROM t WHERE a = ? AND b = ? LIMIT 1") == "SELECT 1 FROM t WHERE a = $1 AND b = $2 LIMIT 1"
    assert sql.numbered("SELECT 1") == "SELECT 1"
    assert sql.json_value('["like"]') == ["like"] and sql.json_value(["like"]) == ["like"]


async def test_instance_reads_a_model_from_a_statement_of_ones_own(node: Node) -> None:
    amal, _ = await member(node, "amal")
    with node.ctx:
        await Post.create(uri="https://asso.example/posts/3", local=True, author=amal, content="x", tags=[], to=[],
                          cc=[], published=datetime.now(timezone.utc))
        statement = f"SELECT {sql.columns(Post, 'p')} FROM posts p JOIN actors a ON a.id = p.author_id WHERE a.username = ?"
        found = await sql.instance(Post, statement, ["amal"])
        assert found is not None and found.uri == "https://asso.example/posts/3" and found.author_id == amal.id
        assert await sql.instance(Post, statement, ["nobody"]) is None
