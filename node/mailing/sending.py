"""The one sending step of the mailing jobs (items, digests, members' notifications): skip a blocked
address, wait for the throttle's turn, hand the message to the mail server.

Each of these jobs has a dedupe key (in its payload as "key"): a second job for the same message is
never queued, and a done job keeps its key (jobs are not deleted), so a scan or a digest run that
goes again sends nobody a second copy. Waiting for the throttle is no failed attempt: the job is
requeued for when the window has room with its attempt given back, so a long mailing never makes a
message dead; a mail server that does not take the message is retried with the generic backoff.

Once, not twice. The message goes in the two halves of node/core/mail.Connection (as a mailing's:
node/newsletters/sending.py): everything but the final dot, then the job marked done (and what the
caller records, a digest's period end) in one committed transaction, then the dot. A process killed
or a database lost before that commit leaves the server no message and the job to run again; after
it, the job is done and nobody runs it again, so a lost database between the send and the job's done
mark no longer sends the message a second time. A run whose lease had passed and was taken over finds
its job no longer running and drops its connection before the dot. A connection lost after the dot
counts as sent (the server most likely has it); any other refusal puts the job back and retries."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from email.message import EmailMessage
from typing import Any

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from node.core.jobs import RetryLater, generic_retry_delay, utcnow
from node.core.mail import Connection, MailError, MailUnavailable
from node.core.models import Job
from node.core.runtime import Node
from node.mailing import suppression, throttle
from node.mailing.models import Subscriber

log = logging.getLogger("agora.mailing")


Record = Callable[[], Awaitable[None]]


async def _nothing() -> None:
    return None


async def _mark_sent(key: object, record: Record) -> bool:
    """The job done and the caller's record, committed; False when this run no longer holds its job."""
    async with in_transaction():
        if isinstance(key, str) and not await Job.filter(dedupe_key=key, status="running").update(
                status="done", finished_at=utcnow()):
            return False
        await record()
    return True


async def _mark_unsent(key: object, undo: Record) -> None:
    async with in_transaction():
        if isinstance(key, str):
            await Job.filter(dedupe_key=key, status="done").update(status="running", finished_at=None)
        await undo()


SENT, BLOCKED, TAKEN_OVER = "sent", "blocked", "taken over"


async def deliver(node: Node, subscriber: Subscriber, build: Callable[[], EmailMessage], payload: Mapping[str, Any],
                  attempt: int, record: Record = _nothing, undo: Record = _nothing) -> str:
    """Send the message `build` makes (called only when it goes now): SENT, BLOCKED (the address is
    blocked) or TAKEN_OVER (another run of the job holds it now, and sends it). `record` is written
    with the job's done mark before the message's final dot, `undo` takes it back when the server
    then refuses. Raises RetryLater to wait for the throttle or after a refusal of the mail server."""
    if await suppression.blocked(subscriber.email):
        log.info("mail to subscriber %s not sent: the address is blocked", subscriber.id)
        return BLOCKED
    key = payload.get("key")
    wait = await throttle.turn(node)
    if wait > 0:
        if isinstance(key, str):  # give the attempt back: waiting is not failing
            await Job.filter(dedupe_key=key, status="running").update(attempts=F("attempts") - 1)
        raise RetryLater("waiting for the mail throttle ([mail] per_minute)", wait)
    message = build()
    connection = Connection(node.settings)
    try:
        try:
            await connection.begin(message)
        except MailError as exc:
            raise RetryLater(str(exc), generic_retry_delay(attempt)) from exc
        if not await _mark_sent(key, record):
            log.info("mail to subscriber %s not sent: its job was taken over by another run", subscriber.id)
            await connection.abort()
            return TAKEN_OVER
        try:
            await connection.finish()
        except MailError as exc:
            if isinstance(exc, MailUnavailable) and exc.after_data:
                log.warning("mail to subscriber %s: connection lost after the message, taken as sent: %s", subscriber.id, exc)
                return SENT
            await _mark_unsent(key, undo)
            raise RetryLater(str(exc), generic_retry_delay(attempt)) from exc
    finally:
        await connection.close()
    log.info("mail sent to subscriber %s: %s", subscriber.id, message["Subject"])
    return SENT
