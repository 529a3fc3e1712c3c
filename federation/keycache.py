"""The public keys an inbox has resolved, per keyId, and the brake on fetching them again.

Memory in front of whatever stores the keys for good (the node's actors table): a key found is kept
for ``ttl`` seconds. A keyId is fetched from its origin at most once every ``refetch_after`` seconds
(one minute): a request signed with a wrong key that names a real keyId (a forgery, or a key rotated a
moment ago) would otherwise make the node fetch that key again on every request, without limit.

Concurrent lookups of one keyId share one fetch: the first requests of a new peer, arriving together,
all wait for the same answer instead of racing (or being refused by the brake).

One object per running node (per process), bounded: the least recently used keyIds are forgotten
first, which only forgives their past.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from typing import Any, Final

from federation.signatures import PublicKey

__all__ = ["KeyCache"]

MAX_ENTRIES: Final = 10_000


class KeyCache:
    def __init__(
        self,
        *,
        ttl: float = 300.0,
        refetch_after: float = 60.0,
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.refetch_after = refetch_after
        self.max_entries = max_entries
        self.clock = clock
        self._keys: OrderedDict[str, tuple[float, PublicKey]] = OrderedDict()
        self._fetched: OrderedDict[str, float] = OrderedDict()
        self._pending: dict[str, asyncio.Task[PublicKey | None]] = {}

    def __len__(self) -> int:
        return len(self._keys)

    def get(self, key_id: str) -> PublicKey | None:
        """The key remembered for ``key_id``, if it was found less than ``ttl`` seconds ago."""
        entry = self._keys.get(key_id)
        if entry is None:
            return None
        if self.clock() - entry[0] >= self.ttl:
            del self._keys[key_id]
            return None
        self._keys.move_to_end(key_id)
        return entry[1]

    def put(self, key_id: str, key: PublicKey | None) -> None:
        """Remember the key found for ``key_id``; None forgets it."""
        if key is None:
            self._keys.pop(key_id, None)
            return
        self._keys[key_id] = (self.clock(), key)
        self._keys.move_to_end(key_id)
        while len(self._keys) > self.max_entries:
            self._keys.popitem(last=False)

    def may_fetch(self, key_id: str) -> bool:
        """Whether ``key_id`` may be fetched from its origin now. True is remembered as a fetch: the
        next True comes ``refetch_after`` seconds later at the earliest."""
        now = self.clock()
        last = self._fetched.get(key_id)
        if last is not None and now - last < self.refetch_after:
            return False
        self._fetched[key_id] = now
        self._fetched.move_to_end(key_id)
        while len(self._fetched) > self.max_entries:
            self._fetched.popitem(last=False)
        return True

    def fetching(
        self, key_id: str, fetch: Callable[[], Coroutine[Any, Any, PublicKey | None]]
    ) -> asyncio.Task[PublicKey | None] | None:
        """The fetch of ``key_id`` under way, else a new one started with ``fetch()`` if
        :meth:`may_fetch` allows it, else None (fetched less than ``refetch_after`` seconds ago).
        Await the task through ``asyncio.shield``: one caller cancelled does not cancel the others."""
        task = self._pending.get(key_id)
        if task is not None:
            return task
        if not self.may_fetch(key_id):
            return None
        task = asyncio.get_running_loop().create_task(fetch())
        self._pending[key_id] = task
        task.add_done_callback(lambda done: self._finished(key_id, done))
        return task

    def _finished(self, key_id: str, task: asyncio.Task[PublicKey | None]) -> None:
        if self._pending.get(key_id) is task:
            del self._pending[key_id]
        if not task.cancelled():
            with contextlib.suppress(Exception):
                task.exception()  # retrieved here too, in case every caller gave up waiting
