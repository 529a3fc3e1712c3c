"""The mailing list's link tokens (the key to a subscriber's choices) never reach the logs: not in an
access log line of /mail/preferences/<token>, /mail/unsubscribe/<token> or /mail/confirm/<token>, nor
in any message that quotes such a link."""

from __future__ import annotations

import logging

import pytest

from node.core import logredact
from tests.conftest import Federation

TOKEN = "Zq3vR8xN2pL5tY7wK9mB4cD6fG1hJ0sA-_e"


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def test_mail_link_tokens_are_redacted_in_access_and_other_logs(federation: Federation,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    await federation.add_node("a.test")  # installs the redaction
    # Our own handler on each logger: a server started earlier in this process (uvicorn's dictConfig) may
    # have stopped uvicorn.access propagating, so the root logger (and pytest's caplog) would not see it.
    seen = _Records()
    access, other = logging.getLogger("uvicorn.access"), logging.getLogger("agora.test")
    for logger in (access, other):
        monkeypatch.setattr(logger, "propagate", False)
        monkeypatch.setattr(logger, "disabled", False)
        monkeypatch.setattr(logger, "handlers", [seen])
        monkeypatch.setattr(logger, "level", logging.INFO)
    for path in (f"/mail/preferences/{TOKEN}?saved=saved", f"/mail/unsubscribe/{TOKEN}", f"/mail/confirm/{TOKEN}"):
        access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "POST", path, "1.1", 200)
    other.warning("link https://a.test/mail/unsubscribe/%s failed", TOKEN)
    formatter = logging.Formatter("%(name)s %(message)s")
    texts = [r.getMessage() for r in seen.records] + [formatter.format(r) for r in seen.records]
    assert len(seen.records) == 4
    assert all(TOKEN not in text for text in texts)
    assert sum(f"/mail/unsubscribe/{logredact.REDACTED}" in r.getMessage() for r in seen.records) == 2
    assert f"/mail/preferences/{logredact.REDACTED}?saved=saved" in seen.records[0].getMessage()
    assert logredact.redact("/mail/webhook and /mailings/spring") == "/mail/webhook and /mailings/spring"
