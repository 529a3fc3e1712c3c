"""Federation policy: who this node talks to (open, block list, allow list; per-domain and per-actor rules).

The decisions, each a question about an actor, a domain or a URL, answered from the snapshot of the
rules in force (node/policy/snapshot.py); the node's own domain is never refused. Domain names are
read by node/policy/domains.py.
"""

from __future__ import annotations

from typing import Any

from node.policy.domains import digest, host_of, public_domain
from node.policy.models import DomainPolicy
from node.policy.snapshot import snapshot
from node.core.runtime import Node


def _is_own(node: Node, uri_or_domain: str) -> bool:
    value = uri_or_domain.strip()
    if "://" in value:
        return node.urls.is_local(value)
    return value.lower() in (node.urls.host.lower(), host_of(node.urls.base))


async def block_reason(node: Node, uri_or_domain: str) -> str | None:
    """Why no contact at all is allowed with this actor or domain (None: allowed)."""
    if _is_own(node, uri_or_domain):
        return None
    return (await snapshot(node)).refusal(uri_or_domain)


async def is_blocked(node: Node, uri_or_domain: str) -> bool:
    """True when no contact at all is allowed with this domain or actor (suspended, or not on the allow
    list in allowlist mode)."""
    return await block_reason(node, uri_or_domain) is not None


async def is_silenced(node: Node, actor_uri: str) -> bool:
    """True when this actor's content must stay off public pages (silenced domain or actor; a blocked
    one is silenced too) and its follow requests need approval."""
    if _is_own(node, actor_uri):
        return False
    return (await snapshot(node)).silenced(actor_uri)


async def rejects_media(node: Node, domain: str) -> bool:
    """True when remote media (avatars, attachments) from this domain (or URL) is neither fetched nor
    shown."""
    if _is_own(node, domain):
        return False
    return (await snapshot(node)).media_rejected(domain)


async def rejects_reports(node: Node, domain: str) -> bool:
    """True when reports (Flag) from this domain are ignored."""
    if _is_own(node, domain):
        return False
    return (await snapshot(node)).reports_rejected(domain)


async def client_check(node: Node, url: str) -> str | None:
    """The outgoing gate (FederationClient.policy_check): a reason to refuse a request to `url`."""
    reason = await block_reason(node, url)
    return None if reason is None else f"{host_of(url)}: {reason}"


async def mode(node: Node) -> str:
    return (await snapshot(node)).mode


async def authorized_fetch(node: Node) -> bool:
    """Secure mode in effect (asked for, or implied by the allow list or limited federation)."""
    return (await snapshot(node)).secure


async def limited_federation(node: Node) -> bool:
    return (await snapshot(node)).limited_federation


async def public_rules(node: Node) -> list[dict[str, Any]]:
    """The domain rules the public may see (the /about page): blocks that limit something, and in
    allowlist mode the allowed domains. Obfuscated domains have their middle hidden; private comments
    never appear. Each: {domain, digest, severity (suspend|silence|noop|allow), reject_media, comment}."""
    current = await snapshot(node)
    rows = await DomainPolicy.filter(state="active").order_by("domain")
    result: list[dict[str, Any]] = []
    for row in rows:
        if row.action == "allow" and current.mode != "allowlist":
            continue
        if row.action == "noop" and not row.reject_media:
            continue
        result.append({
            "domain": public_domain(row.domain, row.obfuscate),
            "digest": digest(row.domain),
            "severity": row.action,
            "reject_media": row.reject_media,
            "comment": row.public_comment,
        })
    return result
