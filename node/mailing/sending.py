"""The one sending step of the mailing jobs (items, digests, members' notifications): skip a blocked
address, wait for the throttle's turn, hand the message to the mail server.

Each of these jobs has a dedupe key (in its payload as "key"): a second job for the same message is
never queued, and a done job keeps its key (jobs are not deleted), so a scan or a digest run that
goes again sends nobody a second copy. Waiting for the throttle is no failed attempt: the job is
requeued for when the window has room with its attempt given back, so a long mailing never makes a
message dead; a mail server that does not take the message is retried with the generic backoff."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from email.message import EmailMessage
from typing import Any

from tortoise.expressions import F

from node.core.jobs import RetryLater, generic_retry_delay
from node.core.mail import MailError, send_message
from node.core.models import Job
from node.core.runtime import Node
from node.mailing import suppression, throttle
from node.mailing.models import Subscriber

log = logging.getLogger("agora.mailing")


async def deliver(node: Node, subscriber: Subscriber, build: Callable[[], EmailMessage], payload: Mapping[str, Any],
                  attempt: int) -> bool:
    """Send the message `build` makes (called only when it goes now); False when the address is
    blocked. Raises RetryLater to wait for the throttle or after a refusal of the mail server."""
    if await suppression.blocked(subscriber.email):
        log.info("mail to subscriber %s not sent: the address is blocked", subscriber.id)
        return False
    wait = await throttle.turn(node)
    if wait > 0:
        key = payload.get("key")
        if isinstance(key, str):  # give the attempt back: waiting is not failing
            await Job.filter(dedupe_key=key, status="running").update(attempts=F("attempts") - 1)
        raise RetryLater("waiting for the mail throttle ([mail] per_minute)", wait)
    try:
        await send_message(node.settings, build())
    except MailError as exc:
        raise RetryLater(str(exc), generic_retry_delay(attempt)) from exc
    return True
