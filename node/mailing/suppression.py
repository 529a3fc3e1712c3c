"""Addresses that get no more mail: every sender asks `blocked(email)` before each message. Hard
bounces are counted and block an address at `[mail] bounce_threshold`; a complaint ("this is spam")
blocks at once and unsubscribes its subscriber; soft bounces are noted and never block. Bounce intake
(a mailbox, a relay's webhook, an imported list: node/mailing/bounces_*.py) calls `record_bounce` and
`record_complaint`.

`ref` names the report a bounce came from (a message's Message-ID, a relay's event id): it is kept at
the end of the row's detail, and a report whose ref is already there counts nothing, so a bounce
message read again after a crash (recorded, not yet removed from the mailbox) is not counted twice.
Counting is one UPDATE with the threshold in the database, so concurrent reports never lose a count."""

from __future__ import annotations

from datetime import datetime, timezone

from tortoise.expressions import F

from node.core.runtime import Node
from node.mailing.models import Subscriber, Suppression

MAX_DETAIL = 2000
REASONS = ("bounce", "complaint", "manual")


def normalized(email: str) -> str:
    return email.strip().lower()


async def blocked(email: str) -> bool:
    return await Suppression.filter(email=normalized(email), blocked=True).exists()


def _noted(detail: str, ref: str) -> str:
    mark = f" [ref {ref[:200]}]" if ref else ""
    return detail[:MAX_DETAIL - len(mark)] + mark


def seen(row: Suppression, ref: str) -> bool:
    """The report named `ref` was recorded on this row already."""
    return bool(ref) and row.detail.endswith(f"[ref {ref[:200]}]")


async def record_bounce(node: Node, email: str, detail: str = "", *, hard: bool = True, ref: str = "") -> Suppression:
    """A bounce of a message to `email`; hard ones count toward the threshold (soft ones are noted only)."""
    row, _ = await Suppression.get_or_create(email=normalized(email))
    if seen(row, ref):
        return row
    if hard:
        await Suppression.filter(id=row.id, blocked=False).update(bounces=F("bounces") + 1, reason="bounce")
        await Suppression.filter(id=row.id, blocked=False,
                                 bounces__gte=node.settings.mail.bounce_threshold).update(blocked=True)
    await Suppression.filter(id=row.id).update(detail=_noted(detail, ref))
    await row.refresh_from_db()
    return row


async def record_complaint(node: Node, email: str, detail: str = "", *, ref: str = "") -> Suppression:
    """The recipient marked a message as spam: blocked, and unsubscribed, at once."""
    row, _ = await Suppression.get_or_create(email=normalized(email))
    row.blocked, row.reason, row.detail = True, "complaint", _noted(detail, ref)
    await row.save()
    await Subscriber.filter(email=normalized(email)).exclude(status="unsubscribed").update(
        status="unsubscribed", unsubscribed_at=datetime.now(timezone.utc))
    return row


async def block(email: str, detail: str = "") -> Suppression:
    """An admin blocks an address at once (an imported suppression list, with "block at once")."""
    row, _ = await Suppression.get_or_create(email=normalized(email))
    if not row.blocked:
        row.blocked, row.reason = True, "manual"
    row.detail = detail[:MAX_DETAIL]
    await row.save()
    return row


async def lift(email: str) -> bool:
    """An admin lets an address receive mail again (it was fixed); True when it was blocked."""
    return await Suppression.filter(email=normalized(email)).delete() > 0


async def listing(query: str = "", *, blocked_only: bool = False, limit: int = 500) -> list[Suppression]:
    """Suppressions, the latest first (`query`: part of the address)."""
    rows = Suppression.all()
    if query:
        rows = rows.filter(email__icontains=normalized(query)[:320])
    if blocked_only:
        rows = rows.filter(blocked=True)
    return await rows.order_by("-last_at", "-id").limit(limit)


async def counts() -> tuple[int, int]:
    """(blocked addresses, addresses with bounces not yet blocked)."""
    return await Suppression.filter(blocked=True).count(), await Suppression.filter(blocked=False).count()
