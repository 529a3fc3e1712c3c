"""A real SMTP server for the tests (aiosmtpd on 127.0.0.1, a free port): it keeps every message it
accepts, parsed, with its envelope, so a test reads back what a node sent.

    async def test_x(federation, mail_server):        # the fixture of tests/conftest.py
        node = await federation.add_node("a.test")
        use_mail_server(node, mail_server)
        ...
        [message] = mail_server.to("ana@example.org")

`refuse(address)` makes the server answer 550 for one recipient, `defer_data(n)` 451 to the next n final dots; `stop()` / `start()` take it away and
back (an outage mid-job)."""

from __future__ import annotations

import asyncio
import dataclasses
import email
import email.policy
import socket
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from node.core.runtime import Node
from node.core.settings import MailSettings


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes


@dataclass
class _Handler:
    messages: list[Received] = field(default_factory=list)
    refused: set[str] = field(default_factory=set)
    deferred_data: int = 0  # the next messages answered 451 after their final dot

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        if address.lower() in self.refused:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.deferred_data > 0:
            self.deferred_data -= 1
            return "451 4.3.0 message deferred, try again later"
        raw = envelope.original_content or (envelope.content if isinstance(envelope.content, bytes) else b"")
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(Received(str(envelope.mail_from), list(envelope.rcpt_tos), parsed, raw))
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class MailServer:
    def __init__(self) -> None:
        self.handler = _Handler()
        self.port = free_port()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages

    def to(self, address: str) -> list[EmailMessage]:
        """The messages accepted for this recipient, oldest first."""
        return [r.message for r in self.handler.messages if address.lower() in (a.lower() for a in r.rcpt_tos)]

    def refuse(self, address: str) -> None:
        self.handler.refused.add(address.lower())

    def defer_data(self, count: int = 1) -> None:
        """The next `count` messages are refused (451) when their final dot arrives."""
        self.handler.deferred_data += count

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """At least `count` messages, waiting for them (the server runs in its own thread)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.handler.messages) < count:
            if loop.time() > deadline:
                raise AssertionError(f"{len(self.handler.messages)} messages arrived, {count} expected")
            await asyncio.sleep(0.02)
        return list(self.handler.messages)


def settings_for(server: MailServer, **extra: Any) -> MailSettings:
    return MailSettings(host="127.0.0.1", port=server.port, starttls=False, from_address="Asso <asso@a.test>", **extra)


def use_mail_server(node: Node, server: MailServer, **extra: Any) -> None:
    """Point the node's `[mail]` settings at the test server (extra: other MailSettings fields)."""
    node.settings = dataclasses.replace(node.settings, mail=settings_for(server, **extra))


def text_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, "the message has no text/plain part"
    return str(part.get_content())


def html_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None, "the message has no text/html part"
    return str(part.get_content())
