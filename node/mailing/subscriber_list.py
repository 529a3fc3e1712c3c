"""The admin's view of the mailing list: counts by status and by kind, and a search by address."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from node.mailing.models import Subscriber
from node.mailing.subscribers import MAX_EMAIL


@dataclass
class Counts:
    pending: int = 0
    active: int = 0
    unsubscribed: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.pending + self.active + self.unsubscribed


async def counts() -> Counts:
    found = Counts(pending=await Subscriber.filter(status="pending").count(),
                   active=await Subscriber.filter(status="active").count(),
                   unsubscribed=await Subscriber.filter(status="unsubscribed").count())
    for kinds in await Subscriber.filter(status="active").values_list("kinds", flat=True):
        listed: list[Any] = kinds if isinstance(kinds, list) else []
        for kind in listed:
            if isinstance(kind, str):
                found.by_kind[kind] = found.by_kind.get(kind, 0) + 1
    return found


async def search(query: str, status: str = "", page: int = 1, per_page: int = 50) -> tuple[list[Subscriber], bool]:
    """Rows whose address contains `query` (and with `status`), newest first: (page, more after it)."""
    rows = Subscriber.all()
    if query.strip():
        rows = rows.filter(email__icontains=query.strip().lower()[:MAX_EMAIL])
    if status in ("pending", "active", "unsubscribed"):
        rows = rows.filter(status=status)
    found = await rows.order_by("-id").offset((max(page, 1) - 1) * per_page).limit(per_page + 1)
    return found[:per_page], len(found) > per_page
