"""Recording what a bounce report says (node/mailing/bounces.py reads it) on the suppression list."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from node.core.runtime import Node
from node.mailing import suppression
from node.mailing.bounces import Event
from node.mailing.models import Subscriber

log = logging.getLogger("agora.mail")


@dataclass
class Tally:
    hard: int = 0
    soft: int = 0
    complaints: int = 0

    @property
    def total(self) -> int:
        return self.hard + self.soft + self.complaints

    def add(self, other: Tally) -> None:
        self.hard, self.soft, self.complaints = (self.hard + other.hard, self.soft + other.soft,
                                                 self.complaints + other.complaints)


async def address_for(event: Event, *, token_needed: bool = False) -> str:
    """The address an event is about: the subscriber named by the list token of the returned message
    when there is one (the message went to them: a forward bounces under another address, complaint
    loops hide the recipient's), else the event's own. With `token_needed`, only the token's
    subscriber: anyone can write to the bounce mailbox, and a complaint unsubscribes at once, so one
    read from it must carry a copy of what we sent (its List-Unsubscribe token is a secret of the
    recipient's), or it would let a stranger unsubscribe any address."""
    if event.token:
        subscriber = await Subscriber.get_or_none(token=event.token)
        if subscriber is not None:
            return subscriber.email
    return "" if token_needed else event.email


async def record(node: Node, events: Iterable[Event], ref: str = "", source: str = "", *, trusted: bool = True) -> Tally:
    """Record each event (a report read again counts nothing: see suppression.py on `ref`). Not
    `trusted` (the bounce mailbox, where anyone can write): a complaint counts only with the token of
    the subscriber it came back from."""
    tally = Tally()
    for event in events:
        email = await address_for(event, token_needed=not trusted and event.kind == "complaint")
        if not email:
            if event.kind == "complaint" and event.email:
                log.warning("mail complaint about %s without a list token of ours (%s): not recorded", event.email, source)
            continue
        detail = " ".join(x for x in (source, event.detail) if x)
        if event.kind == "complaint":
            await suppression.record_complaint(node, email, detail, ref=ref)
            tally.complaints += 1
        else:
            await suppression.record_bounce(node, email, detail, hard=event.hard, ref=ref)
            if event.hard:
                tally.hard += 1
            else:
                tally.soft += 1
        log.info("mail %s for %s (%s%s)", event.kind, email, "hard" if event.hard else "soft", f", {source}" if source else "")
    return tally
