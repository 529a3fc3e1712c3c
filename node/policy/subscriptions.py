"""Subscriptions to published block or allow lists: adding, changing and removing them, and bringing
their rules in line with each fetch (the fetching job is jobs.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from federation import vocab
from node.core import audit, jobs
from node.policy.domains import PolicyError, host_of
from node.policy.snapshot import changed
from node.core.models import User
from node.policy.models import DomainPolicy, PolicySubscription
from node.policy.lists import ParsedList
from node.policy.rules import KINDS, MAX_COMMENT, actions_of
from node.policy.suspension import suspend_domain_effects
from node.core.runtime import Node

SUBSCRIPTION_JOB = "policy.subscription"


async def schedule(subscription_id: int, run_at: datetime) -> None:
    """Queue a refresh of a subscription (one job per subscription and time)."""
    await jobs.enqueue(SUBSCRIPTION_JOB, {"subscription": subscription_id}, run_at=run_at,
                       dedupe_key=f"policy.subscription {subscription_id} {int(run_at.timestamp())}")


async def add_subscription(node: Node, url: str, kind: str, *, refresh_hours: int = 24, auto_approve: bool = False,
                           user: User | None = None, by: str | None = None) -> PolicySubscription:
    url = url.strip()
    if not vocab.is_http_url(url) or len(url) > 2048:
        raise PolicyError("the list's address must be an http(s) URL")
    if kind not in KINDS:
        raise PolicyError("a subscription brings a block list or an allow list")
    if not 1 <= refresh_hours <= 24 * 365:
        raise PolicyError("refresh every 1 to 8760 hours")
    try:
        sub = await PolicySubscription.create(kind=kind, url=url, refresh_hours=refresh_hours, auto_approve=auto_approve)
    except IntegrityError:
        raise PolicyError(f"already subscribed to {url} as a {kind} list") from None
    await schedule(sub.id, jobs.utcnow())
    node.wake_worker()
    await audit.record(user, "subscription.add", url, by=by, kind=kind, refresh_hours=refresh_hours,
                       auto_approve=auto_approve)
    return sub


async def update_subscription(node: Node, sub_id: int, *, refresh_hours: int, auto_approve: bool,
                              user: User | None = None, by: str | None = None) -> PolicySubscription:
    sub = await PolicySubscription.get_or_none(id=sub_id)
    if sub is None:
        raise PolicyError("no such subscription")
    if not 1 <= refresh_hours <= 24 * 365:
        raise PolicyError("refresh every 1 to 8760 hours")
    sub.refresh_hours, sub.auto_approve = refresh_hours, auto_approve
    await sub.save(update_fields=["refresh_hours", "auto_approve"])
    await audit.record(user, "subscription.update", sub.url, by=by, refresh_hours=refresh_hours, auto_approve=auto_approve)
    return sub


async def remove_subscription(node: Node, sub_id: int, *, keep_rules: bool = False, user: User | None = None,
                              by: str | None = None) -> PolicySubscription:
    """Unsubscribe; the rules it brought go too (drafts always), unless `keep_rules`."""
    sub = await PolicySubscription.get_or_none(id=sub_id)
    if sub is None:
        raise PolicyError("no such subscription (it may have been removed already)")
    async with in_transaction():
        query = DomainPolicy.filter(subscription_id=sub.id)
        removed = await (query.filter(state__in=["draft", "rejected"]) if keep_rules else query).delete()
        await sub.delete()
    await audit.record(user, "subscription.remove", sub.url, by=by, rules_removed=removed, kept=keep_rules)
    await changed(node)
    return sub


@dataclass(frozen=True)
class RefreshResult:
    created: int = 0
    drafts: int = 0
    removed: int = 0
    updated: int = 0
    skipped: int = 0


async def apply_subscription(node: Node, sub: PolicySubscription, parsed: ParsedList) -> RefreshResult:
    """Bring the subscription's rules in line with the list just fetched: new entries become drafts
    (or active rules with auto-approve), entries gone from the list are removed when they came from it
    and were never edited (an edited rule is detached from its subscription), rejected drafts stay
    rejected. Domains with a rule of their own (manual, imported, another list) are left alone."""
    own = {node.urls.host.lower(), host_of(node.urls.base)}
    wanted = {e.domain: e for e in parsed.entries if e.domain not in own}

    def action_for(domain: str) -> str:
        return wanted[domain].severity if sub.kind == "block" else "allow"

    actions = actions_of(sub.kind)
    created = drafts = removed = updated = 0
    suspended: list[str] = []
    note = f"from the subscription {sub.url}"[:MAX_COMMENT]
    async with in_transaction():
        ours = await DomainPolicy.filter(subscription_id=sub.id)
        for row in ours:
            gone = row.domain not in wanted
            if gone or (row.state == "draft" and row.action != action_for(row.domain)):
                await row.delete()
                removed += gone
        ours = [row for row in ours if row.domain in wanted and not (row.state == "draft" and row.action != action_for(row.domain))]
        rows = await DomainPolicy.filter(domain__in=list(wanted), action__in=actions)
        active = {r.domain: r for r in rows if r.state == "active"}
        pending = {(r.domain, r.action) for r in rows if r.state == "draft"} | {(r.domain, r.action) for r in ours if r.state == "draft"}
        rejected = {(r.domain, r.action) for r in rows if r.state == "rejected"}
        for domain, entry in wanted.items():
            action = action_for(domain)
            current = active.get(domain)
            if (domain, action) in rejected or (current is not None and current.action == action):
                continue
            if current is not None and current.subscription_id != sub.id:
                continue  # the domain has a rule of its own (manual, imported, another list)
            values: dict[str, Any] = {
                "reject_media": entry.reject_media and sub.kind == "block",
                "reject_reports": entry.reject_reports and sub.kind == "block",
                "public_comment": entry.public_comment, "obfuscate": entry.obfuscate,
            }
            if sub.auto_approve and current is not None:
                await DomainPolicy.filter(id=current.id).update(action=action, **values)
                updated += 1
            elif sub.auto_approve:
                await DomainPolicy.create(domain=domain, action=action, state="active", subscription_id=sub.id,
                                          private_comment=note, **values)
                created += 1
            elif (domain, action) not in pending:
                await DomainPolicy.create(domain=domain, action=action, state="draft", subscription_id=sub.id,
                                          private_comment=note, **values)
                drafts += 1
            else:
                continue
            if sub.auto_approve and action == "suspend":
                suspended.append(domain)
    result = RefreshResult(created, drafts, removed, updated, parsed.skipped)
    if created or drafts or removed or updated:
        await audit.record(None, "subscription.refresh", sub.url, by=f"subscription #{sub.id}", created=created,
                           drafts=drafts, removed=removed, updated=updated)
        await changed(node)
    for domain in suspended:
        await suspend_domain_effects(node, domain, by=f"subscription #{sub.id}")
    return result


def refresh_due(sub: PolicySubscription) -> datetime:
    return jobs.utcnow() + timedelta(hours=sub.refresh_hours)
