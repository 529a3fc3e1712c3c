"""`agora vote open|close|results|list`, run in-process through `node.cli.main` on a node made by
`agora init` (the fixtures of tests/cli/test_cli.py): a vote opened with its options and rules, ballots
cast, closed and counted, mistakes refused in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from node.core.models import AuditEntry, User
from node.assembly import ballots
from node.assembly.models import Vote, Voter
from tests.cli.test_cli import clean_environment, cli, config, database_url, in_db, one_line_error

__all__ = ["clean_environment", "config", "database_url"]  # fixtures used here


def test_open_cast_close_and_results(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    c = ["--config", str(config)]
    for name in ("carol", "dan", "erin"):
        assert cli(capsys, *c, "user", "add", name, f"{name}@example.org")[0] == 0
    assert cli(capsys, *c, "user", "add", "edith", "edith@example.org", "--role", "editor")[0] == 0
    status, out, err = cli(capsys, *c, "vote", "open", "--title", "Board election", "--option", "Amina", "--option", "Bruno",
                           "--option", "Chloé", "--secret", "--quorum", "50%", "--majority", "absolute", "--closes", "2d",
                           "--roles", "member,editor")
    assert status == 0, err
    vote_id, url, state, eligible = out[0].split("\t")
    assert url == f"https://asso.example/votes/{vote_id}" and state == "open" and eligible == "4 eligible"

    async def cast() -> None:
        vote = await Vote.get(id=int(vote_id))
        users = {u.username: u for u in await User.all()}
        assert vote.secret and vote.options == ["Amina", "Bruno", "Chloé"] and vote.roles == ["member", "editor"]
        assert await Voter.filter(vote_id=vote.id).count() == 4  # not the admin made by init
        for name, choice in (("carol", [1]), ("dan", [1]), ("edith", [0])):
            await ballots.cast(vote, users[name], choice)

    in_db(config, cast)
    status, out, err = cli(capsys, *c, "vote", "results", vote_id)
    assert status == 2 and "its result is known when it closes" in err[0]
    status, out, err = cli(capsys, *c, "vote", "close", vote_id)
    assert status == 0, err
    assert out == ["Board election", "outcome\tdecided", "turnout\t75.0%\t3/4", "quorum\tmet\t50%",
                   "Amina\t1", "Bruno\t2\t*", "Chloé\t0", "blank\t0"]
    assert cli(capsys, *c, "vote", "results", vote_id)[1] == out
    status, out, _ = cli(capsys, *c, "vote", "list")
    assert out[0].startswith(f"{vote_id}\tclosed\t") and out[0].endswith("\tdecided\tBoard election")

    async def audit() -> list[tuple[str, str]]:
        return [(e.action, e.by) for e in await AuditEntry.filter(target=f"/votes/{vote_id}").order_by("id")]

    assert in_db(config, audit) == [("vote.create", "cli"), ("vote.open", "cli"), ("vote.close", "cli")]


def test_a_motion_that_misses_its_quorum_and_mistakes(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    c = ["--config", str(config)]
    status, out, err = cli(capsys, *c, "vote", "open", "--title", "Accounts 2026", "--quorum", "2")
    assert status == 0, err
    vote_id = out[0].split("\t")[0]
    status, out, err = cli(capsys, *c, "vote", "close", vote_id)
    assert status == 0, err
    assert out[1:4] == ["outcome\tno-quorum", "turnout\t0.0%\t0/1", "quorum\tnot met\t2"]
    assert out[4:] == ["For\t0", "Against\t0", "blank\t0"]
    for argv, words in ((["vote", "open", "--title", "X", "--quorum", "lots"], ("quorum",)),
                        (["vote", "open", "--title", "X", "--closes", "soon"], ("duration",)),
                        (["vote", "open", "--title", "X", "--roles", "member,king"], ("Unknown role: king",)),
                        (["vote", "open", "--title", "X", "--option", "Only one"], ("at least two options",)),
                        (["vote", "close", "12345"], ("no vote 12345",)),
                        (["vote", "results", "abc"], ("no vote abc",))):
        status, _, err = cli(capsys, *c, *argv)
        assert status == 2, argv
        one_line_error(err, *words)
