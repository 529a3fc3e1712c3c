"""`agora bounces import|list|lift|read`, run in-process through `node.cli.main` on a node made by
`agora init` (the fixtures of tests/cli/test_cli.py)."""

from __future__ import annotations

import mailbox
from pathlib import Path

import pytest

from node.mailing.models import Subscriber, Suppression
from tests.cli.test_cli import clean_environment, cli, config, database_url, in_db, one_line_error

__all__ = ["clean_environment", "config", "database_url"]  # fixtures used here

SAMPLES = Path(__file__).parent / "bounce_samples"


def test_import_list_and_lift(config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    c = ["--config", str(config)]

    async def subscribe() -> None:
        await Subscriber.create(email="angry@example.org", token="a" * 32, status="active")

    in_db(config, subscribe)
    plain = tmp_path / "bounced.txt"
    plain.write_text("# from the old provider\nGone@Example.org\n\nalso@example.org\nnonsense\n", encoding="utf-8")
    status, out, err = cli(capsys, *c, "bounces", "import", str(plain))
    assert status == 0, err
    assert out[0] == "2 bounces, 0 soft bounces, 0 complaints imported; 1 lines skipped; 0 addresses blocked"
    assert out[1] == "skipped lines: 5"
    table = tmp_path / "bounces.csv"
    table.write_text("gone@example.org;bounce\ngone@example.org;hard\nangry@example.org;complaint;clicked spam\n"
                     "full@example.org;soft\nodd@example.org;weird\n", encoding="utf-8")
    status, out, err = cli(capsys, *c, "bounces", "import", str(table))
    assert status == 0, err
    assert out[0] == "2 bounces, 1 soft bounces, 1 complaints imported; 1 lines skipped; 2 addresses blocked"

    async def state() -> dict[str, tuple[int, bool, str]]:
        return {r.email: (r.bounces, r.blocked, r.reason) for r in await Suppression.all()}

    assert in_db(config, state) == {"gone@example.org": (3, True, "bounce"), "also@example.org": (1, False, "bounce"),
                                    "angry@example.org": (0, True, "complaint"), "full@example.org": (0, False, "bounce")}

    async def angry() -> str:
        return (await Subscriber.get(email="angry@example.org")).status

    assert in_db(config, angry) == "unsubscribed"
    status, out, _ = cli(capsys, *c, "bounces", "list", "--blocked")
    assert sorted(line.split("\t")[0] for line in out) == ["angry@example.org", "gone@example.org"]
    assert all(line.split("\t")[3] == "blocked" for line in out)
    status, out, _ = cli(capsys, *c, "bounces", "lift", "GONE@example.org")
    assert (status, out) == (0, ["gone@example.org receives mail again"])
    status, _, err = cli(capsys, *c, "bounces", "lift", "gone@example.org")
    assert status == 2
    one_line_error(err, "no suppression for gone@example.org")
    status, _, err = cli(capsys, *c, "bounces", "import", str(tmp_path / "missing.csv"))
    assert status == 2
    one_line_error(err, "missing.csv")


def test_block_at_once_and_read_a_mailbox_now(config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    c = ["--config", str(config)]
    listing = tmp_path / "suppressed.txt"
    listing.write_text("blocked@example.org\n", encoding="utf-8")
    status, out, err = cli(capsys, *c, "bounces", "import", "--block", str(listing))
    assert status == 0 and out[0].endswith("1 addresses blocked"), err
    path = tmp_path / "Maildir"
    box = mailbox.Maildir(str(path), create=True)
    box.add((SAMPLES / "gmail_dsn.eml").read_bytes())
    status, out, err = cli(capsys, *c, "bounces", "read", "--mailbox", str(path))
    assert (status, out) == (0, ["1 messages read: 1 hard bounces, 0 soft, 0 complaints, 0 unrecognized"]), err
    status, out, _ = cli(capsys, *c, "bounces", "list")
    assert sorted(line.split("\t")[:3] for line in out) == [["blocked@example.org", "manual", "0"],
                                                            ["no.such.person@gmail.com", "bounce", "1"]]
    status, _, err = cli(capsys, *c, "bounces", "read")
    assert status == 2
    one_line_error(err, "bounce_mailbox")
