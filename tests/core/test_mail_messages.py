"""Multipart list messages through a real SMTP server (tests/mailserver.py): both parts, the list
headers of RFC 2369/8058/2919, the footer's links, and the throttle of `[mail] per_minute`."""

from __future__ import annotations

import dataclasses

from node.core.mail import send_message
from node.mailing import messages, throttle
from node.mailing.models import Subscriber
from tests.conftest import Federation
from tests.mailserver import MailServer, html_part, text_part, use_mail_server


async def test_a_list_message_has_both_parts_and_one_click_unsubscribe(federation: Federation, mail_server: MailServer) -> None:
    node = await federation.add_node("a.test")
    use_mail_server(node, mail_server)
    with node.ctx:
        subscriber = await Subscriber.create(email="ana@example.org", token="t0k3n", status="active", language="fr")
    message = messages.compose(node, subscriber, "Nouvelles", "Bonjour <à tous>", "<p>Bonjour &lt;à tous&gt;</p>")
    await send_message(node.settings, message)
    [received] = mail_server.to("ana@example.org")
    assert received["List-Unsubscribe"] == "<http://a.test/mail/unsubscribe/t0k3n>"
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "list.a.test" in received["List-Id"]
    assert received.get_content_type() == "multipart/alternative"
    text, html = text_part(received), html_part(received)
    assert "Bonjour <à tous>" in text and "http://a.test/mail/preferences/t0k3n" in text
    assert "<p>Bonjour &lt;à tous&gt;</p>" in html and 'href="http://a.test/mail/unsubscribe/t0k3n"' in html
    assert "<img" not in html, "a list message carries an image (a tracking pixel?)"
    assert 'lang="fr"' in html


async def test_a_confirmation_request_is_no_list_message(federation: Federation, mail_server: MailServer) -> None:
    node = await federation.add_node("a.test")
    with node.ctx:
        subscriber = await Subscriber.create(email="bo@example.org", token="abc", language="en")
    message = messages.compose(node, subscriber, "Confirm", "Follow the link", "<p>Follow the link</p>", list_message=False)
    assert message["List-Unsubscribe"] is None and "unsubscribe" not in text_part(message).lower()


async def test_the_throttle_lets_per_minute_through_then_says_how_long_to_wait(federation: Federation) -> None:
    node = await federation.add_node("a.test")
    node.settings = dataclasses.replace(node.settings, mail=dataclasses.replace(node.settings.mail, per_minute=3))
    waits = [await throttle.turn(node) for _ in range(4)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert 0 < waits[3] <= 60
