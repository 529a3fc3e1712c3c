"""The suppression list's counting (threshold, soft bounces, complaints) and the bounce mailbox: a real
Maildir and a real mbox written with the mailbox module, read by the job the worker runs."""

from __future__ import annotations

import dataclasses
import mailbox
from pathlib import Path
from typing import Any

import pytest

from node.app import start_node, stop_node
from node.core import jobs
from node.core.models import Job
from node.core.runtime import Node
from node.mailing import bounce_jobs, bounces_mailbox, suppression
from node.mailing.bounces import Event, parse_bytes
from node.mailing.bounces_record import record
from node.mailing.models import Subscriber, Suppression

SAMPLES = Path(__file__).parent / "bounce_samples"


def sample(name: str, **replace: str) -> bytes:
    data = (SAMPLES / name).read_bytes()
    for old, new in replace.items():
        data = data.replace(old.encode(), new.encode())
    return data


def with_mail(node: Node, **changes: Any) -> None:
    node.settings = dataclasses.replace(node.settings, mail=dataclasses.replace(node.settings.mail, **changes))


def postfix_bounce(n: int, email: str = "nobody@example.org") -> bytes:
    """The Postfix DSN about `email`, as the n-th distinct report (its own Message-ID)."""
    return sample("postfix_dsn.eml", **{"nobody@example.org": email,
                                        "6A1D31C2B4@mail": f"6A1D31C2B4.{n}@mail"})


YAHOO_TOKEN = "Q7mP2xY9kL4vN8rT3wBz"  # in the List-Unsubscribe of yahoo_arf.eml's returned message


async def subscriber(email: str, token: str = "") -> Subscriber:
    return await Subscriber.create(email=email, token=token or email.replace("@", "-").replace(".", "-") + "-token-0001",
                                   status="active")


async def test_three_hard_bounces_block_soft_ones_never(node: Node) -> None:
    with_mail(node, bounce_threshold=3)
    with node.ctx:
        for n in range(2):
            await suppression.record_bounce(node, "Gone@Example.org", f"550 #{n}", ref=f"<m{n}>")
        assert not await suppression.blocked("gone@example.org")
        await suppression.record_bounce(node, "gone@example.org", "550 again", ref="<m1>")  # the same report
        assert not await suppression.blocked("gone@example.org")
        row = await suppression.record_bounce(node, "gone@example.org", "550 #3", ref="<m3>")
        assert (row.bounces, row.blocked, row.reason) == (3, True, "bounce")
        assert await suppression.blocked("GONE@example.org")
        for n in range(10):
            await suppression.record_bounce(node, "full@example.org", "452 4.2.2 mailbox full", hard=False)
        row = await Suppression.get(email="full@example.org")
        assert (row.bounces, row.blocked) == (0, False)
        assert await suppression.lift("gone@example.org") and not await suppression.blocked("gone@example.org")


async def test_a_complaint_blocks_and_unsubscribes_at_once(node: Node) -> None:
    with node.ctx:
        await subscriber("annoyed@yahoo.com")
        row = await suppression.record_complaint(node, "annoyed@yahoo.com", "abuse")
        assert (row.blocked, row.reason) == (True, "complaint")
        sub = await Subscriber.get(email="annoyed@yahoo.com")
        assert sub.status == "unsubscribed" and sub.unsubscribed_at is not None


def fill(box: mailbox.Mailbox) -> None:
    for n in range(3):
        box.add(postfix_bounce(n))
    box.add(sample("soft_mailbox_full.eml"))
    box.add(sample("yahoo_arf.eml"))
    box.add(sample("exim.eml"))
    box.add(b"From: friend@example.org\nSubject: hello\n\nNot a bounce at all.\n")
    box.flush()


async def check_recorded(node: Node) -> None:
    rows = {r.email: r for r in await Suppression.all()}
    assert set(rows) == {"nobody@example.org", "full@example.com", "annoyed@yahoo.com", "gone@example.net"}
    assert (rows["nobody@example.org"].bounces, rows["nobody@example.org"].blocked) == (3, True)
    assert (rows["full@example.com"].bounces, rows["full@example.com"].blocked) == (0, False)
    assert (rows["gone@example.net"].bounces, rows["gone@example.net"].blocked) == (1, False)
    assert (rows["annoyed@yahoo.com"].reason, rows["annoyed@yahoo.com"].blocked) == ("complaint", True)
    assert (await Subscriber.get(email="annoyed@yahoo.com")).status == "unsubscribed"


async def test_the_job_reads_a_maildir_records_and_empties_it(node: Node, tmp_path: Path) -> None:
    path = tmp_path / "Maildir"
    fill(mailbox.Maildir(str(path), create=True))
    with_mail(node, bounce_mailbox=str(path), bounce_threshold=3)
    with node.ctx:
        await subscriber("annoyed@yahoo.com", YAHOO_TOKEN)
        assert await bounce_jobs.ensure_mailbox_job(node)
        assert not await bounce_jobs.ensure_mailbox_job(node)  # one chain
        assert await node.extra["worker"].drain() == 1
        await check_recorded(node)
        box = mailbox.Maildir(str(path), create=False)
        assert len(box) == 0
        [aside] = box.get_folder("unrecognized").values()  # kept for a person to read
        assert aside["Subject"] == "hello"
        [next_run] = await Job.filter(kind=bounce_jobs.MAILBOX_JOB, status="queued")
        assert (next_run.run_at - next_run.created_at).total_seconds() > 250  # five minutes later
        box.add(postfix_bounce(3, "other@example.org"))
        await Job.filter(id=next_run.id).update(run_at=next_run.created_at)
        assert await node.extra["worker"].drain() == 1
        assert (await Suppression.get(email="other@example.org")).bounces == 1
        assert (await Suppression.get(email="nobody@example.org")).bounces == 3  # nothing counted twice


async def test_the_job_reads_an_mbox_and_empties_it(node: Node, tmp_path: Path) -> None:
    path = tmp_path / "bounces.mbox"
    fill(mailbox.mbox(str(path), create=True))
    with_mail(node, bounce_mailbox=str(path), bounce_threshold=3)
    with node.ctx:
        await subscriber("annoyed@yahoo.com", YAHOO_TOKEN)
        await bounce_jobs.ensure_mailbox_job(node)
        assert await node.extra["worker"].drain() == 1
        await check_recorded(node)
    assert len(mailbox.mbox(str(path))) == 0
    [aside] = mailbox.mbox(str(path) + ".unrecognized").values()
    assert aside["Subject"] == "hello"


@pytest.mark.parametrize("kind", ["maildir", "mbox"])
async def test_a_crash_between_recording_and_removing_counts_nothing_twice(
        node: Node, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    path = tmp_path / ("Maildir" if kind == "maildir" else "bounces.mbox")
    box = mailbox.Maildir(str(path), create=True) if kind == "maildir" else mailbox.mbox(str(path), create=True)
    fill(box)
    with_mail(node, bounce_threshold=5)
    real_remove = bounces_mailbox.remove
    calls = {"n": 0}

    def crashing_remove(box: mailbox.Mailbox, key: str) -> None:
        calls["n"] += 1
        if calls["n"] == 2:  # the second message was recorded, then the process "died"
            raise OSError("killed")
        real_remove(box, key)

    monkeypatch.setattr(bounces_mailbox, "remove", crashing_remove)
    with node.ctx:
        run = await bounces_mailbox.read_mailbox(node, str(path))
        assert run.read == 2 and "killed" in run.error
        assert (await Suppression.get(email="nobody@example.org")).bounces == 2
        monkeypatch.setattr(bounces_mailbox, "remove", real_remove)
        run = await bounces_mailbox.read_mailbox(node, str(path))
        assert run.error == "" and run.read == 6
        assert (await Suppression.get(email="nobody@example.org")).bounces == 3  # the second one not again


async def test_no_mailbox_no_job_and_a_missing_one_is_an_error_not_a_crash(node: Node, tmp_path: Path) -> None:
    with node.ctx:
        assert not await bounce_jobs.ensure_mailbox_job(node)
        assert not await Job.filter(kind=bounce_jobs.MAILBOX_JOB).exists()
        with_mail(node, bounce_mailbox=str(tmp_path / "nowhere"))
        run = await bounces_mailbox.read_mailbox(node, str(tmp_path / "nowhere"))
        assert run.read == 0 and "no Maildir or mbox" in run.error
        await bounce_jobs.ensure_mailbox_job(node)
        assert await node.extra["worker"].drain() == 1  # ran, found nothing, queued the next run
        assert await Job.filter(kind=bounce_jobs.MAILBOX_JOB, status="queued").count() == 1
        with_mail(node, bounce_mailbox="")
        await Job.filter(kind=bounce_jobs.MAILBOX_JOB, status="queued").update(run_at=jobs.utcnow())
        assert await node.extra["worker"].drain() == 1
        assert not await Job.filter(kind=bounce_jobs.MAILBOX_JOB, status="queued").exists()  # the chain ended


async def test_a_node_started_with_a_mailbox_queues_its_first_run(node: Node, tmp_path: Path) -> None:
    settings = dataclasses.replace(node.settings, mail=dataclasses.replace(node.settings.mail,
                                                                           bounce_mailbox=str(tmp_path / "Maildir")))
    second = await start_node(settings)
    try:
        with second.ctx:
            assert await Job.filter(kind=bounce_jobs.MAILBOX_JOB, status="queued").count() == 1
    finally:
        await stop_node(second)


async def test_a_complaint_that_hides_the_address_finds_the_subscriber_by_the_list_token(node: Node) -> None:
    data = sample("yahoo_arf.eml", **{"Original-Rcpt-To: <annoyed@yahoo.com>\n": "",
                                      "To: annoyed@yahoo.com": "To: redacted@yahoo.com, other@yahoo.com"})
    report = parse_bytes(data)
    assert [(e.email, e.token) for e in report.events] == [("", "Q7mP2xY9kL4vN8rT3wBz")]
    with node.ctx:
        await Subscriber.create(email="hidden@yahoo.com", token="Q7mP2xY9kL4vN8rT3wBz", status="active")
        tally = await record(node, report.events, report.ref)
        assert tally.complaints == 1
        assert (await Subscriber.get(email="hidden@yahoo.com")).status == "unsubscribed"
        assert await suppression.blocked("hidden@yahoo.com")
        forwarded = Event("bounce", "final.box@elsewhere.example", True, "550", "Q7mP2xY9kL4vN8rT3wBz")
        await record(node, [forwarded], "<fwd>")  # the returned message went to the token's subscriber
        assert not await Suppression.filter(email="final.box@elsewhere.example").exists()
        assert (await Suppression.get(email="hidden@yahoo.com")).detail.endswith("[ref <fwd>]")
        assert (await record(node, parse_bytes(sample("yahoo_arf.eml", Q7mP2xY9kL4vN8rT3wBz="unknown-token-0000000",
                                                      **{"Original-Rcpt-To: <annoyed@yahoo.com>\n": "",
                                                         "To: annoyed@yahoo.com": "To: a@x.org, b@x.org"})).events)
                ).complaints == 0  # nobody to name: nothing recorded


async def test_a_complaint_in_the_mailbox_without_our_token_unsubscribes_nobody(node: Node, tmp_path: Path) -> None:
    """Anyone can write to the bounce mailbox: a complaint naming an address, with no copy of a message
    we sent to it (no list token of ours), must not unsubscribe it. The webhook (behind its secret)
    and the same complaint with the subscriber's token do."""
    forged = sample("yahoo_arf.eml", Q7mP2xY9kL4vN8rT3wBz="made-up-token-000000")
    stripped = sample("yahoo_arf.eml", **{"List-Unsubscribe: <https://asso.example/mail/unsubscribe/Q7mP2xY9kL4vN8rT3wBz>\n": ""})
    assert parse_bytes(stripped).events[0].token == ""
    path = tmp_path / "Maildir"
    box = mailbox.Maildir(str(path), create=True)
    box.add(forged)
    box.add(stripped)
    box.flush()
    with_mail(node, bounce_mailbox=str(path))
    with node.ctx:
        await subscriber("annoyed@yahoo.com")  # a token of its own, not the one in the sample
        assert await bounce_jobs.ensure_mailbox_job(node)
        await node.extra["worker"].drain()
        assert (await Subscriber.get(email="annoyed@yahoo.com")).status == "active"
        assert not await suppression.blocked("annoyed@yahoo.com")
        assert not list(mailbox.Maildir(str(path)).keys())  # read and removed all the same
        assert (await record(node, parse_bytes(stripped).events, "<hook>", source="webhook")).complaints == 1
        assert (await Subscriber.get(email="annoyed@yahoo.com")).status == "unsubscribed"
