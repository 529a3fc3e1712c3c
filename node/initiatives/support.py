"""Support for initiatives: a local member's or a remote actor's (their `Like`, withdrawn by `Undo`),
counted from the Support rows; a member supporting a network initiative sends a `Like` to its
organizer, whose node counts it."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from federation import vocab
from node.core.models import Actor
from node.core.runtime import Node
from node.initiatives.inputs import InitiativeError, check_published
from node.initiatives.models import Initiative, Support
from node.posts.publishable import organizer_of
from node.social.delivery import publish


async def recount_support(initiative: Initiative) -> int:
    """Derived from the Support rows; a network initiative keeps the count its own node publishes."""
    if not initiative.local:
        return initiative.support_count
    initiative.support_count = await Support.filter(initiative=initiative, held=False).count()
    await Initiative.filter(id=initiative.id).update(support_count=initiative.support_count)
    return initiative.support_count


async def support(node: Node, initiative: Initiative, actor: Actor, *, uri: str | None = None) -> Support:
    """A local member or a remote actor (their `Like`) supports. A member supporting a network
    initiative sends a `Like` to its organizer, whose node counts it."""
    if initiative.deleted_at is not None:
        raise InitiativeError("initiative: it was deleted")
    check_published(initiative, "support is counted")
    existing = await Support.get_or_none(initiative=initiative, actor=actor)
    if existing is not None:
        return existing
    if not initiative.local and not actor.local:
        raise InitiativeError("initiative: support for a network initiative is counted by its own node")
    uri = uri or (f"{actor.uri}#likes/{secrets.token_hex(8)}" if not initiative.local else f"{initiative.uri}#supports/{secrets.token_hex(8)}")
    async with in_transaction():
        try:
            row = await Support.create(uri=uri, initiative=initiative, actor=actor)
        except IntegrityError:
            found = await Support.get_or_none(initiative=initiative, actor=actor)
            if found is None:
                raise InitiativeError("support: recorded already") from None
            return found
        await recount_support(initiative)
        if not initiative.local:
            organizer = await organizer_of(initiative)
            await publish(node, actor, vocab.activity("Like", uri, actor.uri, initiative.uri, to=[organizer.uri]),
                          followers=False, recipients=[organizer.uri])
    return row


async def unsupport(node: Node, initiative: Initiative, actor: Actor) -> None:
    row = await Support.get_or_none(initiative=initiative, actor=actor)
    if row is None:
        return
    async with in_transaction():
        await row.delete()
        await recount_support(initiative)
        if not initiative.local and actor.local:
            organizer = await organizer_of(initiative)
            like = {"id": row.uri, "type": "Like", "actor": actor.uri, "object": initiative.uri}
            await publish(node, actor, vocab.activity("Undo", f"{row.uri}/undo", actor.uri, like, to=[organizer.uri]),
                          followers=False, recipients=[organizer.uri])


async def liked(node: Node, actor: Actor, doc: Mapping[str, Any]) -> bool:
    """An inbound `Like`: True when it was of one of our initiatives (and now counts as support)."""
    ref = vocab.id_of(doc.get("object"))
    if ref is None or not node.urls.is_initiative(ref):
        return False
    initiative = await Initiative.get_or_none(uri=ref, local=True)
    if initiative is None:
        return False
    if initiative.deleted_at is None and not initiative.draft and isinstance(doc.get("id"), str):
        await support(node, initiative, actor, uri=doc["id"])
    return True


async def unliked(actor: Actor, like_uri: str) -> bool:
    """An inbound `Undo` of a `Like`: True when it withdrew support."""
    row = await Support.get_or_none(uri=like_uri, actor=actor)
    if row is None:
        return False
    initiative = await Initiative.get(id=row.initiative_id)
    await row.delete()
    await recount_support(initiative)
    return True
