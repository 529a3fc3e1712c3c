"""The mailing list's link tokens (the key to a subscriber's choices) never reach the logs: not in an
access log line of /mail/preferences/<token>, /mail/unsubscribe/<token> or /mail/confirm/<token>, nor
in any message that quotes such a link."""

from __future__ import annotations

import logging

import pytest

from node.core import logredact
from tests.conftest import Federation

TOKEN = "Zq3vR8xN2pL5tY7wK9mB4cD6fG1hJ0sA-_e"


async def test_mail_link_tokens_are_redacted_in_access_and_other_logs(federation: Federation,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    await federation.add_node("a.test")  # installs the redaction
    caplog.set_level(logging.INFO)
    access = logging.getLogger("uvicorn.access")
    for path in (f"/mail/preferences/{TOKEN}?saved=saved", f"/mail/unsubscribe/{TOKEN}", f"/mail/confirm/{TOKEN}"):
        access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "POST", path, "1.1", 200)
    logging.getLogger("agora.test").warning("link https://a.test/mail/unsubscribe/%s failed", TOKEN)
    texts = [r.getMessage() for r in caplog.records] + [caplog.text]
    assert len(caplog.records) == 4
    assert all(TOKEN not in text for text in texts)
    assert sum(f"/mail/unsubscribe/{logredact.REDACTED}" in r.getMessage() for r in caplog.records) == 2
    assert f"/mail/preferences/{logredact.REDACTED}?saved=saved" in caplog.records[0].getMessage()
    assert logredact.redact("/mail/webhook and /mailings/spring") == "/mail/webhook and /mailings/spring"
