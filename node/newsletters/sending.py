"""Sending a mailing: the recipients' snapshot, then one job that sends to them in runs, throttled,
resumable after a crash, with each recipient's status kept.

Snapshot. Starting a mailing (now, or its scheduled job when due) writes one MailingRecipient row per
address of its audience (node/newsletters/audience.py) in one transaction, each address once; a
blocked address (node/mailing/suppression.py) is `skipped` at once. The same transaction queues the
mailing's job (dedupe key `newsletter:<id>:<generation>`: one job per scheduling of a mailing, and a
job whose generation is not the mailing's any more does nothing).

Runs. The job sends for up to RUN_SECONDS over one SMTP connection, then queues itself again (a
wait of the throttle longer than SHORT_WAIT, the end of a run, a mail server that does not answer:
the job is requeued for later with its attempt given back, so waiting never makes it dead). Per
recipient: claim it (`queued` -> `sending`, with this run's claim, committed), check the address is
not blocked or unsubscribed, wait for the throttle's turn, compose (the subscriber row's token makes
the unsubscribe links: a member without one gets one; both read for a batch of BATCH recipients at
once), then the two halves of the SMTP transaction:

    1. MAIL, RCPT, DATA and the whole message except the final dot (node/core/mail.Connection.begin);
       the server keeps nothing until it reads the dot;
    2. the row is marked `sent` (committed; only when still `sending` under this run's claim);
    3. the final dot is written and the answer read (Connection.finish).

Exactly once. A process killed (or a lost database) anywhere before step 2's commit leaves the row
`sending` and a server that has no message (the dot was never written: a dropped connection in the
middle of DATA is no message); the next run of the job first puts every `sending` row back in the
queue (only one run of a mailing's job runs at a time, so such rows belong to a run that is over), and
the recipient gets their one copy then. Killed after step 2: the row says sent, the server has read
(or is about to read) the complete message, and nobody sends it again. The one window left is between
the commit of step 2 and the write of the dot: no network or disk wait, a few microseconds of this
process; a kill exactly there loses that one message (marked sent), it never sends two, which is
the side the issue asks for ("without sending anyone a message twice"). A run presumed dead while it
still lives (its lease expired) cannot send twice either: step 2 is conditional on its claim, which
the next run replaced, so the old run drops its connection before the dot instead. Every message
carries a Message-ID made of the mailing and the recipient (`<mailing-<id>-<recipient id>@host>`), the
same on every try, so a copy that ever came twice would be one message to mail stores that collapse
duplicates, and countable in the tests.

Failures. A permanent refusal of one recipient (5xx) marks it `failed` and the run goes on; a
temporary one (4xx) is retried after RETRY_DELAY, at most MAX_ATTEMPTS times; a server that cannot be
reached puts the recipient back (attempt not counted) and pauses the job for OUTAGE_DELAY: nobody is
skipped. A refusal of the message after its dot turns the `sent` row into failed (or queued again)."""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
import time
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, NoReturn

from tortoise.expressions import F, Q
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from node.accounts.actors import local_actor
from node.core import jobs
from node.core.mail import Connection, MailRefused, MailUnavailable
from node.core.models import Job
from node.core.multilingual import Translation
from node.core.runtime import Node
from node.mailing import throttle
from node.mailing.models import Subscriber, Suppression
from node.newsletters import audience
from node.newsletters.mailings import MailingError, Version, message_for, translations_of, version_for
from node.newsletters.models import Mailing, MailingRecipient
from node.posts.content import ContentError, Draft, create_post

log = logging.getLogger("agora.newsletters")

JOB = "newsletter.send"
RUN_SECONDS = 20.0  # one run of the job, well inside the job's lease
SHORT_WAIT = 2.0  # a throttle wait this short is slept inside the run
MAX_ATTEMPTS = 5  # temporary refusals of one recipient before it is failed
RETRY_DELAY = 300.0  # seconds before a temporarily refused recipient is tried again
OUTAGE_DELAY = 30.0  # seconds before a run after the mail server could not be reached
BATCH = 50  # recipients read at once, with their blocked addresses and mailing-list rows


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def job_key(mailing: Mailing) -> str:
    return f"newsletter:{mailing.id}:{mailing.generation}"


async def _queue_job(mailing: Mailing, run_at: datetime | None = None) -> None:
    key = job_key(mailing)
    await jobs.enqueue(JOB, {"mailing": mailing.id, "generation": mailing.generation, "key": key},
                       run_at=run_at, dedupe_key=key)


async def schedule(node: Node, mailing: Mailing, when: datetime) -> None:
    """Send at `when` (a draft or an already scheduled mailing)."""
    if mailing.status not in ("draft", "scheduled"):
        raise MailingError("this mailing was sent already")
    async with in_transaction():
        mailing.status, mailing.scheduled_at, mailing.generation = "scheduled", when, mailing.generation + 1
        await mailing.save(update_fields=["status", "scheduled_at", "generation"])
        await _queue_job(mailing, when)
    node.wake_worker()


async def send_now(node: Node, mailing: Mailing) -> int:
    """Snapshot the recipients and queue the job now; how many are queued."""
    if mailing.status not in ("draft", "scheduled"):
        raise MailingError("this mailing was sent already")
    await Mailing.filter(id=mailing.id).update(generation=mailing.generation + 1)
    mailing.generation += 1
    queued = await snapshot(mailing)
    node.wake_worker()
    return queued


async def _blocked(emails: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(emails), 500):
        chunk = emails[start:start + 500]
        found.update(await Suppression.filter(blocked=True, email__in=chunk).values_list("email", flat=True))  # type: ignore[arg-type]
    return found


async def snapshot(mailing: Mailing) -> int:
    """The recipients written once, in one transaction with the job; how many are queued (a mailing
    already started or cancelled: MailingError)."""
    async with in_transaction():
        started = await Mailing.filter(id=mailing.id, status__in=("draft", "scheduled")).update(
            status="sending", started_at=utcnow())
        if not started:
            raise MailingError("this mailing was sent already or cancelled")
        mailing.status = "sending"
        targets = await audience.targets(mailing)
        blocked = await _blocked([t.email for t in targets])
        rows = [MailingRecipient(mailing_id=mailing.id, email=t.email, subscriber_id=t.subscriber_id, user_id=t.user_id,
                                 language=t.language, status="skipped" if t.email in blocked else "queued",
                                 last_error="blocked address" if t.email in blocked else "")
                for t in targets]
        await MailingRecipient.bulk_create(rows, batch_size=500)
        await count(mailing)
        await _queue_job(mailing)
    return len(targets) - len(blocked & {t.email for t in targets})


async def count(mailing: Mailing) -> dict[str, int]:
    """Refresh the mailing's counts from its recipients' statuses."""
    rows = await (MailingRecipient.filter(mailing_id=mailing.id).annotate(n=Count("id"))
                  .group_by("status").values("status", "n"))
    counts = {str(row["status"]): int(row["n"]) for row in rows}
    values = {"recipients_count": sum(counts.values()), "sent_count": counts.get("sent", 0),
              "failed_count": counts.get("failed", 0), "skipped_count": counts.get("skipped", 0)}
    await Mailing.filter(id=mailing.id).update(**values)
    for name, value in values.items():
        setattr(mailing, name, value)
    return counts


async def _publish_post(node: Node, mailing: Mailing) -> None:
    """A sent mailing with `also_post`: published as a post of the association, in every language.
    Only a mailing to the subscribers (the public archive shows those): a post is public."""
    if mailing.audience != "subscribers":
        log.warning("mailing %s: not published as a post: its audience (%s) is not public", mailing.id, mailing.audience)
        return
    author = await local_actor(node.settings.association.handle)
    if author is None:
        return
    def text(subject: str, body: str) -> str:
        return f"**{subject}**\n\n{body}"
    translations = tuple(Translation(language=t.language, text=text(t.title or mailing.subject, t.text))
                         for t in translations_of(mailing))
    try:
        post = await create_post(node, author, Draft(text=text(mailing.subject, mailing.body), language=mailing.language,
                                                     translations=translations))
    except ContentError as exc:
        log.warning("mailing %s: not published as a post: %s", mailing.id, exc)
        return
    await Mailing.filter(id=mailing.id).update(post_id=post.id)


async def _finish(node: Node, mailing: Mailing) -> None:
    await count(mailing)
    if await Mailing.filter(id=mailing.id, status="sending").update(status="sent", sent_at=utcnow()):
        mailing.status = "sent"
        log.info("mailing %s sent: %s sent, %s failed, %s skipped", mailing.id, mailing.sent_count,
                 mailing.failed_count, mailing.skipped_count)
        if mailing.also_post and mailing.post_id is None:
            await _publish_post(node, mailing)


class Run:
    """One run of a mailing's job (see the module's docstring)."""

    def __init__(self, node: Node, mailing: Mailing, key: str) -> None:
        self.node = node
        self.mailing = mailing
        self.key = key
        self.claim = secrets.token_hex(8)
        self.versions: dict[str, Version] = {}
        self.deadline = time.monotonic() + RUN_SECONDS

    async def later(self, reason: str, delay: float) -> NoReturn:
        """Requeue the job for `delay` seconds from now, its attempt given back (waiting is not failing)."""
        await count(self.mailing)
        await Job.filter(dedupe_key=self.key, status="running").update(attempts=F("attempts") - 1)
        raise jobs.RetryLater(reason, max(0.0, delay))

    async def next_rows(self) -> list[MailingRecipient]:
        return await (MailingRecipient.filter(mailing_id=self.mailing.id, status="queued")
                      .filter(Q(next_at__isnull=True) | Q(next_at__lte=utcnow())).order_by("id").limit(BATCH))

    async def go(self) -> None:
        left = await MailingRecipient.filter(mailing_id=self.mailing.id, status="sending").update(status="queued", claim=None)
        if left:
            log.warning("mailing %s: %d recipients of a run that ended mid-message queued again (no final dot "
                        "was written for them)", self.mailing.id, left)
        connection = Connection(self.node.settings)
        try:
            while True:
                if not await Mailing.exists(id=self.mailing.id, status="sending", generation=self.mailing.generation):
                    return  # cancelled (or rescheduled) while this run was going: the rest get nothing
                rows = await self.next_rows()
                if not rows:
                    waiting = await (MailingRecipient.filter(mailing_id=self.mailing.id, status="queued")
                                     .order_by("next_at").first())
                    if waiting is not None and waiting.next_at is not None:
                        await self.later("recipients refused for now are tried again later",
                                         (waiting.next_at - utcnow()).total_seconds())
                    await _finish(self.node, self.mailing)
                    return
                emails = [row.email for row in rows]
                blocked = await _blocked(emails)
                found = {row.email: row for row in await Subscriber.filter(email__in=emails)}
                for row in rows:
                    if time.monotonic() > self.deadline:
                        await self.later("the next batch of the mailing", 0.0)
                    await self.one(connection, row, row.email in blocked, found.get(row.email))
        finally:
            await connection.close()

    async def mark(self, row: MailingRecipient, status: str, error: str = "", *, was: str = "sending",
                   **extra: Any) -> int:
        return await MailingRecipient.filter(id=row.id, status=was, claim=self.claim).update(
            status=status, last_error=error[:2000], **extra)

    async def subscriber_of(self, row: MailingRecipient) -> Subscriber:
        """The address's mailing-list row (its token makes the unsubscribe links): made for an address
        that has none (a member, a participant who registered by email)."""
        found = await Subscriber.get_or_none(email=row.email)
        if found is None:
            found, _ = await Subscriber.get_or_create(email=row.email, defaults={
                "token": secrets.token_urlsafe(32), "status": "active", "language": row.language, "kinds": [],
                "user_id": row.user_id, "source": "account" if row.user_id else "web", "confirmed_at": utcnow()})
            await MailingRecipient.filter(id=row.id).update(subscriber_id=found.id)
        return found

    async def one(self, connection: Connection, row: MailingRecipient, blocked: bool, subscriber: Subscriber | None) -> None:
        """One recipient; `blocked` and `subscriber` were read for its batch (at most BATCH messages ago)."""
        claimed = await MailingRecipient.filter(id=row.id, status="queued").update(
            status="sending", claim=self.claim, attempts=F("attempts") + 1)
        if not claimed:
            return
        if blocked:
            await self.mark(row, "skipped", "blocked address")
            return
        subscriber = subscriber or await self.subscriber_of(row)
        if subscriber.status == "unsubscribed":
            await self.mark(row, "skipped", "unsubscribed")
            return
        wait = await throttle.turn(self.node)
        if wait > 0:
            await self.mark(row, "queued", attempts=F("attempts") - 1, claim=None)
            if wait <= SHORT_WAIT and time.monotonic() + wait < self.deadline:
                await asyncio.sleep(wait)
                return
            await self.later("waiting for the mail throttle ([mail] per_minute)", wait)
        await self.send(connection, row, subscriber)

    async def send(self, connection: Connection, row: MailingRecipient, subscriber: Subscriber) -> None:
        version = version_for(self.node, self.mailing, row.language, self.versions)
        message = message_for(self.node, self.mailing, subscriber, version)
        del message["Message-ID"]
        message["Message-ID"] = f"<mailing-{self.mailing.id}-{row.id}@{self.node.urls.host}>"
        try:
            await connection.begin(message)
        except MailRefused as exc:
            await self.refused(row, exc)
            return
        except MailUnavailable as exc:
            await self.mark(row, "queued", str(exc), attempts=F("attempts") - 1, claim=None)
            await self.later(f"the mail server is not reachable: {exc}", OUTAGE_DELAY * (0.8 + 0.4 * random.random()))
        if not await self.mark(row, "sent", sent_at=utcnow()):  # another run took it over: no dot, no message
            await connection.abort()
            return
        try:
            await connection.finish()
        except MailRefused as exc:
            await self.refused(row, exc, was="sent")
        except MailUnavailable as exc:
            if not exc.after_data:  # the dot did not get out: the server has no message
                await self.mark(row, "queued", str(exc), was="sent", attempts=F("attempts") - 1, claim=None, sent_at=None)
            await self.later(f"the mail server is not reachable: {exc}", OUTAGE_DELAY * (0.8 + 0.4 * random.random()))

    async def refused(self, row: MailingRecipient, exc: MailRefused, *, was: str = "sending") -> None:
        attempts = (await MailingRecipient.get(id=row.id)).attempts
        if exc.permanent or attempts >= MAX_ATTEMPTS:
            await self.mark(row, "failed", str(exc), was=was, sent_at=None)
            log.info("mailing %s: %s refused: %s", self.mailing.id, row.email, exc)
        else:
            await self.mark(row, "queued", str(exc), was=was, claim=None, sent_at=None,
                            next_at=utcnow() + timedelta(seconds=RETRY_DELAY))


async def run_job(node: Node, payload: Mapping[str, Any], attempt: int) -> None:
    mailing = await Mailing.get_or_none(id=int(payload.get("mailing") or 0))
    if mailing is None or mailing.generation != payload.get("generation"):
        return  # deleted, rescheduled or cancelled since
    if mailing.status == "scheduled":
        await snapshot(mailing)  # queues no second job: this one's key is taken
    if mailing.status != "sending":
        return
    await Run(node, mailing, str(payload.get("key") or job_key(mailing))).go()


def job_handlers(node: Node) -> dict[str, jobs.JobHandler]:
    async def handler(payload: Mapping[str, Any], attempt: int) -> None:
        await run_job(node, payload, attempt)

    return {JOB: handler}
