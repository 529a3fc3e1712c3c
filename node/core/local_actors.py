"""This node's live actors by URI, read at most once while one inbound activity is handled.

An inbound Create names the same local actors several times over: the forum asks whether one is a
category, the groups whether one is a Group its sender follows, the notifications whom it mentions,
each with its own query. `named_here` keeps the local URIs an activity names, a few dozen at most: a
signed activity may name thousands in `to` and `cc` (a 1 MB body holds about 20,000), and each would
cost queries. Inside `remembered()` (the inbox dispatcher opens it for each activity, in
that job's own task) the first answer for a URI is kept and reused; outside it every call asks the
database. Nothing outlives the activity, so another process's changes are seen by the next one."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from contextvars import ContextVar

from node.core import sql
from node.core.models import Actor
from node.core.urls import Urls

MAX_NAMED_HERE = 64  # local URIs looked at in one activity's addressing (Mastodon mentions at most 50 by default)

_memo: ContextVar[dict[str, Actor | None] | None] = ContextVar("agora_local_actors", default=None)


@contextlib.contextmanager
def remembered() -> Iterator[None]:
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def named_here(urls: Urls, uris: Iterable[str]) -> list[str]:
    """The distinct URIs of this node among `uris`, in their order, the first MAX_NAMED_HERE."""
    out: list[str] = []
    for uri in dict.fromkeys(uris):
        if urls.is_local(uri):
            out.append(uri)
            if len(out) == MAX_NAMED_HERE:
                break
    return out


async def live_local_actor(uri: str) -> Actor | None:
    """The local, not deleted actor at `uri`, or None."""
    memo = _memo.get()
    if memo is not None and uri in memo:
        return memo[uri]
    actor = await sql.get(Actor, uri=uri, local=True, deleted_at=None)
    if memo is not None:
        memo[uri] = actor
    return actor
