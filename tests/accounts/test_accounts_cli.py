"""`agora member reset-link`, `invite`, `invitations`, `role`, `disable`, `enable`."""

from __future__ import annotations

from pathlib import Path

import pytest

from node.accounts import password_reset
from node.core.models import AuditEntry, User
from node.accounts.models import Invitation
from node.core.settings import load_settings
from tests.cli.test_cli import clean_environment, cli, config, database_url, in_db  # noqa: F401  (fixtures)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], list[str]]:
    try:
        return cli(capsys, *argv)
    except SystemExit as exc:
        out, err = capsys.readouterr()
        return int(exc.code or 0), out.splitlines(), err.splitlines()


def test_reset_link_and_invitations_from_the_command_line(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = load_settings(config, env={})
    status, out, err = run(capsys, "--config", str(config), "member", "reset-link", "root")
    assert status == 0, err
    [link] = out
    assert link.startswith("https://asso.example/password/reset/")
    token = link.rsplit("/", 1)[1]

    class FakeNode:  # user_for_reset only reads the settings
        pass

    fake = FakeNode()
    fake.settings = settings  # type: ignore[attr-defined]
    found = in_db(config, lambda: password_reset.user_for_reset(fake, token))  # type: ignore[arg-type]
    assert found is not None and found.username == "root"

    status, out, err = run(capsys, "--config", str(config), "member", "invite", "--email", "new@example.org", "--role", "editor")
    assert status == 0, err
    [invite] = [line for line in out if line.startswith("https://")]
    assert invite.startswith("https://asso.example/invite/")

    async def check_invitation() -> None:
        row = await Invitation.get()
        assert (row.role, row.email) == ("editor", "new@example.org")
        assert (await AuditEntry.get(action="invitation.create")).by == "cli"

    in_db(config, check_invitation)
    status, out, _ = run(capsys, "--config", str(config), "member", "invitations")
    assert status == 0 and "valid" in out[0] and "new@example.org" in out[0]

    status, _, err = run(capsys, "--config", str(config), "member", "reset-link", "nobody")
    assert status == 2 and len(err) == 1 and err[0].startswith("agora: error: ") and "nobody" in err[0]
    status, _, err = run(capsys, "--config", str(config), "member", "role", "root", "member")
    assert status == 2 and "last admin" in err[0]


def test_disable_and_enable(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "--config", str(config), "user", "add", "amal", "amal@example.org")[0] == 0
    status, out, _ = run(capsys, "--config", str(config), "member", "disable", "amal")
    assert status == 0 and out == ["amal is disabled"]
    assert in_db(config, lambda: User.get(username="amal")).disabled
    status, _, err = run(capsys, "--config", str(config), "member", "reset-link", "amal")
    assert status == 2 and "disabled" in err[0]
    assert run(capsys, "--config", str(config), "member", "enable", "amal")[0] == 0
    assert not in_db(config, lambda: User.get(username="amal")).disabled
    assert in_db(config, lambda: AuditEntry.filter(by="cli").count()) == 2
