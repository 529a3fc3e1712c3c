"""Outgoing email through the SMTP server of the `[mail]` settings.

With no server configured (`[mail] host` empty) nothing is sent: the message, with its links, is logged
at WARNING level, so that `agora serve` prints it and a small node works without a mail server."""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from urllib.parse import urlsplit

from node.core import logredact
from node.core.settings import MailSettings, Settings

log = logging.getLogger("agora.mail")

TIMEOUT = 20.0  # seconds any one step of the SMTP conversation may take


class MailError(Exception):
    """The message could not be handed to the mail server; the message says why."""


def _one_line(text: str) -> str:
    return " ".join(text.split())


def sender(settings: Settings) -> str:
    if settings.mail.from_address.strip():
        return _one_line(settings.mail.from_address)
    host = urlsplit(settings.base_url).hostname or "localhost"
    return formataddr((_one_line(settings.association.name), f"noreply@{host}"))


def build_message(settings: Settings, to: str, subject: str, text: str, *, html: str | None = None,
                  headers: Mapping[str, str] | None = None) -> EmailMessage:
    """A message from the node: plain text, and with `html` an HTML alternative (multipart/alternative);
    `headers` are added as they are (List-Unsubscribe...), each on one line."""
    host = urlsplit(settings.base_url).hostname or "localhost"
    message = EmailMessage()
    try:
        message["From"] = sender(settings)
        message["To"] = _one_line(to)
        message["Subject"] = _one_line(subject)
    except (ValueError, TypeError) as exc:  # a header the email package refuses
        raise MailError(f"cannot write a message to {to!r}: {exc}") from None
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=host)
    message["Auto-Submitted"] = "auto-generated"
    for name, value in (headers or {}).items():
        try:
            message[name] = _one_line(value)
        except (ValueError, TypeError) as exc:
            raise MailError(f"cannot write the header {name!r}: {exc}") from None
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def _text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if isinstance(part, EmailMessage) else ""


def _deliver(mail: MailSettings, message: EmailMessage) -> None:
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if mail.port == 465:
        smtp = smtplib.SMTP_SSL(mail.host, mail.port, timeout=TIMEOUT, context=context)
    else:
        smtp = smtplib.SMTP(mail.host, mail.port, timeout=TIMEOUT)
    with smtp:
        if mail.port != 465 and mail.starttls:
            smtp.starttls(context=context)
        if mail.username:
            smtp.login(mail.username, mail.password)
        smtp.send_message(message)


async def send_mail(settings: Settings, to: str, subject: str, text: str, *, html: str | None = None,
                    headers: Mapping[str, str] | None = None) -> None:
    """Send a message (plain text, with `html` also HTML); MailError when the server cannot take it."""
    await send_message(settings, build_message(settings, to, subject, text, html=html, headers=headers))


async def send_message(settings: Settings, message: EmailMessage) -> None:
    """Hand a built message to the mail server; MailError when it cannot take it."""
    if not settings.mail.host:
        text = _text_of(message)
        log.warning("no mail server configured ([mail] host), message not sent.\nTo: %s\nSubject: %s\n\n%s",
                    message["To"], message["Subject"], text)
        return
    try:
        await asyncio.to_thread(_deliver, settings.mail, message)
    except (smtplib.SMTPException, OSError, ValueError) as exc:
        # The server's answer is shown to admins: never let it carry the login back (some echo it).
        reason = logredact.redact(str(exc)).replace(settings.mail.password or "\0", logredact.REDACTED)
        log.warning("mail to %s not sent: %s", message["To"], reason)
        raise MailError(f"the mail server did not take the message: {reason}") from exc
    log.info("mail sent to %s: %s", message["To"], message["Subject"])
