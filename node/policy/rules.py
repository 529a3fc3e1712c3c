"""Domain rules: blocks (suspend, silence, or only reject media or reports) and allows, drafts
proposed by subscriptions and the admin's decision on them, and what the console lists. Every change
records an audit entry, then tells the engine (node/policy/policy.py) so that every process applies
it; a new suspension also removes what the domain's accounts left here (suspension.py)."""

from __future__ import annotations

from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from node.core import audit
from node.policy.domains import PolicyError, host_of, normalize_domain
from node.policy.snapshot import ACTIONS, BLOCK_ACTIONS, changed
from node.core.models import User
from node.policy.models import ActorBlock, DomainPolicy, PolicySubscription
from node.policy.suspension import suspend_domain_effects
from node.core.runtime import Node

KINDS = ("block", "allow")
MAX_COMMENT = 2_000


def actions_of(kind: str) -> tuple[str, ...]:
    return BLOCK_ACTIONS if kind == "block" else ("allow",)


def kind_of(action: str) -> str:
    return "allow" if action == "allow" else "block"


def clean_text(value: str, what: str) -> str:
    """A comment or reason as stored: NULs removed, trimmed, at most MAX_COMMENT characters."""
    text = (value or "").replace("\x00", "").strip()
    if len(text) > MAX_COMMENT:
        raise PolicyError(f"the {what} is longer than {MAX_COMMENT} characters")
    return text


def _domain(node: Node, domain: str) -> str:
    name = normalize_domain(domain)
    if name in (node.urls.host.lower(), host_of(node.urls.base)):
        raise PolicyError(f"{name} is this node's own domain")
    return name


async def active_rule(domain: str, kind: str) -> DomainPolicy | None:
    return await DomainPolicy.filter(domain=domain, state="active", action__in=actions_of(kind)).first()


async def save_rule(
    node: Node,
    domain: str,
    action: str,
    *,
    reject_media: bool = False,
    reject_reports: bool = False,
    public_comment: str = "",
    private_comment: str = "",
    obfuscate: bool = False,
    user: User | None = None,
    by: str | None = None,
) -> DomainPolicy:
    """Create or change the active rule of this kind (block or allow) for a domain. A rule an admin
    edits is no longer managed by the subscription that brought it."""
    if action not in ACTIONS:
        raise PolicyError(f"the action must be one of {', '.join(ACTIONS)}")
    name = _domain(node, domain)
    values: dict[str, Any] = {
        "action": action,
        "reject_media": bool(reject_media) and action != "allow",
        "reject_reports": bool(reject_reports) and action != "allow",
        "public_comment": clean_text(public_comment, "public comment"),
        "private_comment": clean_text(private_comment, "private comment"),
        "obfuscate": bool(obfuscate),
    }
    kind = kind_of(action)
    try:
        async with in_transaction():
            rule = await active_rule(name, kind)
            previous = rule.action if rule is not None else None
            if rule is None:
                rule = await DomainPolicy.create(domain=name, state="active", **values)
            else:
                await DomainPolicy.filter(id=rule.id).update(subscription_id=None, **values)
                await rule.refresh_from_db()
            await DomainPolicy.filter(domain=name, state="draft", action__in=actions_of(kind)).delete()
    except IntegrityError:
        raise PolicyError(f"{name} already has a {action} rule") from None
    details = {k: v for k, v in values.items() if k not in ("action", "private_comment")}
    await audit.record(user, f"domain.{action}", name, by=by, previous=previous, **details)
    await changed(node)
    if action == "suspend" and previous != "suspend":
        await suspend_domain_effects(node, name, user=user, by=by)
    return rule


async def remove_rule(node: Node, rule_id: int, *, user: User | None = None, by: str | None = None) -> DomainPolicy:
    rule = await DomainPolicy.get_or_none(id=rule_id)
    if rule is None:
        raise PolicyError("no such rule (it may have been removed already)")
    await rule.delete()
    verb = "disallow" if rule.action == "allow" else "unblock"
    await audit.record(user, f"domain.{verb}", rule.domain, by=by, rule=rule.action, state=rule.state)
    await changed(node)
    return rule


async def remove_domain(node: Node, domain: str, kind: str, *, user: User | None = None, by: str | None = None) -> bool:
    """Lift the active block (or allow) of a domain. False when there was none."""
    rule = await active_rule(normalize_domain(domain), kind)
    if rule is None:
        return False
    await remove_rule(node, rule.id, user=user, by=by)
    return True


async def decide_draft(node: Node, rule_id: int, approve: bool, *, user: User | None = None,
                       by: str | None = None) -> DomainPolicy:
    """Approve a draft (it replaces the active rule of its kind for the domain) or reject it (kept as
    rejected, so that its subscription does not propose it again)."""
    draft = await DomainPolicy.get_or_none(id=rule_id, state="draft")
    if draft is None:
        raise PolicyError("no such draft (it may have been decided already)")
    previous = None
    async with in_transaction():
        if approve:
            current = await active_rule(draft.domain, kind_of(draft.action))
            if current is not None:
                previous = current.action
                await current.delete()
            draft.state = "active"
            await draft.save(update_fields=["state", "updated_at"])
        elif await DomainPolicy.filter(domain=draft.domain, action=draft.action, state="rejected").exists():
            await draft.delete()
        else:
            draft.state = "rejected"
            await draft.save(update_fields=["state", "updated_at"])
    await audit.record(user, "domain.draft_approve" if approve else "domain.draft_reject", draft.domain, by=by,
                       rule=draft.action)
    await changed(node)
    if approve and draft.action == "suspend" and previous != "suspend":
        await suspend_domain_effects(node, draft.domain, user=user, by=by)
    return draft


async def overview() -> dict[str, Any]:
    """Everything the console lists, in one place."""
    rules = await DomainPolicy.all().order_by("domain", "action").prefetch_related("subscription")
    return {
        "blocks": [r for r in rules if r.state == "active" and r.action in BLOCK_ACTIONS],
        "allows": [r for r in rules if r.state == "active" and r.action == "allow"],
        "drafts": [r for r in rules if r.state == "draft"],
        "rejected": [r for r in rules if r.state == "rejected"],
        "actors": await ActorBlock.all().order_by("uri"),
        "subscriptions": await PolicySubscription.all().order_by("kind", "url"),
    }
