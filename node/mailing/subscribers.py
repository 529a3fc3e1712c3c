"""Subscribing by email and managing one's choices (no Starlette here: the pages are pages.py).

Double opt-in: `subscribe` creates (or refreshes) a `pending` subscriber and queues a confirmation
message; following its link (`confirm`) makes it `active`. Whoever asks, the answer is the same:
whether an address is new, pending or already active is never shown (an active one is sent a
reminder of its preferences link instead of a confirmation). At most one such message per address
every CONFIRM_INTERVAL.

The token is the secret of the preference and unsubscribe links: no sign-in is needed there.
A member's own address is managed from /account/email (`member_row`): their row is linked to the
account and active from the start (the account's address is verified), with no list kinds chosen
until they choose some; it stays active there (their notification emails need it), while the
unsubscribe link of any message turns everything off.

Choices: `kinds` of models.KINDS; `categories` the public forum categories chosen (with "forum" in
kinds; "forum" with no category means every public category); `frequency` of FREQUENCIES;
`language` of the node's interface languages."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.headerregistry import Address
from typing import Any

from markupsafe import escape
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from node.core import i18n, jobs
from node.core.mail import MailError, send_message
from node.core.models import User
from node.core.runtime import Node
from node.forum.models import Category
from node.mailing import messages, suppression, throttle
from node.mailing.models import FREQUENCIES, KINDS, Subscriber
from node.social.notify import KINDS as NOTIFY_KINDS

log = logging.getLogger("agora.mailing")

CONFIRM_JOB = "mailing.confirm"
CONFIRM_INTERVAL = timedelta(minutes=10)
MAX_EMAIL = 320
MAX_TOKEN = 64
_DOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$")
_ = i18n.lazy


class SubscriberError(Exception):
    """A choice or an address that cannot be taken; the message says what to change."""


@dataclass(frozen=True)
class Choices:
    kinds: tuple[str, ...] = ("newsletter",)
    categories: tuple[int, ...] = ()
    frequency: str = "weekly"
    language: str = "en"
    notify_kinds: tuple[str, ...] | None = None  # None: left as they are (only members choose them)


def now() -> datetime:
    return datetime.now(timezone.utc)


def valid_email(text: str) -> str:
    """The address lower-cased, or SubscriberError: at most 320 characters, one @, no spaces or line
    breaks, a local part and a domain name with a dot (internationalized domains as IDNA)."""
    email = text.strip().lower()
    if not email or len(email) > MAX_EMAIL or email.count("@") != 1 or any(c.isspace() or ord(c) < 32 or ord(c) == 127
                                                                         for c in email):
        raise SubscriberError(_("Enter an email address like name@example.org."))
    local, domain = email.split("@")
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
        Address(username=local, domain=ascii_domain)
    except (UnicodeError, ValueError, IndexError):
        raise SubscriberError(_("Enter an email address like name@example.org.")) from None
    if not local or len(local) > 64 or '"' in local or not _DOMAIN.match(ascii_domain) or len(ascii_domain) > 253:
        raise SubscriberError(_("Enter an email address like name@example.org."))
    return email


def valid_token(token: str) -> bool:
    return 0 < len(token) <= MAX_TOKEN and all(c.isalnum() or c in "-_" for c in token)


async def by_token(token: str) -> Subscriber | None:
    return await Subscriber.get_or_none(token=token) if valid_token(token) else None


async def public_categories() -> list[Category]:
    return await Category.filter(read_access="public").order_by("position", "id")


async def clean_choices(node: Node, kinds: Iterable[str], categories: Iterable[str], frequency: str,
                        language: str, notify_kinds: Iterable[str] | None = None) -> Choices:
    """What a form asked for, checked: unknown kinds and categories that are not public are left out
    (a category chosen brings "forum" with it; "forum" itself means every public category), an unknown
    frequency is refused, a language the node does not offer becomes the association's."""
    chosen = {k for k in kinds if k in KINDS}
    public = {c.id for c in await public_categories()}
    ids = sorted({int(c) for c in categories if isinstance(c, str) and c.isdigit() and len(c) < 19} & public)
    if "forum" in chosen:
        ids = []  # the whole forum asked for: every public category
    elif ids:
        chosen.add("forum")
    if frequency not in FREQUENCIES:
        raise SubscriberError(_("Choose how often: each item, a daily digest or a weekly digest."))
    tag = i18n.supported(node, language) or i18n.supported(node, node.settings.association.language) or i18n.DEFAULT
    notify = None if notify_kinds is None else tuple(k for k in NOTIFY_KINDS if k in set(notify_kinds))
    return Choices(tuple(k for k in KINDS if k in chosen), tuple(ids), frequency, tag, notify)


def _apply(row: Subscriber, choices: Choices) -> None:
    row.kinds, row.categories = list(choices.kinds), list(choices.categories)
    row.frequency, row.language = choices.frequency, choices.language
    if choices.notify_kinds is not None:
        row.notify_kinds = list(choices.notify_kinds)


def new_token() -> str:
    return secrets.token_urlsafe(32)


# ------------------------------------------------------------------ subscribing and confirming


_SUBSCRIBE_FIELDS = ("status", "unsubscribed_at", "kinds", "categories", "frequency", "language", "notify_kinds")


async def subscribe(node: Node, email: str, choices: Choices) -> None:
    """Someone asked to receive mail at `email`: a new or pending address gets these choices and a
    confirmation message; an unsubscribed one becomes pending again with them; an active one keeps its
    own choices and is reminded of its preferences link. The caller shows the same answer in every case."""
    address = valid_email(email)
    row = await Subscriber.get_or_none(email=address)
    if row is None:
        row = Subscriber(email=address, token=new_token(), status="pending", source="web")
    if row.status != "active":
        if row.status == "unsubscribed":
            row.status, row.unsubscribed_at = "pending", None
        _apply(row, choices)
    due = row.confirm_sent_at is None or now() - row.confirm_sent_at >= CONFIRM_INTERVAL
    send = due and not await suppression.blocked(address)
    stamp = now()
    if send and row.id is not None:  # one message per interval even when many requests come at once
        send = await Subscriber.filter(Q(confirm_sent_at__isnull=True) | Q(confirm_sent_at__lte=stamp - CONFIRM_INTERVAL),
                                       id=row.id).update(confirm_sent_at=stamp) > 0
    if send:
        row.confirm_sent_at = stamp
    if row.id is None:
        try:
            await row.save()
        except IntegrityError:  # the same new address, submitted twice at once: the other request sends
            return
    elif row.status != "active":
        # Only the choices: the claim above stored confirm_sent_at, and a whole-row save would write back
        # the one read before another request claimed the sending moment (then a third claims it again).
        await row.save(update_fields=list(_SUBSCRIBE_FIELDS))
    if send:
        await jobs.enqueue(CONFIRM_JOB, {"subscriber": row.id})
        node.wake_worker()


async def confirm(token: str) -> Subscriber | None:
    """The confirmation link was followed: a pending address becomes active (an active one stays,
    an unsubscribed one stays unsubscribed). None for an unknown token."""
    row = await by_token(token)
    if row is not None and row.status == "pending":
        row.status, row.confirmed_at = "active", now()
        await row.save(update_fields=["status", "confirmed_at"])
    return row


async def save_choices(row: Subscriber, choices: Choices) -> Subscriber:
    """The subscriber's own choices (from the preferences page, by its token): an unsubscribed
    address that saves choices is subscribed again (active if it was ever confirmed, else pending)."""
    _apply(row, choices)
    if row.status == "unsubscribed":
        row.status = "active" if row.confirmed_at is not None or row.source != "web" else "pending"
        row.unsubscribed_at = None
    await row.save()
    return row


async def unsubscribe(row: Subscriber) -> Subscriber:
    """At once, and again harmlessly (one-click unsubscribe, RFC 8058)."""
    if row.status != "unsubscribed":
        row.status, row.unsubscribed_at = "unsubscribed", now()
        await row.save(update_fields=["status", "unsubscribed_at"])
    return row


async def member_row(node: Node, user: User) -> Subscriber:
    """A member's own row, made on first use: active (their account's address is verified), with no list
    kinds until they choose some. An earlier subscription of the same address is linked to them."""
    row = await Subscriber.get_or_none(user_id=user.id)
    address = user.email.strip().lower()
    if row is None:
        row = await Subscriber.get_or_none(email=address)
        if row is not None:
            row.user_id = user.id
            await row.save(update_fields=["user_id"])
            return row
        language = i18n.supported(node, user.locale) or i18n.supported(node, node.settings.association.language)
        try:
            return await Subscriber.create(email=address, token=new_token(), status="active", source="account",
                                           language=language or i18n.DEFAULT, kinds=[], confirmed_at=now(),
                                           user_id=user.id)
        except IntegrityError:  # two first visits at once: the other one made it
            return await Subscriber.get(email=address)
    if row.email != address and address and not await Subscriber.filter(email=address).exists():
        row.email = address  # the member changed their account's address
        await row.save(update_fields=["email"])
    return row


async def save_member_choices(row: Subscriber, choices: Choices, *, unsubscribe_all: bool = False) -> Subscriber:
    """A member saves their choices on /account/email (with `unsubscribe_all`, no list kinds at all).
    Their row stays active: the notification emails they chose (`notify_kinds`) go on."""
    _apply(row, choices)
    if unsubscribe_all:
        row.kinds, row.categories = [], []
    row.status, row.unsubscribed_at = "active", None
    row.confirmed_at = row.confirmed_at or now()
    await row.save()
    return row


# ------------------------------------------------------------------ the confirmation message


def _confirmation(node: Node, row: Subscriber) -> tuple[str, str, str]:
    """(subject, text, HTML fragment) of the message a subscribe request sends, in the subscriber's language."""
    i18n.activate(row.language or node.settings.association.language or i18n.DEFAULT)
    found = messages.links(node, row)
    name = node.settings.association.name
    context: dict[str, Any] = {"association": name, "links": found, "active": row.status == "active"}
    if row.status == "active":
        subject = i18n.gettext("You are already subscribed to %(name)s", name=name)
    else:
        subject = i18n.gettext("Confirm your subscription to %(name)s", name=name)
    text = messages.render("confirm.txt", **context)
    html = messages.render("confirm.html", association=escape(name), links=found, active=context["active"])
    return subject, text, html


async def send_confirmation(node: Node, subscriber_id: int, attempt: int) -> None:
    """The job: the confirmation (or, for an active address, the reminder) to one subscriber, unless
    the address was blocked or unsubscribed meanwhile. Waits for the mail throttle; retried on a
    mail server failure."""
    row = await Subscriber.get_or_none(id=subscriber_id)
    if row is None or row.status == "unsubscribed" or await suppression.blocked(row.email):
        return
    wait = await throttle.turn(node)
    if wait > 0:
        raise jobs.RetryLater("mail throttle", wait)
    subject, text, html = _confirmation(node, row)
    message = messages.compose(node, row, subject, text, html, list_message=False)
    try:
        await send_message(node.settings, message)
    except MailError as exc:
        raise jobs.RetryLater(str(exc), jobs.generic_retry_delay(attempt)) from None


def job_handlers(node: Node) -> dict[str, jobs.JobHandler]:
    async def confirmation(payload: Mapping[str, Any], attempt: int) -> None:
        subscriber = payload.get("subscriber")
        if isinstance(subscriber, int):
            await send_confirmation(node, subscriber, attempt)

    return {CONFIRM_JOB: confirmation}
