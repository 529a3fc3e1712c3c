"""One bad row never breaks a list or a feed: a stored row that cannot be rendered (a date that overflows
in its zone, a malformed place written straight to the database...) is left out of the calendar page,
the iCalendar feed or the outbox it belongs to, and logged once per row and list, instead of turning
the whole answer into a 500 for every reader."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TypeVar

log = logging.getLogger("agora.events")

R = TypeVar("R")
T = TypeVar("T")
MAX_REMEMBERED = 10_000  # rows already logged, kept so that a feed polled every minute logs each once

_logged: set[tuple[str, str]] = set()


def _name(row: object) -> str:
    for attribute in ("uri", "id"):
        value = getattr(row, attribute, None)
        if value is not None:
            return str(value)
    return repr(row)[:200]


def skipped(what: str, row: object, exc: BaseException) -> None:
    """Log, once per row and list, that `row` was left out of `what`."""
    key = (what, _name(row))
    if key in _logged:
        return
    if len(_logged) < MAX_REMEMBERED:
        _logged.add(key)
    log.warning("%s: left out %s, which cannot be rendered (%s: %s)", what, key[1], type(exc).__name__,
                str(exc)[:300])


def each_rendered(rows: Iterable[R], render: Callable[[R], T], what: str) -> list[T]:
    """`render` of every row that renders; the others are left out (and logged once)."""
    out: list[T] = []
    for row in rows:
        try:
            out.append(render(row))
        except Exception as exc:  # noqa: BLE001 - whatever breaks one row must not break the list
            skipped(what, row, exc)
    return out
