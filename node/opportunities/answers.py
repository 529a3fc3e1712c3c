"""Answers through the node, without revealing an address to the other side: a visitor (name, email,
message), a member or a Fediverse account (a direct Note in reply to the opportunity) answers; the
poster is told (a notification and an email, through the job queue) and reads the answers on the
node; the poster's reply goes back by email from the node, or as a direct Note to a Fediverse
account. The poster's address is given only when the poster chooses to (`reveal`); the answerer's
never is. Answers are limited per address and per opportunity (the `limits` package, in memory)."""

from __future__ import annotations

import html
import logging
import re
import secrets
from collections.abc import Mapping
from typing import Any

from limits import RateLimitItemPerHour, storage, strategies

from federation import vocab
from node.core import i18n, jobs
from node.core.mail import MailError, send_mail
from node.core.models import Actor, User
from node.core.runtime import Node
from node.core.sanitize import clean_html, plain_text
from node.opportunities.inputs import OpportunityError
from node.opportunities.models import Answer, Opportunity
from node.social import notify
from node.social.delivery import publish

log = logging.getLogger("agora.opportunities")

MAIL_JOB = "opportunities.mail"
NOTICE_KIND = "opportunity"  # Notification.kind (at most 16 characters)
MAX_MESSAGE = 5_000
PER_ADDRESS = RateLimitItemPerHour(5)  # answers from one address (an IP, an email, an account)
PER_OPPORTUNITY = RateLimitItemPerHour(30)  # answers to one opportunity
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,63}$")

_limiter = strategies.MovingWindowRateLimiter(storage.MemoryStorage())


def reset_limits() -> None:
    """Forget every count (tests)."""
    _limiter.storage.reset()


def _charge(opportunity: Opportunity, addresses: list[str]) -> None:
    """Count one answer against each address and the opportunity; OpportunityError when one is over."""
    keys = [(PER_ADDRESS, "address", a.casefold()) for a in addresses if a] + [
        (PER_OPPORTUNITY, "opportunity", str(opportunity.id))]
    if not all(_limiter.test(item, "opportunity-answer", kind, key) for item, kind, key in keys):
        raise OpportunityError("too many answers for now: try again in an hour")
    for item, kind, key in keys:
        _limiter.hit(item, "opportunity-answer", kind, key)


def _check_open(opportunity: Opportunity) -> None:
    if opportunity.status != "open" or not opportunity.local:
        raise OpportunityError("this opportunity is not open for answers")


def _check_message(message: str) -> str:
    message = message.replace("\r\n", "\n").strip()
    if not message:
        raise OpportunityError("write a message", (("message", "write a message"),))
    if len(message) > MAX_MESSAGE:
        raise OpportunityError(f"the message is longer than {MAX_MESSAGE} characters", (("message", "too long"),))
    return message


async def answer(node: Node, opportunity: Opportunity, *, message: str, name: str = "", email: str = "",
                 member: Actor | None = None, client: str = "") -> Answer:
    """A visitor's (name and email) or a member's answer; the poster hears of it."""
    _check_open(opportunity)
    message = _check_message(message)
    if member is None:
        email = email.strip()
        if not name.strip():
            raise OpportunityError("give your name", (("name", "give your name"),))
        if len(email) > 320 or not EMAIL.match(email):
            raise OpportunityError("give an email address the poster's reply can reach",
                                   (("email", "give an email address"),))
    _charge(opportunity, [client, email, member.uri if member else ""])
    row = await Answer.create(opportunity=opportunity, actor=member, name=(name.strip() or (member.name if member else ""))[:200],
                              email=email or None if member is None else None, message=message)
    await _tell_poster(opportunity, row, member)
    return row


async def _tell_poster(opportunity: Opportunity, row: Answer, source: Actor | None) -> None:
    poster = await Actor.get_or_none(id=opportunity.poster_id) if opportunity.poster_id else None
    if poster is None:
        return
    await notify.notify(poster, NOTICE_KIND, source, f"opportunity-answer {row.id}", f"{opportunity.uri}/answers",
                        text=opportunity.title)
    await jobs.enqueue(MAIL_JOB, {"answer": row.id, "to": "poster"}, dedupe_key=f"{MAIL_JOB} poster {row.id}")


async def remote_answer(node: Node, actor: Actor, opportunity: Opportunity, note: Mapping[str, Any]) -> Answer | None:
    """A Fediverse account's direct reply to an opportunity, kept as an answer (once per Note)."""
    uri = vocab.id_of(note)
    if uri is None or opportunity.status != "open":
        return None
    existing = await Answer.get_or_none(uri=uri)
    if existing is not None:
        return existing
    try:
        _charge(opportunity, [actor.uri, actor.domain])
    except OpportunityError:
        log.info("answer %s from %s refused: over the limit", uri, actor.uri)
        return None
    text = plain_text(clean_html(vocab.text(note.get("content"), MAX_MESSAGE * 4)), MAX_MESSAGE)
    row = await Answer.create(opportunity=opportunity, actor=actor, uri=uri, name=(actor.name or actor.handle or "")[:200],
                              message=text or "…")
    await _tell_poster(opportunity, row, actor)
    return row


async def reply(node: Node, opportunity: Opportunity, parent: Answer, poster: Actor, message: str, *,
                reveal: bool) -> Answer:
    """The poster's reply to an answer: by email from the node (a visitor, a member) or as a direct
    Note from the association (a Fediverse account). `reveal`: the poster's email goes with it."""
    message = _check_message(message)
    if parent.opportunity_id != opportunity.id or parent.from_poster:
        raise OpportunityError("that answer is not one of this opportunity's")
    row = await Answer.create(opportunity=opportunity, parent=parent, actor=poster, name=poster.name or "",
                              message=message, from_poster=True, reveal=reveal)
    answerer = await Actor.get_or_none(id=parent.actor_id) if parent.actor_id else None
    if answerer is not None and not answerer.local:
        await _direct_note(node, opportunity, parent, row, answerer)
    else:
        await jobs.enqueue(MAIL_JOB, {"answer": row.id, "to": "answerer"}, dedupe_key=f"{MAIL_JOB} answerer {row.id}")
        if answerer is not None:
            await notify.notify(answerer, NOTICE_KIND, None, f"opportunity-reply {row.id}", opportunity.uri,
                                text=opportunity.title)
    return row


async def _direct_note(node: Node, opportunity: Opportunity, parent: Answer, row: Answer, answerer: Actor) -> None:
    organizer = await Actor.get(id=opportunity.organizer_id)
    note_id = f"{opportunity.uri}/answers/{row.id}-{secrets.token_hex(4)}"
    content = (f'<p><span class="h-card"><a href="{html.escape(answerer.url or answerer.uri)}" class="u-url mention">'
               f"@{html.escape(answerer.handle or answerer.name or '')}</a></span> "
               f"{html.escape(row.message).replace(chr(10), '<br>')}</p>")
    if row.reveal:
        email = await _poster_email(opportunity)
        if email:
            content += f"<p>{html.escape(i18n.gettext('You can write to the poster at %(email)s', email=email))}</p>"
    note = {"id": note_id, "type": "Note", "attributedTo": organizer.uri, "inReplyTo": parent.uri or opportunity.uri,
            "content": content, "to": [answerer.uri], "cc": [], "published": vocab.iso(row.created_at),
            "tag": [{"type": "Mention", "href": answerer.uri, "name": f"@{answerer.handle or ''}"}]}
    row.uri = note_id
    await row.save(update_fields=["uri"])
    await publish(node, organizer, vocab.activity("Create", f"{note_id}#create", organizer.uri, note,
                                                  to=[answerer.uri], cc=[]),
                  followers=False, recipients=[answerer.uri])


async def _poster_email(opportunity: Opportunity) -> str | None:
    user = await User.get_or_none(actor_id=opportunity.poster_id) if opportunity.poster_id else None
    return user.email if user is not None and user.email else None


async def thread(opportunity: Opportunity) -> list[tuple[Answer, list[Answer]]]:
    """The answers, oldest first, each with the poster's replies to it."""
    rows = await Answer.filter(opportunity=opportunity).order_by("created_at", "id")
    replies: dict[int, list[Answer]] = {}
    for r in rows:
        if r.parent_id is not None:
            replies.setdefault(r.parent_id, []).append(r)
    return [(r, replies.get(r.id, [])) for r in rows if r.parent_id is None]


def _mail_to_poster(node: Node, opportunity: Opportunity, row: Answer) -> tuple[str, str]:
    """Who answered (the name only) and what; never the answerer's address."""
    subject = i18n.gettext("New answer to “%(title)s”", title=opportunity.title)
    text = "\n\n".join([
        i18n.gettext("%(name)s answered your opportunity “%(title)s”:", name=row.name or "?", title=opportunity.title),
        row.message,
        i18n.gettext("Read the answers and reply through the association (your address stays hidden unless you "
                     "choose to give it): %(link)s", link=f"{opportunity.uri}/answers"),
    ])
    return subject, text + "\n"


async def _mail_to_answerer(node: Node, opportunity: Opportunity, row: Answer) -> tuple[str, str]:
    subject = i18n.gettext("Reply about “%(title)s”", title=opportunity.title)
    parts = [i18n.gettext("The poster of “%(title)s” replied through %(association)s:", title=opportunity.title,
                          association=node.settings.association.name), row.message]
    email = await _poster_email(opportunity) if row.reveal else None
    if email:
        parts.append(i18n.gettext("You can write to the poster at %(email)s", email=email))
    else:
        parts.append(i18n.gettext("Do not answer this email: it comes from the association, which keeps both "
                                  "addresses private. Answer again on %(link)s", link=opportunity.uri))
    return subject, "\n\n".join(parts) + "\n"


async def send_notice(node: Node, payload: Mapping[str, Any], attempt: int) -> None:
    """The job: one email, to the poster (an answer came) or to the answerer (the poster replied)."""
    row = await Answer.get_or_none(id=payload.get("answer"))
    if row is None:
        return
    opportunity = await Opportunity.get(id=row.opportunity_id)
    i18n.activate(opportunity.language or node.settings.association.language)
    if payload.get("to") == "poster":
        to = await _poster_email(opportunity)
        subject, text = _mail_to_poster(node, opportunity, row)
    else:
        parent = await Answer.get_or_none(id=row.parent_id) if row.parent_id else None
        member = await User.get_or_none(actor_id=parent.actor_id) if parent and parent.actor_id else None
        to = parent.email if parent is not None and parent.email else (member.email if member else None)
        subject, text = await _mail_to_answerer(node, opportunity, row)
    if not to:
        return
    try:
        await send_mail(node.settings, to, subject, text)
    except MailError as exc:
        raise jobs.RetryLater(str(exc), jobs.generic_retry_delay(attempt)) from exc


def job_handlers(node: Node) -> dict[str, jobs.JobHandler]:
    async def mail(payload: Mapping[str, Any], attempt: int) -> None:
        await send_notice(node, payload, attempt)

    return {MAIL_JOB: mail}
