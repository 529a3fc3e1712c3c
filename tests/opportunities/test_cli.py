"""`agora opportunity create/list/close`, run in-process through `node.cli.main` on a node made by
`agora init` (the fixtures of tests/cli/test_cli.py)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from node.core.models import Job
from node.opportunities.models import Opportunity
from tests.cli.test_cli import clean_environment, cli, config, database_url, in_db

__all__ = ["clean_environment", "config", "database_url"]  # fixtures used here


def test_create_list_and_close(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    c = ["--config", str(config)]
    last = (date.today() + timedelta(days=60)).isoformat()
    status, out, err = cli(capsys, *c, "opportunity", "create", "--kind", "job", "--title", "Driver",
                           "--place", "Marseille", "--expires", last, "Deliveries, mornings.")
    assert status == 0, err
    [url] = out
    assert url.startswith("https://asso.example/opportunities/")

    async def stored() -> tuple[Opportunity, bool]:
        row = await Opportunity.get(uri=url)
        return row, await Job.filter(kind="opportunities.expire").exists()

    status, out, err = cli(capsys, *c, "opportunity", "create", "--kind", "job", "--title", "Bad", "--expires",
                           "1999-01-01", "x")
    assert status != 0 and "expiry" in err[0]
    status, out, _ = cli(capsys, *c, "opportunity", "list")
    assert out == [f"open\tjob\toffer\t{last}\t0\tDriver\t{url}"]
    status, out, err = cli(capsys, *c, "opportunity", "close", url)
    assert status == 0 and out == [f"{url} is now closed"], err
    row, scheduled = in_db(config, stored)
    assert row.status == "closed" and row.place_name == "Marseille" and scheduled
    status, _, err = cli(capsys, *c, "opportunity", "close", "https://asso.example/opportunities/nope")
    assert status != 0 and "no opportunity" in err[0]
