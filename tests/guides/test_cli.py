"""`agora guide create/list`, run in-process through `node.cli.main` on a node made by `agora init`
(the fixtures of tests/cli/test_cli.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from node.core.models import Activity
from node.guides.models import Guide, GuideRevision
from tests.cli.test_cli import clean_environment, cli, config, database_url, in_db, one_line_error

__all__ = ["clean_environment", "config", "database_url"]  # fixtures used here


def test_guide_create_prints_its_url_and_list_shows_it(config: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    c = ["--config", str(config)]
    text = tmp_path / "papers.md"
    text.write_text("Go to the *prefecture* early.\n", encoding="utf-8")
    status, out, err = cli(capsys, *c, "guide", "create", "--topic", "residence", "--title", "Renewing papers", str(text))
    assert (status, out) == (0, ["https://asso.example/guides/renewing-papers"]), err

    async def stored() -> tuple[Guide, int, bool]:
        guide = await Guide.get(slug="renewing-papers")
        created = await Activity.filter(uri=f"{guide.uri}#create", kind="Create").exists()
        return guide, await GuideRevision.filter(guide=guide).count(), created

    guide, revisions, created = in_db(config, stored)
    assert "<em>prefecture</em>" in guide.content and guide.topic == "residence" and revisions == 1 and created
    status, out, _ = cli(capsys, *c, "guide", "list")
    assert out == ["residence\tfr\tRenewing papers\thttps://asso.example/guides/renewing-papers"]
    text.write_text("Go to the *prefecture* before eight.\n", encoding="utf-8")
    url = "https://asso.example/guides/renewing-papers"
    status, out, err = cli(capsys, *c, "guide", "edit", url, str(text), "--note", "earlier")
    assert (status, out) == (0, [url]), err

    async def revised() -> tuple[str, list[str], int]:
        guide = await Guide.get(slug="renewing-papers")
        notes = [r.note for r in await GuideRevision.filter(guide=guide).order_by("id")]
        return guide.content, notes, await Activity.filter(kind="Update").count()

    content, notes, updates = in_db(config, revised)
    assert "before eight" in content and notes == ["", "earlier"] and updates == 1
    status, _, err = cli(capsys, *c, "guide", "edit", "https://asso.example/guides/nothing", str(text))
    assert status == 2
    one_line_error(err, "no guide of this node")
    status, out, _ = cli(capsys, *c, "guide", "list", "--topic", "housing")
    assert (status, out) == (0, [])

    status, _, err = cli(capsys, *c, "guide", "create", "--topic", "nowhere", "--title", "T", str(text))
    assert status == 2
    one_line_error(err, "there is no topic nowhere")
    status, _, err = cli(capsys, *c, "guide", "create", "--topic", "work", "--title", "T", str(tmp_path / "missing.md"))
    assert status == 2
    one_line_error(err, "missing.md")
