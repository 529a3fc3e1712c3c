"""`agora poll create` publishes a post with a poll and prints its URL; `agora poll results` shows the
counts; mistakes are one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from node.core.models import Post
from node.polls.models import Poll
from tests.cli.test_cli import cli, clean_environment, config, database_url, in_db, one_line_error  # noqa: F401


def test_poll_create_prints_the_post_url_and_stores_the_poll(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = cli(capsys, "--config", str(config), "poll", "create", "--option", "Tea", "--option", "Coffee",
                           "--multiple", "--ends", "2d", "What do we serve?")
    assert status == 0, err
    [url] = out
    assert url.startswith("https://asso.example/")

    async def stored() -> tuple[Post, Poll]:
        post = await Post.get(uri=url)
        return post, await Poll.get(post_id=post.id)

    post, poll = in_db(config, stored)
    assert poll.multiple and [o["name"] for o in poll.options] == ["Tea", "Coffee"]
    assert poll.ends_at is not None and (poll.ends_at - post.published).days in (1, 2)
    question = post.data["question"]
    assert question["type"] == "Question" and [o["name"] for o in question["anyOf"]] == ["Tea", "Coffee"]

    status, out, err = cli(capsys, "--config", str(config), "poll", "results", url)
    assert status == 0, err
    assert out[:2] == ["0\tTea", "0\tCoffee"] and out[2].startswith("voters 0\topen")


def test_poll_create_refuses_one_option_and_a_bad_duration(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = cli(capsys, "--config", str(config), "poll", "create", "--option", "Only", "Q?")
    assert status == 2
    one_line_error(err, "2")
    status, _, err = cli(capsys, "--config", str(config), "poll", "create", "--option", "A", "--option", "B",
                         "--ends", "forever", "Q?")
    assert status == 2
    one_line_error(err, "2d")
