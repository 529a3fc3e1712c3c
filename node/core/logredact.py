"""Keeps secrets out of the logs: PEM private keys, the node's `secret_key`, the mail password, session
cookie values and the mailing list's link tokens (`/mail/preferences/<token>`, `/mail/unsubscribe/...`,
`/mail/confirm/...`: each is a subscriber's key to their choices) are replaced before any handler sees
a record.

Installed through the log record factory, so it covers every logger and every handler, including
handlers that are added later (uvicorn's, a test's capture): each record's message is formatted once,
redacted, and stored without its arguments; an exception's traceback text is formatted and redacted
too. The secrets of every node started in the process are known (tests run several)."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from typing import Any

from node.core.settings import Settings

REDACTED = "[redacted]"
PRIVATE_KEY = re.compile(
    r"-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)", re.S
)
# `agora_session=<value>` in a Cookie or Set-Cookie header, however it is quoted or escaped.
SESSION_COOKIE = re.compile(r"(agora_session\s*=\s*)[^;,\s'\"\\]+")
# the token of a mailing-list link, in a request path (uvicorn's access log) or any message
MAIL_TOKEN = re.compile(r"(/mail/(?:preferences|unsubscribe|confirm)/)[^/?#\s'\"]+")
MIN_SECRET_LENGTH = 6  # shorter "secrets" (tests, typos) would redact ordinary words

_secrets: set[str] = set()
_lock = threading.Lock()
_installed = False


def redact(text: str) -> str:
    """`text` with private keys, known secrets and session cookie values replaced."""
    if "PRIVATE KEY-----" in text:
        text = PRIVATE_KEY.sub(r"[\1private key redacted]", text)
    if "agora_session" in text:
        text = SESSION_COOKIE.sub(r"\1" + REDACTED, text)
    if "/mail/" in text:
        text = MAIL_TOKEN.sub(r"\1" + REDACTED, text)
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def _redact_record(record: logging.LogRecord) -> None:
    if record.name == "uvicorn.access" and isinstance(record.args, tuple):
        # uvicorn's access formatter unpacks the arguments (client, method, path, version, status):
        # keep their shape, redact the text ones (a path may carry a token).
        record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: keep what can be kept, redacted
        message = f"{record.msg!s} {record.args!r}"
    record.msg = redact(message)
    record.args = None
    if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


def add_secrets(values: Iterable[str]) -> None:
    with _lock:
        _secrets.update(v for v in values if isinstance(v, str) and len(v) >= MIN_SECRET_LENGTH)


def secrets_of(settings: Settings) -> list[str]:
    return [settings.secret_key, settings.mail.password]


def install(settings: Settings | None = None) -> None:
    """Redact every log record from now on (idempotent); remember the secrets of `settings`."""
    global _installed
    if settings is not None:
        add_secrets(secrets_of(settings))
    with _lock:
        if _installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            _redact_record(record)
            return record

        logging.setLogRecordFactory(factory)
        _installed = True
