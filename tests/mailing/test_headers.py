"""What reaches a list message's headers from the association's settings or a subscriber's row stays
one well-formed header each: the association's name cannot end List-Id's phrase or slip another address
in, a line break in a subject does not start a new header."""

from __future__ import annotations

import dataclasses
from email import message_from_bytes, policy

from node.mailing import messages
from node.mailing.models import Subscriber
from tests.conftest import Federation


async def test_the_association_name_and_subject_cannot_forge_list_headers(federation: Federation) -> None:
    node = await federation.add_node("a.test")
    name = 'Friends "of" <evil@attacker.example>, (x)\r\nBcc: victim@example.org'
    node.settings = dataclasses.replace(node.settings, association=dataclasses.replace(node.settings.association, name=name))
    row = Subscriber(email="ana@example.org", token="tok-ana", status="active", language="en")
    with node.ctx:
        message = messages.compose(node, row, "Hello\r\nBcc: victim@example.org", "text", "<p>html</p>")
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert parsed.get_all("Bcc") is None
    list_id = str(parsed["List-Id"])
    assert list_id.endswith("<list.a.test>") and list_id.count("<") == 1 and "@" not in list_id
    assert parsed["List-Unsubscribe"] == "<http://a.test/mail/unsubscribe/tok-ana>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "evil" not in str(parsed["To"])
