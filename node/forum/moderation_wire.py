"""Forum moderation on the wire (public categories only; members-only ones keep everything here).
Each action is done by the moderator's own Person, which Lemmy, PieFed and Mbin require (a Group may
not be the actor of a Delete or Lock), and the category announces it unchanged to its followers
(FEP-1b12). Mastodon only honours a Delete from the author, so a removal also takes back the
category's boost of the post (`Undo{Announce}`) and a restore boosts it again (a new Announce id).
What each action sends: node/forum/moderation.py."""

from __future__ import annotations

import secrets
from datetime import datetime, timezone
from typing import Any

from federation import vocab
from node.core.models import Activity, Actor, Post, User
from node.core.runtime import Node
from node.forum import threads
from node.forum.models import Category
from node.social.delivery import publish


def _now() -> datetime:
    return datetime.now(timezone.utc)


async def group_of(category: Category) -> Actor | None:
    if category.read_access != "public" or not category.actor_id:
        return None
    return await Actor.get(id=category.actor_id)


async def remote_author(post: Post) -> list[str]:
    author = await Actor.get(id=post.author_id)
    return [] if author.local else [author.uri]


def _inner(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "@context"}


async def announce_activity(node: Node, group: Actor, doc: dict[str, Any], recipients: list[str]) -> None:
    """The category passes a moderator's activity on, unchanged, to its followers."""
    announce = vocab.activity("Announce", f"{group.uri}#announces/{secrets.token_hex(12)}", group.uri, _inner(doc),
                              to=[vocab.PUBLIC], cc=[group.followers_url], audience=group.uri,
                              published=vocab.iso(_now()))
    await publish(node, group, announce, recipients=recipients)


def _mod_doc(kind: str, moderator: Actor, group: Actor, obj: Any, **extra: Any) -> dict[str, Any]:
    return vocab.activity(kind, f"{moderator.uri}#{kind.lower()}/{secrets.token_hex(12)}", moderator.uri, obj,
                          to=[vocab.PUBLIC], cc=[group.uri], audience=group.uri, **extra)


async def send(node: Node, category: Category, user: User, kind: str, obj: Any, *, undo: bool = False,
                recipients: list[str] | None = None, **extra: Any) -> None:
    """The moderator's `kind` activity (or its Undo), announced by the category."""
    group = await group_of(category)
    if group is None:
        return
    moderator = await Actor.get(id=user.actor_id)
    doc = _mod_doc(kind, moderator, group, obj, **extra)
    if undo:
        doc = _mod_doc("Undo", moderator, group, _inner(doc))
    await publish(node, moderator, doc, followers=False, recipients=recipients or [])
    await announce_activity(node, group, doc, recipients or [])


async def unboost(node: Node, group: Actor, post: Post) -> None:
    """The category takes back its Announces of a post (Mastodon then drops the boost)."""
    base = threads.announce_id(group.uri, post.uri)
    for record in await Activity.filter(uri__startswith=base, kind="Announce", outgoing=True, actor_uri=group.uri):
        undo_uri = f"{record.uri}/undo"
        if await Activity.filter(uri=undo_uri).exists():
            continue
        inner = _inner(record.data)
        doc = vocab.activity("Undo", undo_uri, group.uri, inner, to=inner.get("to"), cc=inner.get("cc"),
                             audience=group.uri)
        await publish(node, group, doc, recipients=await remote_author(post))


async def reboost(node: Node, group: Actor, post: Post) -> None:
    """The category announces a restored post again (a new id: the old one was undone)."""
    if post.visibility != "public" or post.draft or post.held:
        return
    author = await Actor.get(id=post.author_id)
    uri = f"{threads.announce_id(group.uri, post.uri)}-{secrets.token_hex(6)}"
    created = await Activity.get_or_none(uri=f"{post.uri}/activity", outgoing=True) if post.local else None
    obj: Any = _inner(created.data) if created is not None else post.uri  # Lemmy takes an embedded Create only
    doc = vocab.activity("Announce", uri, group.uri, obj, to=[vocab.PUBLIC],
                         cc=[group.followers_url, author.uri], audience=group.uri, published=vocab.iso(_now()))
    await publish(node, group, doc, recipients=[] if author.local else [author.uri])
