"""Outgoing email through the SMTP server of the `[mail]` settings.

With no server configured (`[mail] host` empty) nothing is sent: the message, with its links, is logged
at WARNING level, so that `agora serve` prints it and a small node works without a mail server."""

from __future__ import annotations

import asyncio
import io
import logging
import re
import smtplib
import socket
import ssl
from collections.abc import Callable, Mapping
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr
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


def _tls(mail: MailSettings) -> ssl.SSLContext | None:
    """The TLS context of a server spoken to over TLS (port 465 or STARTTLS); None for plain SMTP, since
    making one reads the system's certificates (about 0.1 s a message on a busy machine)."""
    return ssl.create_default_context() if mail.port == 465 or mail.starttls else None


def _deliver(mail: MailSettings, message: EmailMessage) -> None:
    context = _tls(mail)
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




class MailRefused(MailError):
    """The server refused this message (its sender, recipient or content): `permanent` for a 5xx
    answer, else a temporary 4xx one worth trying again later."""

    def __init__(self, text: str, code: int) -> None:
        super().__init__(text)
        self.code = code
        self.permanent = code >= 500


class MailUnavailable(MailError):
    """No mail server to talk to (refused or lost connection, timeout, failed login): nothing about this
    message; try it again later. `after_data`: the connection was lost after the whole message, its
    final dot included, was written, so the server most likely took it."""

    def __init__(self, text: str, after_data: bool = False) -> None:
        super().__init__(text)
        self.after_data = after_data


def _flatten(message: EmailMessage) -> tuple[str, str, bytes, tuple[str, ...]]:
    """(envelope sender, recipient, the DATA bytes with leading dots doubled, MAIL options), as smtplib's
    send_message makes them."""
    sender_address = parseaddr(str(message["From"] or ""))[1]
    recipient = parseaddr(str(message["To"] or ""))[1]
    international = not (sender_address + recipient).isascii()
    with io.BytesIO() as out:
        policy = message.policy.clone(utf8=True) if international else message.policy  # type: ignore[call-arg]
        BytesGenerator(out, policy=policy).flatten(message, linesep="\r\n")
        flat = out.getvalue()
    data = re.sub(rb"(?m)^\.", b"..", flat)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return sender_address, recipient, data, (("SMTPUTF8", "BODY=8BITMIME") if international else ())


class _Conversation:
    """The blocking half of `Connection` (smtplib, run in a thread): one connection, opened on first use."""

    def __init__(self, mail: MailSettings) -> None:
        self.mail = mail
        self.smtp: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        if self.smtp is None:
            mail, context = self.mail, _tls(self.mail)
            smtp = (smtplib.SMTP_SSL(mail.host, mail.port, timeout=TIMEOUT, context=context) if mail.port == 465
                    else smtplib.SMTP(mail.host, mail.port, timeout=TIMEOUT))
            try:
                # The final dot is a write of its own after the message (see Connection): without
                # TCP_NODELAY, Nagle's algorithm holds it until the server acknowledges the message,
                # which a server waiting for the dot delays (about 40 ms a message).
                if smtp.sock is not None:
                    smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                smtp.ehlo()
                if mail.port != 465 and mail.starttls:
                    smtp.starttls(context=context)
                    smtp.ehlo()
                if mail.username:
                    smtp.login(mail.username, mail.password)
            except BaseException:
                smtp.close()
                raise
            self.smtp = smtp
        return self.smtp

    def _check(self, step: str, answer: tuple[int, bytes], expected: tuple[int, ...]) -> None:
        code, reply = answer
        if code in expected:
            return
        text = f"{step}: {code} {reply.decode('utf-8', 'replace')}"
        if code == 421 or code < 400:  # the server is closing the connection, or speaks nonsense
            raise MailUnavailable(text)
        self.reset()
        raise MailRefused(text, code)

    def begin(self, message: EmailMessage) -> None:
        """MAIL, RCPT, DATA and the message, all but its final dot: the server keeps nothing yet."""
        sender_address, recipient, data, options = _flatten(message)
        smtp = self._open()
        self._check("MAIL FROM", smtp.mail(sender_address, list(options)), (250,))
        self._check("RCPT TO", smtp.rcpt(recipient), (250, 251))
        smtp.putcmd("data")
        self._check("DATA", smtp.getreply(), (354,))
        smtp.send(data)

    def finish(self) -> None:
        """The final dot: from here the message is the server's; then its answer."""
        smtp = self._open()
        smtp.send(b".\r\n")
        try:
            answer = smtp.getreply()
        except (smtplib.SMTPException, OSError) as exc:
            self.drop()
            raise MailUnavailable(f"no answer after the message: {exc}", after_data=True) from exc
        self._check("end of data", answer, (250,))

    def reset(self) -> None:
        """Forget a refused transaction (RSET); the connection is dropped when that fails."""
        if self.smtp is not None:
            try:
                self.smtp.rset()
            except (smtplib.SMTPException, OSError):
                self.drop()

    def drop(self) -> None:
        """Close without a word: a message under way (after DATA) is thrown away by the server."""
        if self.smtp is not None:
            smtp, self.smtp = self.smtp, None
            try:
                smtp.close()
            except OSError:
                pass

    def quit(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self.drop()


class Connection:
    """One SMTP connection for many messages (a newsletter's batch): opened on the first message and
    kept for the next ones. A message goes in two steps so that its sender can record it between them:
    `begin` (everything but the final dot: a connection dropped now, `abort`, leaves the server nothing)
    and `finish` (the dot and the server's answer). `send` does both. Errors: MailRefused (this
    message, permanent or temporary), MailUnavailable (the server). With no server configured the
    message is logged, as `send_message` does."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._smtp = _Conversation(settings.mail)
        self._pending: EmailMessage | None = None

    def _reason(self, exc: BaseException) -> str:
        return logredact.redact(str(exc)).replace(self.settings.mail.password or "\0", logredact.REDACTED)

    async def _run(self, fn: Callable[[], None]) -> None:
        try:
            await asyncio.to_thread(fn)
        except MailRefused as exc:
            raise MailRefused(self._reason(exc), exc.code) from None
        except MailUnavailable as exc:
            self._smtp.drop()
            raise MailUnavailable(self._reason(exc), exc.after_data) from None
        except (smtplib.SMTPException, OSError, ValueError) as exc:
            self._smtp.drop()
            raise MailUnavailable(f"the mail server is not reachable: {self._reason(exc)}") from exc

    async def begin(self, message: EmailMessage) -> None:
        if not self.settings.mail.host:
            self._pending = message
            return
        await self._run(lambda: self._smtp.begin(message))

    async def finish(self) -> None:
        if not self.settings.mail.host:
            if self._pending is not None:
                await send_message(self.settings, self._pending)  # logs it
            self._pending = None
            return
        await self._run(self._smtp.finish)

    async def send(self, message: EmailMessage) -> None:
        await self.begin(message)
        await self.finish()

    async def abort(self) -> None:
        """Give up the message begun: the connection is dropped before its final dot."""
        self._pending = None
        await asyncio.to_thread(self._smtp.drop)

    async def close(self) -> None:
        await asyncio.to_thread(self._smtp.quit)
