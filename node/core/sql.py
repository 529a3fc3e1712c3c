"""The few statements run for every received activity, in plain SQL.

Tortoise builds each query anew from its filters: about 0.15 ms of CPU per statement, more than
SQLite takes to run it, and most of what an inbox job costs (BENCHMARKS.md, the processing profile).
The hot reads are written here once as SQL with `?` placeholders, numbered `$1, $2...` for PostgreSQL,
and sent on the current connection (the open transaction, when there is one). Only reads that return
plain columns belong here: booleans compare as `= ?` with True or False, JSON columns come back as
text on SQLite (`json_value` reads both), and no datetime is compared.

`get` and `exists` are `Model.get_or_none(...)` and `Model.filter(...).exists()` for lookups by
equality on columns (`author_id`, not `author`; None is IS NULL): the statement of each shape is made
once, and a row becomes a model instance the way Tortoise's own select does (`_init_from_db`, which
converts JSON, datetimes and booleans from what the driver returns)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TypeVar

from tortoise import connections
from tortoise.models import Model

M = TypeVar("M", bound=Model)

_NUMBERED: dict[str, str] = {}


def numbered(sql: str) -> str:
    """`?` placeholders as PostgreSQL's `$1, $2...` (none of these statements has a `?` in a literal)."""
    found = _NUMBERED.get(sql)
    if found is None:
        parts = sql.split("?")
        found = parts[0] + "".join(f"${n}{part}" for n, part in enumerate(parts[1:], start=1))
        _NUMBERED[sql] = found
    return found


async def rows(sql: str, values: Sequence[Any] = ()) -> list[dict[str, Any]]:
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        sql = numbered(sql)
    return list(await conn.execute_query_dict(sql, list(values)))


async def first(sql: str, values: Sequence[Any] = ()) -> dict[str, Any] | None:
    found = await rows(sql, values)
    return found[0] if found else None


def json_value(value: Any) -> Any:
    """A JSON column as read by `rows`: text on SQLite, already decoded or text on PostgreSQL."""
    return json.loads(value) if isinstance(value, (str, bytes)) else value


_Shape = tuple[type[Model], tuple[tuple[str, bool], ...], str]
_STATEMENTS: dict[_Shape, str] = {}


def _statement(model: type[Model], equal: dict[str, Any], what: str) -> str:
    """SELECT `what` FROM the model's table WHERE each column equals its value (IS NULL for None)."""
    shape = (model, tuple((name, value is None) for name, value in equal.items()), what)
    found = _STATEMENTS.get(shape)
    if found is None:
        columns = model._meta.fields_db_projection
        for name in equal:
            if name not in columns:
                raise ValueError(f"{model.__name__} has no column {name!r}")
        where = " AND ".join(f'"{columns[name]}" IS NULL' if value is None else f'"{columns[name]}" = ?'
                             for name, value in equal.items())
        selected = ", ".join(f'"{column}"' for column in columns.values()) if what == "row" else "1"
        found = f'SELECT {selected} FROM "{model._meta.db_table}" WHERE {where} LIMIT 1'
        _STATEMENTS[shape] = found
    return found


def _bound(equal: dict[str, Any]) -> list[Any]:
    """The values `_statement` has placeholders for (None is IS NULL, bound to nothing)."""
    return [value for value in equal.values() if value is not None]


async def get(model: type[M], **equal: Any) -> M | None:
    """The first row whose columns equal these values, as a model instance (a unique lookup)."""
    row = await first(_statement(model, equal, "row"), _bound(equal))
    return model_of(model, row) if row is not None else None


def columns(model: type[Model], alias: str) -> str:
    """The model's columns, for a statement of one's own that selects its rows (`instance`)."""
    return ", ".join(f'{alias}."{column}"' for column in model._meta.fields_db_projection.values())


def model_of(model: type[M], row: dict[str, Any]) -> M:
    """A model instance from a row holding its `columns` (other columns of the row are left out)."""
    return model._init_from_db(**row)


async def instance(model: type[M], statement: str, values: Sequence[Any] = ()) -> M | None:
    """The first row of a statement that selects the model's `columns`, as a model instance."""
    row = await first(statement, values)
    return model_of(model, row) if row is not None else None


async def exists(model: type[Model], **equal: Any) -> bool:
    """Whether a row's columns equal these values."""
    return await first(_statement(model, equal, "exists"), _bound(equal)) is not None
