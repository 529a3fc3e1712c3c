"""Importing and exporting block and allow lists (Mastodon CSV, plain domains or JSON; the parsing
and writing is lists.py). An import is all or nothing and leaves the domains that have a rule alone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from tortoise.transactions import in_transaction

from node.core import audit
from node.policy.domains import PolicyError, host_of
from node.policy.snapshot import BLOCK_ACTIONS, changed
from node.core.models import User
from node.policy.models import DomainPolicy
from node.policy.lists import ALLOW_HEADER, BLOCK_HEADER, ListError, block_rows, parse, write_csv
from node.policy.rules import KINDS, actions_of
from node.policy.suspension import suspend_domain_effects
from node.core.runtime import Node


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


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
    own = {node.urls.host.lower(), host_of(node.urls.base)}
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
    await changed(node)
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
