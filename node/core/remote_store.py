"""Storing an object another server publishes in versions (a network event, a network initiative):
insert it, or replace the stored copy unless this version is older, compared and written under a row
lock so that two Updates delivered at the same time are applied one after the other."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any, Protocol, TypeVar, cast

from tortoise.exceptions import IntegrityError
from tortoise.models import Model
from tortoise.transactions import in_transaction

M = TypeVar("M", bound=Model)


class Versioned(Protocol):
    """The columns the comparison reads: whose copy it is and which version it holds."""

    local: bool
    organizer_id: int
    updated: datetime | None


async def store_version(model: type[M], uri: str, values: Mapping[str, Any], *, owner_id: int,
                        updated: datetime | None,
                        written: Callable[[M], Awaitable[None]] | None = None) -> M | None:
    """The row for `uri` after storing this version: created (local=False), updated, or left as it is
    when it holds a newer version. None when the row is ours or another actor's (nothing written).
    `written` runs in the same transaction after a create or an update (not for an older version)."""
    async with in_transaction() as conn:
        # Locked (PostgreSQL): concurrent deliveries of two Updates compare and write one after the other.
        existing = await model.filter(uri=uri).using_db(conn).select_for_update().first()
        if existing is None:
            try:
                async with in_transaction():  # a savepoint: a concurrent insert must not abort the rest
                    created = await model.create(uri=uri, local=False, **values)
            except IntegrityError:
                existing = await model.filter(uri=uri).using_db(conn).select_for_update().first()
                if existing is None:
                    return None
            else:
                if written is not None:
                    await written(created)
                return created
        stored = cast(Versioned, existing)
        if stored.local or stored.organizer_id != owner_id:
            return None
        if stored.updated and updated and updated < stored.updated:
            return existing  # an older version arriving late
        await existing.update_from_dict(dict(values)).save()
        if written is not None:
            await written(existing)
        return existing
