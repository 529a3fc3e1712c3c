"""The hot federation GETs (actor documents, the instance actor, WebFinger) answered from encoded bytes.

Peers fetch an actor's document and its WebFinger record far more often than they change: each is
built, serialized and given a weak ETag once, then served from memory (`node.extra`) with
`If-None-Match` answered 304.

Freshness:
- in this process, at once: any save or deletion of a local actor's row (a profile edit, a new key, a
  deletion, which also deletes the member's `User` row) or of a `User` row bumps a generation number,
  and every entry filled under an older generation is a miss (Tortoise's model signals; they do not
  fire for `QuerySet.update`, which the TTL covers);
- in other processes (`agora serve --workers N`, `agora worker`, another machine): an entry lives
  CACHE_SECONDS at most, so a change is seen there within that time, as the policy rules are
  (node/policy/snapshot.py). Peers are told `Cache-Control: max-age=60` anyway.

Entries are bounded (MAX_ENTRIES, least recently used dropped first), so requests for a flood of
unknown names (answered 404, cached too) cannot grow memory without end."""

from __future__ import annotations

import gzip
import hashlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tortoise.signals import post_delete, post_save

from node.core.models import Actor, User
from node.core.runtime import Node

CACHE_SECONDS = 2.0
MAX_ENTRIES = 2048
GZIP_MINIMUM = 500  # bytes: smaller answers go as they are (as node/web/compression.py decides)
_EXTRA = "doc_cache"
clock: Callable[[], float] = time.monotonic  # replaced by tests that step over the TTL


@dataclass
class _Generation:
    value: int = 0


_generation = _Generation()


@dataclass(frozen=True)
class Entry:
    """One answer, encoded: status, body (and its gzip copy), media type, headers, the document it was
    built from."""

    status: int
    body: bytes
    media_type: str
    headers: Mapping[str, str]
    doc: Any = None
    etag: str = ""
    generation: int = 0
    expires: float = 0.0
    gzipped: bytes = b""


def etag_of(body: bytes) -> str:
    """A weak validator of these bytes (weak: a compressed copy of them is the same document)."""
    return 'W/"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def entry(status: int, body: bytes, media_type: str, headers: Mapping[str, str], doc: Any = None) -> Entry:
    gzipped = gzip.compress(body, 6, mtime=0) if len(body) >= GZIP_MINIMUM else b""
    return Entry(status, body, media_type, dict(headers), doc, etag_of(body) if status == 200 else "",
                 gzipped=gzipped)


@dataclass
class DocCache:
    entries: OrderedDict[tuple[str, ...], Entry] = field(default_factory=OrderedDict)

    def get(self, key: tuple[str, ...], now: float) -> Entry | None:
        found = self.entries.get(key)
        if found is None:
            return None
        if found.expires <= now or found.generation != _generation.value:
            del self.entries[key]
            return None
        self.entries.move_to_end(key)
        return found

    def put(self, key: tuple[str, ...], value: Entry, generation: int, now: float) -> Entry:
        stored = Entry(value.status, value.body, value.media_type, value.headers, value.doc, value.etag,
                       generation, now + CACHE_SECONDS, value.gzipped)
        self.entries[key] = stored
        self.entries.move_to_end(key)
        while len(self.entries) > MAX_ENTRIES:
            self.entries.popitem(last=False)
        return stored


def cache_of(node: Node) -> DocCache:
    cache = node.extra.get(_EXTRA)
    if not isinstance(cache, DocCache):
        cache = node.extra[_EXTRA] = DocCache()
    return cache


async def cached(node: Node, key: tuple[str, ...], build: Callable[[], Awaitable[Entry]]) -> Entry:
    """The entry under `key`, built (and stored) when missing, stale or filled before a change."""
    cache = cache_of(node)
    now = clock()
    found = cache.get(key, now)
    if found is not None:
        return found
    generation = _generation.value  # read before building: a change during the build is a later miss
    return cache.put(key, await build(), generation, now)


def changed() -> None:
    """Drop every entry of every node in this process (a local actor or a member changed)."""
    _generation.value += 1


@post_save(Actor)
async def _actor_saved(sender: type[Actor], instance: Actor, created: bool, using_db: Any, update_fields: Any) -> None:
    if instance.local:
        changed()


@post_delete(Actor)
async def _actor_deleted(sender: type[Actor], instance: Actor, using_db: Any) -> None:
    if instance.local:
        changed()


@post_save(User)
async def _user_saved(sender: type[User], instance: User, created: bool, using_db: Any, update_fields: Any) -> None:
    changed()


@post_delete(User)
async def _user_deleted(sender: type[User], instance: User, using_db: Any) -> None:
    changed()
