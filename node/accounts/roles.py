"""The roles a member can have, and the ones that may publish (posts, events, initiatives)."""

from __future__ import annotations

ROLES = ("admin", "moderator", "editor", "member")
PUBLISHING_ROLES = frozenset({"admin", "editor"})
