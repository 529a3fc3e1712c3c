"""Federation policy: who this node talks to (open, block list, allow list; per-domain and per-actor rules).

STUB written by the lead so other modules can call it; the policy work replaces the bodies, keeping
these signatures."""

from __future__ import annotations

from node.runtime import Node


async def is_blocked(node: Node, uri_or_domain: str) -> bool:
    """True when no contact at all is allowed with this domain or actor (suspended, or not on the allow
    list in allowlist mode)."""
    return False


async def is_silenced(node: Node, actor_uri: str) -> bool:
    """True when this actor's content must stay off public pages (silenced domain or actor)."""
    return False


async def rejects_media(node: Node, domain: str) -> bool:
    return False
