"""`agora subscribers list|import|export`, run in-process through `node.cli.main` on a node made by
`agora init` (the fixtures of tests/cli/test_cli.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from node.mailing.models import Subscriber
from tests.cli.test_cli import clean_environment, cli, config, database_url, in_db

__all__ = ["clean_environment", "config", "database_url"]  # fixtures used here

LIST = """email,language,kinds,frequency
Ana@Example.org,fr,newsletter events,daily
bad address@example.org,en,events,weekly
bo@example.org,,posts;forum,
=cmd@example.org,en,newsletter,weekly
not-an-address,en,newsletter,weekly
cy@example.org,en,nonsense,weekly
"""


def test_import_export_round_trip(config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    c = ["--config", str(config)]
    source = tmp_path / "list.csv"
    source.write_text(LIST, encoding="utf-8")
    status, out, err = cli(capsys, *c, "subscribers", "import", str(source))
    assert status == 0, err
    assert out == ["3 new, 0 confirmed, 0 already on the list, 3 skipped"]
    assert [line.split(": ", 1)[0] for line in err if line.startswith(str(source))] == [
        f"{source}:3", f"{source}:6", f"{source}:7"]

    async def rows() -> list[tuple[str, str, str, list[str], str, str]]:
        return [(r.email, r.status, r.language, r.kinds, r.frequency, r.source)
                for r in await Subscriber.all().order_by("email")]

    assert in_db(config, rows) == [
        ("=cmd@example.org", "active", "en", ["newsletter"], "weekly", "import"),
        ("ana@example.org", "active", "fr", ["newsletter", "events"], "daily", "import"),
        ("bo@example.org", "active", "fr", ["posts", "forum"], "weekly", "import"),  # the association's language
    ]
    status, out, err = cli(capsys, *c, "subscribers", "import", str(source))  # again: nothing changes
    assert status == 0 and out == ["0 new, 0 confirmed, 3 already on the list, 3 skipped"], err

    status, exported, err = cli(capsys, *c, "subscribers", "export")
    assert status == 0, err
    assert exported[0] == "email,language,kinds,frequency,status,source,created_at,confirmed_at"
    assert any(line.startswith("'=cmd@example.org,") for line in exported), "a formula cell went out unprotected"

    async def unsubscribe() -> None:
        await Subscriber.filter(email="bo@example.org").update(status="unsubscribed")

    in_db(config, unsubscribe)
    status, exported, _ = cli(capsys, *c, "subscribers", "export")
    again = tmp_path / "export.csv"
    again.write_text("\n".join(exported) + "\n", encoding="utf-8")
    status, out, err = cli(capsys, *c, "subscribers", "import", str(again))
    assert status == 0 and out == ["0 new, 0 confirmed, 3 already on the list, 0 skipped"], err
    assert [r[:2] for r in in_db(config, rows)] == [("=cmd@example.org", "active"), ("ana@example.org", "active"),
                                                   ("bo@example.org", "unsubscribed")], "an import resubscribed someone"

    async def wipe() -> None:
        await Subscriber.all().delete()

    in_db(config, wipe)  # into an empty list (another node): the same addresses, the unsubscribed one kept so
    status, out, err = cli(capsys, *c, "subscribers", "import", str(again))
    assert status == 0 and out == ["3 new, 0 confirmed, 0 already on the list, 0 skipped"], err
    assert [r[:4] for r in in_db(config, rows)] == [
        ("=cmd@example.org", "active", "en", ["newsletter"]), ("ana@example.org", "active", "fr", ["newsletter", "events"]),
        ("bo@example.org", "unsubscribed", "fr", ["posts", "forum"])]

    status, out, err = cli(capsys, *c, "subscribers", "list")
    assert status == 0 and len(out) == 3 and out[0].startswith("=cmd@example.org\tactive\tnewsletter\tweekly\ten")
    assert "2 active, 0 pending, 1 unsubscribed" in err[-1]
    status, out, _ = cli(capsys, *c, "subscribers", "list", "--status", "unsubscribed")
    assert out == ["bo@example.org\tunsubscribed\tposts,forum\tweekly\tfr"]


def test_import_refuses_a_missing_or_binary_file(config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    c = ["--config", str(config)]
    status, _, err = cli(capsys, *c, "subscribers", "import", str(tmp_path / "missing.csv"))
    assert status == 2 and "missing.csv" in err[-1]
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00email")
    status, _, err = cli(capsys, *c, "subscribers", "import", str(binary))
    assert status == 2 and "not UTF-8" in err[-1]
