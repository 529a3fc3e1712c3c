"""node/core/outage.py knows asyncpg's connection errors by name (it does not import asyncpg, which a
node on SQLite never needs): each must still count as the database being unavailable."""

from __future__ import annotations

import asyncpg
import pytest

from node.core.outage import unavailable


@pytest.mark.parametrize("exc", [
    asyncpg.exceptions.ConnectionDoesNotExistError("gone"),  # a subclass of PostgresConnectionError
    asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command"),
    asyncpg.exceptions.TooManyConnectionsError("too many clients"),
    asyncpg.InterfaceError("connection is closed"),
    asyncpg.exceptions.InternalClientError("unexpected"),
])
def test_asyncpg_connection_errors_are_unavailable(exc: BaseException) -> None:
    assert unavailable(exc)


def test_asyncpg_query_errors_and_lookalikes_are_not() -> None:
    assert not unavailable(asyncpg.exceptions.UniqueViolationError("duplicate key"))
    lookalike = type("InterfaceError", (Exception,), {"__module__": "myapp.errors"})
    assert not unavailable(lookalike("not asyncpg's"))


def test_a_wrapped_asyncpg_error_is_found_through_the_cause() -> None:
    try:
        try:
            raise asyncpg.exceptions.AdminShutdownError("shutdown")
        except Exception as inner:
            raise RuntimeError("step failed") from inner
    except RuntimeError as outer:
        assert unavailable(outer)
