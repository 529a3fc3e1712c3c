"""The rules in force, as an in-memory snapshot kept in `node.extra`.

The policy sits on the hot path of the inbox, of every delivery and of every outgoing request, so it
answers from this snapshot. A change made through the admin's services calls `changed`, which drops
this process's snapshot at once and writes a new random value under the SiteSetting
"policy.generation"; other processes (a stand-alone `agora worker`) compare that one row at most every
CHECK_SECONDS and reload the rules only when it changed (and, as a safety net for rows written without
`changed`, every RELOAD_SECONDS).

Modes: "open" and "blocklist" contact every domain except suspended ones; "allowlist" contacts only
the allowed domains (and their subdomains) and treats every other domain as suspended. A suspension
wins over an allow.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from node.policy.domains import host_of, suffixes
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
log = logging.getLogger("agora.policy")
CHECK_SECONDS = 2.0  # how stale another process's change may be seen here, at most
RELOAD_SECONDS = 60.0  # a full reload anyway, for rows written without `changed` (a repair by hand)
_CACHE = "policy"


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
    """The rules in force, from memory; the database is asked (one row) at most every CHECK_SECONDS.
    While the database does not answer, the rules last read stay in force (so pages that need no query,
    and /healthz, still answer); with none read yet, the error goes up."""
    cached: _Cached | None = node.extra.get(_CACHE)
    now = time.monotonic()
    if cached is not None and now - cached.checked < CHECK_SECONDS:
        return cached.snapshot
    try:
        return await _refresh(node, cached, now)
    except Exception as exc:  # noqa: BLE001 - a lost database must not take every request down
        if cached is None:
            raise
        log.warning("policy rules not refreshed (the database did not answer: %s); the last ones stay in force",
                    exc)
        cached.checked = now
        return cached.snapshot


async def _refresh(node: Node, cached: _Cached | None, now: float) -> Snapshot:
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
