"""Changes to the federation policy: mode and secure-mode settings, domain rules, drafts, per-actor
blocks, list import and export, subscriptions. Every change records an audit entry, then tells the
engine (node/policy.py) so that every process applies it.

A suspension cuts contact at once: follows in both directions are removed (no Undo is sent: no contact
at all) and the remote content of the suspended accounts is deleted (posts, likes and boosts, event
participations, support of initiatives, network events and initiatives), with the counters of our own
objects recounted. The accounts themselves stay known, so that lifting the suspension works."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from federation import vocab
from node.core import audit, jobs
from node.events import events
from node.policy import policy
from node.social.interactions import recount
from node.initiatives.initiatives import recount_support
from node.core.models import Actor, Follow, Interaction, Post, SiteSetting, User
from node.policy.models import ActorBlock, DomainPolicy, PolicySubscription
from node.events.models import Event, Participation
from node.initiatives.models import Initiative, Support
from node.policy.policy import ACTIONS, ACTOR_ACTIONS, BLOCK_ACTIONS, MODES, PolicyError
from node.policy.lists import ALLOW_HEADER, BLOCK_HEADER, ListError, ParsedList, block_rows, parse, write_csv
from node.core.runtime import Node

log = logging.getLogger("agora.policy")

SUBSCRIPTION_JOB = "policy.subscription"
KINDS = ("block", "allow")
MAX_COMMENT = 2_000
FLAG_KEYS = {"authorized_fetch": policy.AUTHORIZED_FETCH_KEY, "limited_federation": policy.LIMITED_FEDERATION_KEY}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def actions_of(kind: str) -> tuple[str, ...]:
    return BLOCK_ACTIONS if kind == "block" else ("allow",)


def kind_of(action: str) -> str:
    return "allow" if action == "allow" else "block"


def _text(value: str, what: str) -> str:
    text = (value or "").replace("\x00", "").strip()
    if len(text) > MAX_COMMENT:
        raise PolicyError(f"the {what} is longer than {MAX_COMMENT} characters")
    return text


def _domain(node: Node, domain: str) -> str:
    name = policy.normalize_domain(domain)
    if name in (node.urls.host.lower(), policy.host_of(node.urls.base)):
        raise PolicyError(f"{name} is this node's own domain")
    return name


# ------------------------------------------------------------------ settings


async def set_mode(node: Node, value: str, *, user: User | None = None, by: str | None = None) -> None:
    if value not in MODES:
        raise PolicyError(f"the mode must be one of {', '.join(MODES)}")
    previous = await policy.mode(node)
    # {"mode": ...}: Tortoise's JSONField cannot take a bare string (it would parse it as JSON)
    await SiteSetting.update_or_create(defaults={"value": {"mode": value}}, key=policy.MODE_KEY)
    await audit.record(user, "policy.mode", value, by=by, previous=previous)
    await policy.changed(node)


async def set_flag(node: Node, name: str, value: bool, *, user: User | None = None, by: str | None = None) -> None:
    """authorized_fetch (secure mode) or limited_federation, overriding the config file."""
    key = FLAG_KEYS.get(name)
    if key is None:
        raise PolicyError(f"unknown setting {name!r}")
    await SiteSetting.update_or_create(defaults={"value": bool(value)}, key=key)
    await audit.record(user, f"policy.{name}", "on" if value else "off", by=by)
    await policy.changed(node)


# ------------------------------------------------------------------ domain rules


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
        "public_comment": _text(public_comment, "public comment"),
        "private_comment": _text(private_comment, "private comment"),
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
    await policy.changed(node)
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
    await policy.changed(node)
    return rule


async def remove_domain(node: Node, domain: str, kind: str, *, user: User | None = None, by: str | None = None) -> bool:
    """Lift the active block (or allow) of a domain. False when there was none."""
    rule = await active_rule(policy.normalize_domain(domain), kind)
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
    await policy.changed(node)
    if approve and draft.action == "suspend" and previous != "suspend":
        await suspend_domain_effects(node, draft.domain, user=user, by=by)
    return draft


# ------------------------------------------------------------------ per-actor blocks


async def block_actor(node: Node, uri: str, action: str = "suspend", reason: str = "", *,
                      user: User | None = None, by: str | None = None) -> ActorBlock:
    uri = uri.strip().split("#", 1)[0]
    if not vocab.is_http_url(uri) or len(uri) > 2048:
        raise PolicyError("give the account's address as an https:// URL")
    if node.urls.is_local(uri):
        raise PolicyError("accounts of this node are managed from the members page, not blocked")
    if action not in ACTOR_ACTIONS:
        raise PolicyError(f"the action must be one of {', '.join(ACTOR_ACTIONS)}")
    reason = _text(reason, "reason")
    row, created = await ActorBlock.get_or_create(defaults={"action": action, "reason": reason}, uri=uri)
    previous = None if created else row.action
    if not created:
        await ActorBlock.filter(id=row.id).update(action=action, reason=reason)
        await row.refresh_from_db()
    await audit.record(user, f"actor.{action}", uri, by=by, previous=previous, reason=reason)
    await policy.changed(node)
    if action == "suspend" and previous != "suspend":
        counts = await purge_actors([actor.id for actor in await Actor.filter(uri=uri, local=False).only("id")])
        if any(counts.values()):
            await audit.record(user, "actor.purge", uri, by=by, **counts)
    return row


async def unblock_actor(node: Node, block_id: int, *, user: User | None = None, by: str | None = None) -> ActorBlock:
    row = await ActorBlock.get_or_none(id=block_id)
    if row is None:
        raise PolicyError("no such account block (it may have been lifted already)")
    await row.delete()
    await audit.record(user, "actor.unblock", row.uri, by=by, rule=row.action)
    await policy.changed(node)
    return row


# ------------------------------------------------------------------ what a suspension removes


async def actors_on(domain: str) -> list[int]:
    """Ids of the known remote actors on a domain or its subdomains."""
    rows = await Actor.filter(local=False).filter(
        Q(domain=domain) | Q(domain__endswith=f".{domain}") | Q(domain__startswith=f"{domain}:")
        | Q(domain__contains=f".{domain}:")
    ).values_list("id", "domain")
    return [row_id for row_id, host in rows if policy.covers(domain, policy.host_of(host))]


async def purge_actors(ids: Sequence[int]) -> dict[str, int]:
    """Remove the follows (both ways) and the remote content of these actors; recount ours."""
    if not ids:
        return {"follows": 0, "posts": 0}
    ids = list(ids)
    async with in_transaction():
        follows = await Follow.filter(Q(follower_id__in=ids) | Q(target_id__in=ids)).delete()
        touched = set(await Interaction.filter(actor_id__in=ids).values_list("post_id", flat=True))
        touched |= set(await Post.filter(author_id__in=ids, in_reply_to_id__isnull=False)
                       .values_list("in_reply_to_id", flat=True))
        await Interaction.filter(actor_id__in=ids).delete()
        posts = await Post.filter(author_id__in=ids, local=False).delete()
        event_ids = set(await Participation.filter(actor_id__in=ids).values_list("event_id", flat=True))
        await Participation.filter(actor_id__in=ids).delete()
        initiative_ids = set(await Support.filter(actor_id__in=ids).values_list("initiative_id", flat=True))
        await Support.filter(actor_id__in=ids).delete()
        network_events = await Event.filter(organizer_id__in=ids, local=False).delete()
        network_initiatives = await Initiative.filter(organizer_id__in=ids, local=False).delete()
    for post_id in touched:
        if isinstance(post_id, int) and await Post.filter(id=post_id).exists():
            await recount(post_id)
    for event in await Event.filter(id__in=[i for i in event_ids if isinstance(i, int)]):
        await events.recount(event)
    for initiative in await Initiative.filter(id__in=[i for i in initiative_ids if isinstance(i, int)]):
        await recount_support(initiative)
    return {"follows": follows, "posts": posts, "events": network_events, "initiatives": network_initiatives}


async def suspend_domain_effects(node: Node, domain: str, *, user: User | None = None, by: str | None = None) -> dict[str, int]:
    counts = await purge_actors(await actors_on(domain))
    if any(counts.values()):
        await audit.record(user, "domain.purge", domain, by=by, **counts)
    return counts


# ------------------------------------------------------------------ import and export


@dataclass(frozen=True)
class ImportResult:
    created: list[str]
    existing: int  # domains that already had an active rule of this kind (left as they were)
    skipped: int  # obfuscated domains
    format: str


async def import_list(node: Node, text: str, kind: str, *, source: str = "", content_type: str = "",
                      user: User | None = None, by: str | None = None) -> ImportResult:
    """Import a block or allow list (Mastodon CSV, plain domains or JSON). All or nothing: a bad line
    raises ListError and nothing is applied. Domains that already have a rule keep it."""
    if kind not in KINDS:
        raise PolicyError("the list is a block list or an allow list")
    parsed = parse(text, content_type)
    own = {node.urls.host.lower(), policy.host_of(node.urls.base)}
    for entry in parsed.entries:
        if entry.domain in own:
            raise ListError(f"{entry.domain} is this node's own domain")
    note = f"imported from {source or 'a file'} on {utcnow():%Y-%m-%d}"
    async with in_transaction():
        taken = {r.domain for r in await DomainPolicy.filter(state="active", action__in=actions_of(kind)).only("domain")}
        fresh = [e for e in parsed.entries if e.domain not in taken]
        await DomainPolicy.filter(domain__in=[e.domain for e in fresh], state="draft",
                                  action__in=actions_of(kind)).delete()
        await DomainPolicy.bulk_create([
            DomainPolicy(
                domain=e.domain, action=e.severity if kind == "block" else "allow", state="active",
                reject_media=e.reject_media and kind == "block", reject_reports=e.reject_reports and kind == "block",
                public_comment=e.public_comment, private_comment=note, obfuscate=e.obfuscate,
            )
            for e in fresh
        ], batch_size=500)
    result = ImportResult([e.domain for e in fresh], len(parsed.entries) - len(fresh), parsed.skipped, parsed.format)
    await audit.record(user, f"domain.import_{kind}", source[:200], by=by, created=len(result.created),
                       existing=result.existing, skipped=result.skipped, format=parsed.format)
    await policy.changed(node)
    if kind == "block":
        for entry in fresh:
            if entry.severity == "suspend":
                await suspend_domain_effects(node, entry.domain, user=user, by=by)
    return result


async def export_csv(kind: str) -> str:
    """The active block list in Mastodon's CSV format, or the allow list (`#domain`), cells made safe
    for spreadsheets."""
    if kind == "allow":
        rows = await DomainPolicy.filter(state="active", action="allow").order_by("domain")
        return write_csv(([r.domain] for r in rows), ALLOW_HEADER)
    rules = await DomainPolicy.filter(state="active", action__in=BLOCK_ACTIONS).order_by("domain")
    return write_csv(block_rows(rules), BLOCK_HEADER)


# ------------------------------------------------------------------ subscriptions


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
    await policy.changed(node)
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
    own = {node.urls.host.lower(), policy.host_of(node.urls.base)}
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
            if current is not None and current.subscription_id != sub.id:  # type: ignore[attr-defined]
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
        await policy.changed(node)
    for domain in suspended:
        await suspend_domain_effects(node, domain, by=f"subscription #{sub.id}")
    return result


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


def refresh_due(sub: PolicySubscription) -> datetime:
    return jobs.utcnow() + timedelta(hours=sub.refresh_hours)
