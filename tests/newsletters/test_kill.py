"""THE KILL TEST: a real `agora serve` process (its worker sends the mailing; on SQLite `agora worker`
refuses to run, the served node's worker is the same code) killed with SIGKILL twice in the middle of a
mailing to 200 subscribers, then started again on the same data: the SMTP server gets exactly one copy
per recipient and nobody is skipped.

Deterministic by design, not by luck. The test's SMTP server holds the conversation at two chosen
points and the process is killed while it is held there, so each kill lands on a known side of the
sender's commit point (node/newsletters/sending.py: the recipient is marked sent, committed, before
the message's final dot is written):

1. at the RCPT of the 60th message: the row is `sending`, the server has no message; the restarted
   worker queues it again and that recipient gets their one copy from it;
2. inside the end of DATA of the 130th message (the server has read the whole message and keeps it, but
   has not answered): the row is `sent`, committed before the dot; the restarted worker must not send it
   again.

The one window left (between that commit and the write of the dot, no I/O between them) cannot be hit
by a kill timed from the server's side, and a kill there would lose a message, never duplicate one. The
lease is an hour: the restarted node hands its previous run's lease back at once (worker identity),
so the test does not wait it out. `[mail] per_minute` is set high: the throttle's window is a minute,
so a per_minute that spread 200 messages over a few seconds would instead send per_minute of them at
once and wait a minute for the rest; the server's holds give the kills their moments instead."""

from __future__ import annotations

import asyncio
import signal
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from node.app import start_node, stop_node
from node.cli.server import bootstrap
from node.core.db import activate, open_database
from node.core.settings import Settings, load_settings
from node.mailing.models import Subscriber
from node.newsletters import sending
from node.newsletters.mailings import MailingInput, create_mailing
from node.newsletters.models import Mailing, MailingRecipient
from tests.conftest import migrated_database
from tests.core.agora_process import free_port, start_agora, stop, write_config
from tests.mailserver import MailServer, _Handler

RECIPIENTS = 200
HOLD_AT_RCPT = 60
HOLD_AT_DATA = 130


class HoldingHandler(_Handler):
    """The test server's handler that can stop answering at the n-th RCPT or inside the n-th DATA end."""

    def __init__(self) -> None:
        super().__init__()
        self.rcpts = 0
        self.hold_rcpt: int | None = None
        self.hold_data: int | None = None
        self.holding = threading.Event()
        self.release = threading.Event()

    async def _hold(self) -> None:
        self.holding.set()
        while not self.release.is_set():
            await asyncio.sleep(0.01)

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        self.rcpts += 1
        if self.rcpts == self.hold_rcpt:
            await self._hold()
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        answer = await super().handle_DATA(server, session, envelope)  # kept: the server has the message
        if len(self.messages) == self.hold_data:
            await self._hold()
        return answer


async def prepare(settings: Settings) -> int:
    node = await start_node(settings)
    try:
        with activate(node.ctx):
            await bootstrap(node, None, "")
            await Subscriber.bulk_create([Subscriber(email=f"r{i}@example.org", token=f"t{i}", status="active",
                                                     language="fr" if i % 3 else "en", kinds=["newsletter"])
                                          for i in range(RECIPIENTS)])
            mailing = await create_mailing(None, MailingInput("Assemblée", "Samedi à **14 h**.", "fr"))
            await sending.send_now(node, mailing)
            return mailing.id
    finally:
        await stop_node(node)


async def read(settings: Settings, mailing_id: int) -> tuple[str, dict[str, str]]:
    ctx = await open_database(settings)
    with activate(ctx):
        try:
            mailing = await Mailing.get(id=mailing_id)
            rows = await MailingRecipient.filter(mailing_id=mailing_id).values_list("email", "status")
            return mailing.status, {str(email): str(status) for email, status in rows}
        finally:
            await ctx.close_connections()


async def wait(condition: Any, proc: Any, log: Path, timeout: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert proc.poll() is None, f"agora exited ({proc.returncode}):\n{log.read_text()[-3000:]}"
        assert loop.time() < deadline, f"{what} after {timeout:.0f} s:\n{log.read_text()[-3000:]}"
        await asyncio.sleep(0.02)


def kill(proc: Any) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)


async def test_a_sender_killed_twice_mid_mailing_sends_everyone_exactly_one_copy(tmp_path: Path) -> None:
    handler = HoldingHandler()
    server = MailServer()
    server.handler = handler
    server.start()
    data = tmp_path / "node"
    data.mkdir()
    log = tmp_path / "serve.log"
    try:
        port = free_port()
        config = write_config(data, port, await migrated_database(data), "lease_seconds = 3600")
        with config.open("a") as out:
            out.write(f'[mail]\nhost = "127.0.0.1"\nport = {server.port}\nstarttls = false\n'
                      f'from_address = "Asso <asso@a.test>"\nper_minute = 100000\n')
        settings = load_settings(config, env={})
        mailing_id = await prepare(settings)

        handler.hold_rcpt = HOLD_AT_RCPT
        first = start_agora(config, log, "serve", "--port", str(port))
        try:
            await wait(handler.holding.is_set, first, log, 60, "no hold at the RCPT")
        finally:
            kill(first)
        held_rcpt_for = len(handler.messages) + 1
        handler.holding.clear()
        handler.release.set()
        status, rows = await read(settings, mailing_id)
        assert status == "sending" and list(rows.values()).count("sending") == 1, "the kill did not land mid-message"
        assert len(handler.messages) == HOLD_AT_RCPT - 1

        handler.release.clear()
        handler.hold_data = HOLD_AT_DATA
        second = start_agora(config, log, "serve", "--port", str(port))
        try:
            await wait(handler.holding.is_set, second, log, 60, "no hold in the DATA")
        finally:
            kill(second)
        held_data_for = handler.messages[-1].rcpt_tos[0]
        handler.release.set()
        status, rows = await read(settings, mailing_id)
        assert rows[held_data_for] == "sent", "the message the server kept is not marked sent"
        assert len(handler.messages) == HOLD_AT_DATA

        third = start_agora(config, log, "serve", "--port", str(port))
        try:
            await wait(lambda: len(handler.messages) >= RECIPIENTS, third, log, 60, "not every recipient got it")
            for _ in range(100):
                status, rows = await read(settings, mailing_id)
                if status == "sent":
                    break
                await asyncio.sleep(0.1)
        finally:
            stop(third)
        await asyncio.sleep(0.3)  # anything still arriving would count as a duplicate
    finally:
        server.stop()
    copies = Counter(r for m in handler.messages for r in m.rcpt_tos)
    assert status == "sent"
    assert set(rows.values()) == {"sent"}
    assert len(copies) == RECIPIENTS, f"{RECIPIENTS - len(copies)} recipients skipped"
    assert max(copies.values()) == 1, f"duplicates: {[a for a, n in copies.items() if n > 1]}"
    ids = Counter(m.message["Message-ID"] for m in handler.messages)
    assert len(ids) == RECIPIENTS and max(ids.values()) == 1
    assert held_rcpt_for == HOLD_AT_RCPT
    text = log.read_text()
    assert "queued again" in text  # the restarted run said what it did with the interrupted recipient
    assert "handed back" in text  # and took the lease of the killed run at once
