"""`agora mailing send|list`, run in-process through `node.cli.main` on a node made by `agora init`
(the fixtures of tests/cli/test_cli.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from node.core.models import Job
from node.mailing.models import Subscriber
from node.newsletters import sending
from node.newsletters.models import Mailing, MailingRecipient
from tests.cli.test_cli import clean_environment, cli, config, database_url, in_db, one_line_error

__all__ = ["clean_environment", "config", "database_url"]  # fixtures used here


def test_send_to_subscribers_queues_them_and_list_shows_it(config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    c = ["--config", str(config)]

    async def add() -> None:
        for i in range(3):
            await Subscriber.create(email=f"s{i}@example.org", token=f"t{i}", status="active", kinds=["newsletter"])
        await Subscriber.create(email="x@example.org", token="tx", status="active", kinds=["events"])

    in_db(config, add)
    file = tmp_path / "news.md"
    file.write_text("# Spring news\n\nThe **garden** opens.\n", encoding="utf-8")
    status, out, err = cli(capsys, *c, "mailing", "send", "--to", "subscribers", str(file))
    assert (status, out) == (0, ["3"]), err

    async def stored() -> tuple[Mailing, list[str], int]:
        mailing = await Mailing.get()
        emails = await MailingRecipient.filter(mailing_id=mailing.id).order_by("email").values_list("email", flat=True)
        return mailing, [str(e) for e in emails], await Job.filter(kind=sending.JOB, status="queued").count()

    mailing, emails, jobs = in_db(config, stored)
    assert (mailing.subject, mailing.body.strip(), mailing.status) == ("Spring news", "The **garden** opens.", "sending")
    assert emails == ["s0@example.org", "s1@example.org", "s2@example.org"] and jobs == 1
    status, out, _ = cli(capsys, *c, "mailing", "list")
    assert out == [f"{mailing.id}\tsending\t0/3\tsubscribers\t{mailing.slug}\tSpring news"]


def test_mistakes_are_one_line(config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    c = ["--config", str(config)]
    file = tmp_path / "news.md"
    file.write_text("No heading here.\n", encoding="utf-8")
    status, _, err = cli(capsys, *c, "mailing", "send", "--to", "members", str(file))
    assert status == 2
    one_line_error(err, "--subject")
    status, _, err = cli(capsys, *c, "mailing", "send", "--to", "members", str(tmp_path / "missing.md"))
    assert status == 2
    one_line_error(err, "missing.md")
    status, out, err = cli(capsys, *c, "mailing", "send", "--to", "members", "--subject", "Hello", str(file))
    assert (status, out) == (0, ["1"]), err  # the admin agora init made
