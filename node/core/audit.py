"""The audit log: every moderation and admin action, who did it and when (never edited)."""

from __future__ import annotations

from typing import Any

from node.core.models import AuditEntry, User


async def record(user: User | None, action: str, target: str = "", by: str | None = None, **details: Any) -> AuditEntry:
    """Write one entry. `user` is the member acting from the web; `by` names the actor otherwise
    ("cli", "system", a subscription). `action` is dotted, e.g. "domain.suspend", "report.dismiss"."""
    who = by or (user.username if user is not None else "system")
    return await AuditEntry.create(user=user, by=who[:128], action=action[:64], target=target[:2048], details=details)
