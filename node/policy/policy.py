"""Federation policy: who this node talks to (open, block list, allow list; per-domain and per-actor rules).

The decision engine. It sits on the hot path of the inbox, of every delivery and of every outgoing
request, so it answers from an in-memory snapshot of the rules kept in `node.extra`. A change made
through node/policy_admin.py drops this process's snapshot at once and writes a new random value
under the SiteSetting "policy.generation"; other processes (a stand-alone `agora worker`) compare that
one row at most every CHECK_SECONDS and reload the rules only when it changed (and, as a safety net
for rows written without `changed`, every RELOAD_SECONDS).

Domains: a rule on example.com also covers a.example.com. Matching is case-insensitive and
IDNA-normalized (a rule written "bücher.example" matches "xn--bcher-kva.example").
Modes: "open" and "blocklist" contact every domain except suspended ones; "allowlist" contacts only
the allowed domains (and their subdomains) and treats every other domain as suspended. A suspension
wins over an allow.
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import idna

from node.policy.models import ActorBlock, DomainPolicy
from node.core.models import SiteSetting
from node.core.runtime import Node

MODES = ("open", "blocklist", "allowlist")
BLOCK_ACTIONS = ("suspend", "silence", "noop")
ACTIONS = (*BLOCK_ACTIONS, "allow")
ACTOR_ACTIONS = ("suspend", "silence")

GENERATION_KEY = "policy.generation"
MODE_KEY = "policy.mode"
AUTHORIZED_FETCH_KEY = "policy.authorized_fetch"
LIMITED_FEDERATION_KEY = "policy.limited_federation"
CHECK_SECONDS = 2.0  # how stale another process's change may be seen here, at most
RELOAD_SECONDS = 60.0  # a full reload anyway, for rows written without `changed` (a repair by hand)
_CACHE = "policy"


class PolicyError(ValueError):
    """A rule that cannot be applied as given; the message says why."""


# ------------------------------------------------------------------ domains


def _idna(host: str) -> str:
    """A host name in its ASCII (punycode) form, lowercase. Raises PolicyError when it is not one."""
    if host.isascii():
        return host.lower()
    try:
        return idna.encode(host, uts46=True).decode("ascii").lower()
    except idna.IDNAError:
        try:
            return host.encode("idna").decode("ascii").lower()
        except UnicodeError:
            raise PolicyError(f"not a domain name: {host!r}") from None


def _strip_port(host: str) -> str:
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    if host.count(":") == 1:
        return host.split(":", 1)[0]
    return host


def _valid_label(label: str) -> bool:
    return 0 < len(label) <= 63 and all(c.isalnum() or c in "-_" for c in label) and label.isascii()


def normalize_domain(text: str) -> str:
    """The canonical form of a domain an admin typed or a list gave: lowercase ASCII, without scheme,
    port, path or trailing dot; "*.example.com" means example.com (subdomains are always covered).
    Raises PolicyError."""
    value = text.strip().strip("\ufeff")
    if "://" in value:
        try:
            value = urlsplit(value).hostname or ""
        except ValueError:
            raise PolicyError(f"not a domain name: {text!r}") from None
    value = value.split("/", 1)[0].rstrip(".").lower()
    if value.startswith("*."):
        value = value[2:]
    value = _strip_port(value)
    if not value:
        raise PolicyError("the domain is empty")
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        pass
    value = _idna(value)
    if len(value) > 253 or not all(_valid_label(label) for label in value.split(".")):
        raise PolicyError(f"not a domain name: {text.strip()!r}")
    return value


def host_of(uri_or_domain: str) -> str:
    """The host a URI, an acct: handle, a key id or a bare domain names: lowercase ASCII without port.
    Never raises ("" when there is none)."""
    value = uri_or_domain.strip()
    if "://" in value:
        try:
            host = urlsplit(value).hostname or ""
        except ValueError:
            return ""
    elif "@" in value:
        host = _strip_port(value.rsplit("@", 1)[-1].split("/", 1)[0])
    else:
        host = _strip_port(value.split("/", 1)[0])
    host = host.rstrip(".").lower()
    try:
        return _idna(host)
    except PolicyError:
        return host


def suffixes(host: str) -> Iterator[str]:
    """a.b.example.com, b.example.com, example.com, com: every domain whose rules cover `host`."""
    if not host:
        return
    try:
        ipaddress.ip_address(host)
        yield host
        return
    except ValueError:
        pass
    labels = host.split(".")
    for i in range(len(labels)):
        yield ".".join(labels[i:])


def covers(rule_domain: str, host: str) -> bool:
    return host == rule_domain or host.endswith("." + rule_domain)


def public_domain(domain: str, obfuscate: bool) -> str:
    """What the public sees of a blocked domain: itself, or (obfuscated) with its middle hidden, the
    way Mastodon shows it (the first and last quarters and the dots stay)."""
    if not obfuscate:
        return domain
    visible = len(domain) // 4
    return "".join(c if i <= visible or i >= len(domain) - visible or c == "." else "*" for i, c in enumerate(domain))


def digest(domain: str) -> str:
    return hashlib.sha256(domain.encode()).hexdigest()


# ------------------------------------------------------------------ the snapshot


@dataclass(frozen=True)
class DomainRule:
    domain: str
    action: str  # suspend | silence | noop
    reject_media: bool = False
    reject_reports: bool = False


@dataclass(frozen=True)
class Snapshot:
    """Every active rule, as read at one moment; decisions are pure functions of it."""

    mode: str = "open"
    authorized_fetch: bool = False
    limited_federation: bool = False
    blocks: Mapping[str, DomainRule] = field(default_factory=dict)
    allows: frozenset[str] = frozenset()
    actors: Mapping[str, str] = field(default_factory=dict)  # actor URI -> suspend | silence
    generation: Any = None

    @property
    def secure(self) -> bool:
        """Authorized fetch in effect: asked for, or implied by the allow list (only listed domains may
        fetch) or by limited federation (what the pages hide must not be readable as ActivityPub)."""
        return self.authorized_fetch or self.mode == "allowlist" or self.limited_federation

    def rules_for(self, host: str) -> list[DomainRule]:
        return [rule for name in suffixes(host) if (rule := self.blocks.get(name)) is not None]

    def allowed(self, host: str) -> bool:
        return any(name in self.allows for name in suffixes(host))

    def domain_refusal(self, host: str) -> str | None:
        """Why no contact is allowed with this host (None: contact allowed)."""
        if not host:
            return None
        for rule in self.rules_for(host):
            if rule.action == "suspend":
                return f"domain {rule.domain} is suspended"
        if self.mode == "allowlist" and not self.allowed(host):
            return f"domain {host} is not on the allow list"
        return None

    def actor_action(self, uri: str) -> str | None:
        return self.actors.get(uri.split("#", 1)[0]) if "://" in uri else None

    def refusal(self, uri_or_domain: str) -> str | None:
        if self.actor_action(uri_or_domain) == "suspend":
            return f"account {uri_or_domain.split('#', 1)[0]} is blocked"
        return self.domain_refusal(host_of(uri_or_domain))

    def silenced(self, uri_or_domain: str) -> bool:
        if self.actor_action(uri_or_domain) in ("silence", "suspend"):
            return True
        host = host_of(uri_or_domain)
        if any(rule.action in ("silence", "suspend") for rule in self.rules_for(host)):
            return True
        return self.domain_refusal(host) is not None

    def media_rejected(self, uri_or_domain: str) -> bool:
        host = host_of(uri_or_domain)
        if self.actor_action(uri_or_domain) == "suspend":
            return True
        return any(rule.reject_media for rule in self.rules_for(host)) or self.domain_refusal(host) is not None

    def reports_rejected(self, uri_or_domain: str) -> bool:
        host = host_of(uri_or_domain)
        return any(rule.reject_reports for rule in self.rules_for(host)) or self.domain_refusal(host) is not None


@dataclass
class _Cached:
    snapshot: Snapshot
    checked: float
    loaded: float


async def _setting(key: str) -> Any:
    row = await SiteSetting.get_or_none(key=key)
    return None if row is None else row.value


async def _generation() -> Any:
    return await _setting(GENERATION_KEY)


async def load(node: Node) -> Snapshot:
    """Read every active rule and runtime setting from the database."""
    generation = await _generation()
    settings = {row.key: row.value for row in await SiteSetting.filter(
        key__in=[MODE_KEY, AUTHORIZED_FETCH_KEY, LIMITED_FEDERATION_KEY])}
    mode = settings.get(MODE_KEY)
    if isinstance(mode, dict):
        mode = mode.get("mode")
    if mode not in MODES:
        mode = node.settings.policy.mode
    secure = settings.get(AUTHORIZED_FETCH_KEY)
    limited = settings.get(LIMITED_FEDERATION_KEY)
    blocks: dict[str, DomainRule] = {}
    allows: set[str] = set()
    for row in await DomainPolicy.filter(state="active"):
        if row.action == "allow":
            allows.add(row.domain)
        elif row.action in BLOCK_ACTIONS:
            blocks[row.domain] = DomainRule(row.domain, row.action, row.reject_media, row.reject_reports)
    actors = {row.uri: row.action for row in await ActorBlock.all()}
    return Snapshot(
        mode=str(mode),
        authorized_fetch=secure if isinstance(secure, bool) else node.settings.policy.authorized_fetch,
        limited_federation=limited if isinstance(limited, bool) else node.settings.policy.limited_federation,
        blocks=blocks, allows=frozenset(allows), actors=actors, generation=generation,
    )


async def snapshot(node: Node) -> Snapshot:
    """The rules in force, from memory; the database is asked (one row) at most every CHECK_SECONDS."""
    cached: _Cached | None = node.extra.get(_CACHE)
    now = time.monotonic()
    if cached is not None and now - cached.checked < CHECK_SECONDS:
        return cached.snapshot
    fresh_enough = cached is not None and now - cached.loaded < RELOAD_SECONDS
    if cached is not None and fresh_enough and await _generation() == cached.snapshot.generation:
        cached.checked = now
        return cached.snapshot
    fresh = await load(node)
    node.extra[_CACHE] = _Cached(fresh, now, now)
    return fresh


async def changed(node: Node) -> None:
    """Call after every change of rules or policy settings: this process reloads at once, the others
    within CHECK_SECONDS."""
    await SiteSetting.update_or_create(defaults={"value": secrets.randbits(62)}, key=GENERATION_KEY)
    node.extra.pop(_CACHE, None)


def _is_own(node: Node, uri_or_domain: str) -> bool:
    value = uri_or_domain.strip()
    if "://" in value:
        return node.urls.is_local(value)
    return value.lower() in (node.urls.host.lower(), host_of(node.urls.base))


# ------------------------------------------------------------------ the decisions


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
