"""Addresses that get no more mail: every sender asks `blocked(email)` before each message. Hard
bounces are counted and block an address at `[mail] bounce_threshold`; a complaint ("this is spam")
blocks at once and unsubscribes its subscriber. Bounce intake (a mailbox, a relay's webhook, an imported
list) calls `record_bounce` and `record_complaint`."""

from __future__ import annotations

from datetime import datetime, timezone

from node.core.runtime import Node
from node.mailing.models import Subscriber, Suppression


def normalized(email: str) -> str:
    return email.strip().lower()


async def blocked(email: str) -> bool:
    return await Suppression.filter(email=normalized(email), blocked=True).exists()


async def record_bounce(node: Node, email: str, detail: str = "", *, hard: bool = True) -> Suppression:
    """A bounce of a message to `email`; hard ones count toward the threshold (soft ones are noted only)."""
    row, _ = await Suppression.get_or_create(email=normalized(email))
    if hard and not row.blocked:
        row.bounces += 1
        row.blocked = row.bounces >= node.settings.mail.bounce_threshold
        row.reason = "bounce"
    row.detail = detail[:2000]
    await row.save()
    return row


async def record_complaint(node: Node, email: str, detail: str = "") -> Suppression:
    """The recipient marked a message as spam: blocked, and unsubscribed, at once."""
    row, _ = await Suppression.get_or_create(email=normalized(email))
    row.blocked, row.reason, row.detail = True, "complaint", detail[:2000]
    await row.save()
    await Subscriber.filter(email=normalized(email)).update(status="unsubscribed",
                                                            unsubscribed_at=datetime.now(timezone.utc))
    return row


async def lift(email: str) -> bool:
    """An admin lets an address receive mail again (it was fixed); True when it was blocked."""
    return await Suppression.filter(email=normalized(email)).delete() > 0
