"""The handler registry: which feature handles an inbound activity.

Each feature's `handlers.py` registers its functions with `@handles("Follow")` (they get the activity)
or `@handles_object("Create")` (they also get the activity's object, resolved once for the whole chain:
embedded, or refetched from its origin when the activity was forwarded or only referenced it). One type
may have several handlers: they run in stage order (FIRST, OWN, REST), within a stage in the order they
were registered, until one answers True ("this one was mine"). Handlers of the same stage claim
disjoint activities (an event's Join, an initiative's Like), so their order there changes nothing.
node/activitypub/handlers.py loads every feature's handlers. Every handler is idempotent.

`dispatch` runs one received activity (the inbox job): the sender's block, the sender's actor (its
cached copy when a refresh fails), a deleted sender's late deliveries, the chain, then notifications."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from federation import vocab
from federation.client import FetchError
from node.accounts.actors import fetch_actor
from node.core import local_actors, sql
from node.core.models import Activity, Actor
from node.core.runtime import Node
from node.policy import policy
from node.social import notify

log = logging.getLogger("agora.inbox")

FIRST = 0  # gates that may stop an activity before any feature sees it (support held for moderation)
OWN = 1  # a feature's own objects: each handler claims only the activities about them
REST = 2  # what no feature claimed: notes, follows, likes and boosts of posts

Doc = dict[str, Any]
ActivityHandler = Callable[[Node, Actor, Doc], Awaitable[bool]]
ObjectHandler = Callable[[Node, Actor, Doc, Doc], Awaitable[bool]]


@dataclass(frozen=True)
class _Entry:
    stage: int
    order: int  # registration order, within a stage
    activity: ActivityHandler | None = None
    object: ObjectHandler | None = None


_TABLE: dict[str, list[_Entry]] = {}


def _add(kinds: tuple[str, ...], stage: int, activity: ActivityHandler | None, obj: ObjectHandler | None) -> None:
    for kind in kinds:
        chain = _TABLE.setdefault(kind, [])
        chain.append(_Entry(stage, len(chain), activity, obj))
        chain.sort(key=lambda entry: (entry.stage, entry.order))


def handles(*kinds: str, stage: int = OWN) -> Callable[[ActivityHandler], ActivityHandler]:
    """Register a handler of these activity types: `(node, sender, activity) -> handled`."""

    def register(fn: ActivityHandler) -> ActivityHandler:
        _add(kinds, stage, fn, None)
        return fn

    return register


def handles_object(*kinds: str, stage: int = OWN) -> Callable[[ObjectHandler], ObjectHandler]:
    """Register a handler of these activity types that needs their object:
    `(node, sender, activity, object) -> handled`. Nothing runs when the object cannot be had."""

    def register(fn: ObjectHandler) -> ObjectHandler:
        _add(kinds, stage, None, fn)
        return fn

    return register


def handled_types() -> frozenset[str]:
    return frozenset(_TABLE)


async def object_doc(node: Node, doc: Mapping[str, Any], refetch: bool = False) -> Doc | None:
    """The activity's object as a document, refetched from its origin when the activity is unverified
    (`refetch`: it was forwarded) or when only a reference was sent."""
    obj = doc.get("object")
    ref = vocab.id_of(obj)
    if ref is None:
        return None
    if isinstance(obj, dict) and not refetch:
        return obj
    if node.urls.is_local(ref):
        return None
    try:
        return await node.client.get_json(ref, signer=node.instance_signer)
    except FetchError as exc:
        log.info("object %s not fetched: %s", ref, exc)
        return None


async def run(node: Node, actor: Actor, doc: Doc, refetch: bool = False) -> None:
    """The chain of the activity's type, until a handler answers True."""
    obj: Doc | None = None
    resolved = False
    for entry in _TABLE.get(vocab.type_of(doc), ()):
        if entry.activity is not None:
            if await entry.activity(node, actor, doc):
                return
        elif entry.object is not None:
            if not resolved:
                obj, resolved = await object_doc(node, doc, refetch), True
            if obj is not None and await entry.object(node, actor, doc, obj):
                return


async def _sender(node: Node, actor_uri: str) -> Actor:
    try:
        return await fetch_actor(node, actor_uri)
    except FetchError:
        # The activity was verified when it arrived; a stale actor whose refresh fails (a deleted
        # account answers 404/410) is still the sender. Without a cached copy, retry later.
        cached = await Actor.get_or_none(uri=actor_uri)
        if cached is None:
            raise
        return cached


async def dispatch(node: Node, activity_uri: str, refetch: bool = False) -> None:
    """Handle one received activity (stored by the inbox), by its type."""
    record = await sql.get(Activity, uri=activity_uri)
    if record is None:
        return
    doc: Doc = dict(record.data)
    kind = vocab.type_of(doc)
    if kind not in _TABLE:
        log.debug("no handler for %s", kind)
        return
    if await policy.is_blocked(node, record.actor_uri):
        return  # queued before the sender's domain or account was suspended
    actor = await _sender(node, record.actor_uri)
    if actor.deleted_at is not None and kind != "Delete":
        return  # a deleted account's late deliveries change nothing
    with local_actors.remembered():  # the local actors it names, read once for all its handlers
        await run(node, actor, doc, refetch)
        await notify.after_activity(node, actor, doc)
