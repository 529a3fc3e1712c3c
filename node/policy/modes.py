"""The federation mode (open, blocklist, allowlist) and the secure-mode switches (authorized fetch,
limited federation) an admin sets at run time, overriding the config file. Every change records an
audit entry, then tells the engine (node/policy/policy.py) so that every process applies it."""

from __future__ import annotations

from node.core import audit
from node.policy import policy
from node.policy.domains import PolicyError
from node.policy.snapshot import AUTHORIZED_FETCH_KEY, LIMITED_FEDERATION_KEY, MODES, MODE_KEY, changed
from node.core.models import SiteSetting, User
from node.core.runtime import Node

FLAG_KEYS = {"authorized_fetch": AUTHORIZED_FETCH_KEY, "limited_federation": LIMITED_FEDERATION_KEY}


async def set_mode(node: Node, value: str, *, user: User | None = None, by: str | None = None) -> None:
    if value not in MODES:
        raise PolicyError(f"the mode must be one of {', '.join(MODES)}")
    previous = await policy.mode(node)
    # {"mode": ...}: Tortoise's JSONField cannot take a bare string (it would parse it as JSON)
    await SiteSetting.update_or_create(defaults={"value": {"mode": value}}, key=MODE_KEY)
    await audit.record(user, "policy.mode", value, by=by, previous=previous)
    await changed(node)


async def set_flag(node: Node, name: str, value: bool, *, user: User | None = None, by: str | None = None) -> None:
    """authorized_fetch (secure mode) or limited_federation, overriding the config file."""
    key = FLAG_KEYS.get(name)
    if key is None:
        raise PolicyError(f"unknown setting {name!r}")
    await SiteSetting.update_or_create(defaults={"value": bool(value)}, key=key)
    await audit.record(user, f"policy.{name}", "on" if value else "off", by=by)
    await changed(node)
