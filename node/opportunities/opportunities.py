"""The board's actions: a member posts (published at once, or waiting for a moderator when the admin
chose so), a moderator approves or removes (with a reason, in the audit log), the poster closes it when
it is filled, and it closes by itself at its expiry (a job per opportunity, at that moment). What is
published federates as a `Note` from the association (documents.py)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from tortoise.transactions import in_transaction

from node.accounts.roles import PUBLISHING_ROLES
from node.core import audit, jobs, site_settings
from node.core.models import Actor, User
from node.core.multilingual import normalize_tag
from node.core.runtime import Node
from node.opportunities import documents
from node.opportunities.inputs import OpportunityError, OpportunityInput, expiry, validate
from node.opportunities.models import Opportunity
from node.opportunities.money import asks_for_money, folded
from node.posts.content import new_slug
from node.posts.publishable import language_columns, rendered_story

APPROVAL_KEY = "opportunities_approval"  # site setting: members' postings wait for a moderator
EXPIRE_JOB = "opportunities.expire"
MODERATING = frozenset({"admin", "moderator"})


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


async def approval_required() -> bool:
    return bool(await site_settings.get(APPROVAL_KEY, False))


async def set_approval(user: User, required: bool) -> None:
    await site_settings.put(APPROVAL_KEY, required)
    await audit.record(user, "opportunities.approval", "", required=required)


def _values(node: Node, inp: OpportunityInput) -> dict[str, Any]:
    language = normalize_tag(inp.language or node.settings.association.language or "en")
    html, _found, languages = rendered_story(node.urls, inp.text, inp.translations, summaries=False)
    columns = language_columns(language, languages, name=inp.title.strip(), content=html, source=inp.text)
    texts = [inp.title, inp.text, *(t.title for t in inp.translations), *(t.text for t in inp.translations)]
    return {
        "title": inp.title.strip(), "content": html, "source": inp.text, "kind": inp.kind, "purpose": inp.purpose,
        "place_kind": inp.place_kind, "place_name": inp.place_name.strip(), "starts": inp.starts, "ends": inp.ends,
        "language": language, "languages": [normalize_tag(t) for t in inp.languages],
        "tags": list(dict.fromkeys(inp.tags)), "asks_money": asks_for_money(*texts),
        "search_text": folded(" ".join(texts))[:50_000], **columns,
    }


async def _schedule_expiry(opportunity: Opportunity) -> None:
    await jobs.enqueue(EXPIRE_JOB, {"opportunity": opportunity.id}, run_at=opportunity.expires,
                       dedupe_key=f"{EXPIRE_JOB} {opportunity.id} {int(opportunity.expires.timestamp())}")


async def create_opportunity(node: Node, poster: Actor, user: User | None, inp: OpportunityInput,
                             organizer: Actor) -> Opportunity:
    """A new opportunity by a local member, published by the association (`organizer`): open and sent
    to the followers, or pending when members' postings wait for approval (editors and admins, and the
    command line with no `user`, publish directly)."""
    now = utcnow()
    validate(inp, now)
    if not poster.local:
        raise OpportunityError("the poster must be an account of this node")
    waits = user is not None and user.role not in PUBLISHING_ROLES and await approval_required()
    uri = f"{node.urls.base}/opportunities/{new_slug()}"
    async with in_transaction():
        opportunity = await Opportunity.create(
            uri=uri, url=uri, local=True, organizer=organizer, poster=poster, expires=expiry(inp, now),
            status="pending" if waits else "open", published=now, **_values(node, inp))
        if not waits:
            await documents.send(node, opportunity, "Create")
            await _schedule_expiry(opportunity)
    return opportunity


async def approve(node: Node, opportunity: Opportunity, user: User | None) -> Opportunity:
    if opportunity.status != "pending":
        raise OpportunityError("only an opportunity waiting for approval can be approved")
    now = utcnow()
    async with in_transaction():
        opportunity.status = "open"
        opportunity.published = now
        if opportunity.expires < now:
            raise OpportunityError("it expired while it waited: ask the poster to post it again")
        await opportunity.save(update_fields=["status", "published"])
        await documents.send(node, opportunity, "Create")
        await _schedule_expiry(opportunity)
        await audit.record(user, "opportunity.approve", opportunity.uri, by=None if user else "cli")
    return opportunity


async def close(node: Node, opportunity: Opportunity, *, by: str = "poster") -> Opportunity:
    """Closed (filled, or expired): an `Update` with the closed state; no more answers."""
    if opportunity.status not in ("open", "pending"):
        raise OpportunityError("this opportunity is not open")
    was_open = opportunity.status == "open"
    now = utcnow()
    async with in_transaction():
        opportunity.status = "closed"
        opportunity.closed_at = now
        opportunity.updated = now
        await opportunity.save(update_fields=["status", "closed_at", "updated"])
        if was_open:
            await documents.send(node, opportunity, "Update")
        await audit.record(None, "opportunity.close", opportunity.uri, by=by)
    return opportunity


async def remove(node: Node, opportunity: Opportunity, user: User | None, reason: str) -> Opportunity:
    """A moderator's removal, with a reason (audit log): a `Delete` when it had been published."""
    if not reason.strip():
        raise OpportunityError("say why it is removed (the poster reads the reason)")
    if opportunity.status == "removed":
        return opportunity
    published = opportunity.status in ("open", "closed")
    now = utcnow()
    async with in_transaction():
        opportunity.status = "removed"
        opportunity.removed_reason = reason.strip()[:2000]
        opportunity.updated = now
        await opportunity.save(update_fields=["status", "removed_reason", "updated"])
        if published:
            await documents.send_delete(node, opportunity, now)
        await audit.record(user, "opportunity.remove", opportunity.uri, by=None if user else "cli", reason=reason.strip())
    return opportunity


async def expire_due(node: Node, now: datetime | None = None) -> int:
    """Close every open opportunity whose expiry has passed; how many."""
    due = await Opportunity.filter(local=True, status="open", expires__lte=now or utcnow())
    for opportunity in due:
        await close(node, opportunity, by="expiry")
    return len(due)


def may_moderate(user: User | None) -> bool:
    return user is not None and user.role in MODERATING


def is_poster(opportunity: Opportunity, user: User | None) -> bool:
    """The member who posted it; for what the association itself posted (the command line), its
    editors and admins."""
    if user is None or opportunity.poster_id is None:
        return False
    return opportunity.poster_id == user.actor_id or (
        opportunity.poster_id == opportunity.organizer_id and user.role in PUBLISHING_ROLES)


def job_handlers(node: Node) -> dict[str, jobs.JobHandler]:
    async def expire(payload: Mapping[str, Any], attempt: int) -> None:
        await expire_due(node)  # this one, and any other whose job was lost

    return {EXPIRE_JOB: expire}
