"""Mail benchmark (issue 14): a newsletter to SUBSCRIBERS active subscribers on SQLite, through a local
aiosmtpd server that only counts what it accepts (`[mail] per_minute` set very high, so the throttle
never waits).

    .venv/bin/python tests/bench/mail.py            # alone
    bench.py's phase "mail"                         # `await mail.run(workdir, children, args)`

Figures: emails queued per second (the recipients' snapshot: one transaction writing a row per
address, node/newsletters/sending.snapshot) and emails sent per second (the mailing's job, run by the
node's worker in this process: claim, compose, the SMTP transaction over one kept connection, the
commits before and after the final dot). Beside them, the mail layer alone (node/core/mail.py) on
RAW prebuilt messages: a new SMTP connection per message (`send_message`) against one connection
reused for all of them (`Connection`), to show what keeping the connection open saves. The server
runs in a thread of this process, so its work counts against the same cores. Everything lives in a
temporary directory, removed afterwards."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import socket
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from node.app import start_node, stop_node  # noqa: E402
from node.cli.server import bootstrap  # noqa: E402
from node.core.db import activate, run_migrations  # noqa: E402
from node.core.mail import Connection, build_message, send_message  # noqa: E402
from node.core.settings import AssociationSettings, LimitSettings, MailSettings, Settings, WorkerSettings  # noqa: E402
from node.mailing.models import Subscriber  # noqa: E402
from node.newsletters import sending  # noqa: E402
from node.newsletters.mailings import MailingInput, create_mailing  # noqa: E402
from node.newsletters.models import Mailing  # noqa: E402

SUBSCRIBERS = 500
RAW = 100
BODY = ("Dear members,\n\nthe **spring assembly** is on *Saturday* at the town hall. We vote on the accounts "
        "and on the garden project; [the papers](https://asso.example/papers) are online.\n\n" * 3)


class Counting:
    """An SMTP handler that counts the messages it accepts (no parsing: the sender is measured)."""

    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.count += 1
        return "250 OK"


@dataclass
class MailResult:
    subscribers: int
    queued_seconds: float
    sent_seconds: float
    raw: int
    raw_new_seconds: float
    raw_reused_seconds: float
    sent_cpu: float = 0.0  # CPU seconds of this process (sender, its SQLite thread and the SMTP server) while sending

    @property
    def queued_rate(self) -> float:
        return self.subscribers / self.queued_seconds

    @property
    def sent_rate(self) -> float:
        return self.subscribers / self.sent_seconds

    @property
    def sent_per_cpu(self) -> float:
        return self.subscribers / self.sent_cpu if self.sent_cpu else 0.0

    @property
    def new_rate(self) -> float:
        return self.raw / self.raw_new_seconds

    @property
    def reused_rate(self) -> float:
        return self.raw / self.raw_reused_seconds


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def settings_for(workdir: Path, smtp_port: int) -> Settings:
    return Settings(
        base_url="http://127.0.0.1:8000", data_dir=str(workdir), database_url=f"sqlite://{workdir}/agora.sqlite3",
        secret_key="bench-secret", allow_private_addresses=True,
        association=AssociationSettings(handle="asso", name="Benchmark association"),
        worker=WorkerSettings(in_process=False),
        limits=LimitSettings(login_per_ip_per_minute=0, forms_per_ip_per_minute=0, inbox_per_ip_per_minute=0,
                             inbox_per_host_per_minute=0),
        mail=MailSettings(host="127.0.0.1", port=smtp_port, starttls=False, from_address="Asso <asso@bench.test>",
                          per_minute=100_000_000),
    )


async def raw_rates(settings: Settings, handler: Counting, count: int) -> tuple[float, float]:
    """Seconds for `count` prebuilt messages: a connection each, then one connection for all."""
    messages = [build_message(settings, f"r{i}@example.org", "Spring news", BODY, html=f"<p>{BODY}</p>")
                for i in range(2 * count)]
    start, before = time.perf_counter(), handler.count
    for message in messages[:count]:
        await send_message(settings, message)
    new = time.perf_counter() - start
    connection = Connection(settings)
    start = time.perf_counter()
    for message in messages[count:]:
        await connection.send(message)
    await connection.close()
    reused = time.perf_counter() - start
    assert handler.count - before == 2 * count, "the server did not get every raw message"
    return new, reused


async def measure(workdir: Path, subscribers: int = SUBSCRIBERS, raw: int = RAW, report: Any = print) -> MailResult:
    handler = Counting()
    port = free_port()
    probe = Controller(handler, hostname="127.0.0.1", port=port)
    probe.start()
    try:
        settings = settings_for(workdir, port)
        await run_migrations(settings)
        node = await start_node(settings)
        try:
            with activate(node.ctx):
                await bootstrap(node, None, "")
                await Subscriber.bulk_create([Subscriber(email=f"s{i}@example.org", token=f"token-{i:06d}", status="active",
                                                         language="fr" if i % 2 else "en", kinds=["newsletter"])
                                              for i in range(subscribers)], batch_size=500)
                mailing = await create_mailing(None, MailingInput("Spring news", BODY, "en"))
                report(f"mail: {subscribers} subscribers; snapshot")
                start = time.perf_counter()
                queued = await sending.send_now(node, mailing)
                queued_seconds = time.perf_counter() - start
                assert queued == subscribers
                report("mail: sending through the worker")
                start, cpu, before = time.perf_counter(), time.process_time(), handler.count
                while (await Mailing.get(id=mailing.id)).status != "sent":
                    await node.extra["worker"].drain()
                sent_seconds, sent_cpu = time.perf_counter() - start, time.process_time() - cpu
                assert handler.count - before == subscribers, f"{handler.count - before} of {subscribers} arrived"
                report(f"mail: {raw} raw messages each way")
                new, reused = await raw_rates(dataclasses.replace(settings), handler, raw)
        finally:
            await stop_node(node)
    finally:
        probe.stop()
    return MailResult(subscribers, queued_seconds, sent_seconds, raw, new, reused, sent_cpu)


async def run(workdir: Path, children: Any, args: argparse.Namespace) -> MailResult:
    """bench.py's phase "mail" (it starts no process: the SMTP server is a thread of this one)."""
    folder = workdir / "mail"
    folder.mkdir(exist_ok=True)
    return await measure(folder)


def rows(result: MailResult | None) -> list[tuple[str, str, str, bool | None]]:
    if result is None:
        return []
    return [
        ("newsletter: emails queued/s (recipients' snapshot)", f"{result.queued_rate:,.0f}/s", "", None),
        ("newsletter: emails sent/s to a local SMTP server", f"{result.sent_rate:,.0f}/s "
         f"({result.sent_per_cpu:,.0f} per CPU-second)", "", None),
    ]


def details(result: MailResult | None) -> list[str]:
    if result is None:
        return []
    return [f"newsletter: {result.subscribers} subscribers queued in {result.queued_seconds:.2f} s and sent in "
            f"{result.sent_seconds:.2f} s by the mailing's job (SQLite, one kept SMTP connection per run, two commits "
            f"per message around the final dot); the mail layer alone on {result.raw} prebuilt messages: "
            f"{result.new_rate:,.0f}/s with a connection per message, {result.reused_rate:,.0f}/s over one "
            f"connection ({result.reused_rate / result.new_rate:.1f}x)."]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=SUBSCRIBERS)
    parser.add_argument("--raw", type=int, default=RAW)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="agora-bench-mail-") as folder:
        result = asyncio.run(measure(Path(folder), args.subscribers, args.raw))
    for figure, measured, _, _ in rows(result):
        print(f"{figure}: {measured}")
    for line in details(result):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
