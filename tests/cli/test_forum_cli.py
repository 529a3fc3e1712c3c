"""`agora forum ...`, run in-process through `node.cli.main` on a node made by `agora init` (the
fixtures of tests/cli/test_cli.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from node.core.models import AuditEntry, Post
from node.forum.models import Category, Entry, Topic
from tests.cli.test_cli import clean_environment, cli, config, database_url, in_db, one_line_error

__all__ = ["clean_environment", "config", "database_url"]  # fixtures used here


def _setup(capsys: pytest.CaptureFixture[str], config: Path) -> list[str]:
    c = ["--config", str(config)]
    for argv in (["forum", "category", "create", "housing", "--name", "Housing"],
                 ["forum", "category", "create", "jobs", "--name", "Jobs"],
                 ["user", "add", "carol", "carol@example.org"],
                 ["user", "add", "mod", "mod@example.org", "--role", "moderator"]):
        status, _, err = cli(capsys, *c, *argv)
        assert status == 0, err
    return c


def test_categories_topics_replies_and_lists(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    c = ["--config", str(config)]
    status, out, err = cli(capsys, *c, "forum", "category", "create", "housing", "--name", "Logement")
    assert (status, out) == (0, ["https://asso.example/forum/housing"]), err
    status, out, err = cli(capsys, *c, "forum", "category", "create", "board", "--name", "Board", "--members-only", "--moderated")
    assert (status, out) == (0, ["https://asso.example/forum/board"]), err
    assert cli(capsys, *c, "user", "add", "carol", "carol@example.org")[0] == 0

    status, out, err = cli(capsys, *c, "forum", "topic", "--category", "housing", "--as", "carol", "Rooms in Paris", "Where *now*?")
    assert status == 0, err
    [topic_url] = out
    assert topic_url.startswith("https://asso.example/topics/")
    status, out, err = cli(capsys, *c, "forum", "reply", topic_url, "--as", "carol", "At the town hall")
    assert status == 0, err
    [reply_url] = out
    status, out, err = cli(capsys, *c, "forum", "reply", reply_url, "--as", "root", "Thanks")  # to a post
    assert status == 0, err
    [second_url] = out

    async def thread() -> tuple[Topic, list[tuple[int, str | None]], Category]:
        topic = await Topic.get(slug=topic_url.rsplit("/", 1)[1])
        entries = await Entry.filter(topic=topic).order_by("position").prefetch_related("post")
        return topic, [(e.position, e.post.in_reply_to_uri) for e in entries], await Category.get(slug="housing")

    topic, places, housing = in_db(config, thread)
    assert topic.title == "Rooms in Paris" and topic.reply_count == 2
    assert [p for p, _ in places] == [0, 1, 2] and places[2][1] == reply_url
    assert (housing.topic_count, housing.post_count) == (1, 3)

    status, out, _ = cli(capsys, *c, "forum", "list")
    assert out == ["housing\tLogement\t1\t3\tpublic", "board\tBoard\t0\t0\tmembers"]
    status, out, _ = cli(capsys, *c, "forum", "list", "--category", "housing")
    assert out == [f"{topic_url}\t2\t-\tRooms in Paris"]

    # a moderated members-only category holds a newcomer's first post
    assert cli(capsys, *c, "user", "add", "dan", "dan@example.org")[0] == 0
    status, out, err = cli(capsys, *c, "forum", "topic", "--category", "board", "--as", "dan", "Budget", "Numbers")
    assert status == 0, err
    assert out[0].endswith("\t(waits for a moderator's approval)")
    status, out, err = cli(capsys, *c, "forum", "topic", "--category", "board", "--as", "carol", "Agenda", "Items")
    assert status == 0 and "\t" not in out[0], err  # carol's posts were approved before

    async def post_of(url: str) -> Post:
        return await Post.get(url=url)

    assert "<em>now</em>" in in_db(config, lambda: post_of(topic_url)).content
    assert in_db(config, lambda: post_of(second_url)).in_reply_to_uri == reply_url


def test_moderation_commands(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    c = _setup(capsys, config)
    first = cli(capsys, *c, "forum", "topic", "--category", "housing", "--as", "carol", "Old", "Old news")[1][0]
    second = cli(capsys, *c, "forum", "topic", "--category", "housing", "--as", "carol", "New", "New news")[1][0]
    listed = cli(capsys, *c, "forum", "list", "--category", "housing")[1]
    assert [row.split("\t")[0] for row in listed] == [second, first]

    assert cli(capsys, *c, "forum", "pin", first, "--as", "mod")[1] == [f"pinned {first}"]
    listed = cli(capsys, *c, "forum", "list", "--category", "housing")[1]
    assert listed[0] == f"{first}\t0\tpinned\tOld"  # pinned first

    assert cli(capsys, *c, "forum", "lock", first, "--as", "mod", "--reason", "Settled")[1] == [f"locked {first}"]
    status, out, err = cli(capsys, *c, "forum", "reply", first, "--as", "carol", "One more thing")
    assert status == 2 and out == []
    one_line_error(err, "locked")
    assert cli(capsys, *c, "forum", "reply", first, "--as", "mod", "Moderators still can")[0] == 0
    assert cli(capsys, *c, "forum", "unlock", first, "--as", "mod")[0] == 0
    reply = cli(capsys, *c, "forum", "reply", first, "--as", "carol", "Spam spam")[1][0]

    status, out, err = cli(capsys, *c, "forum", "remove", reply, "--as", "mod", "--reason", "Spam")
    assert (status, out) == (0, [f"removed {reply}"]), err
    assert cli(capsys, *c, "forum", "restore", reply, "--as", "mod")[1] == [f"restored {reply}"]
    assert cli(capsys, *c, "forum", "move", first, "--as", "mod", "--to", "jobs")[1] == [f"moved {first} to jobs"]
    assert cli(capsys, *c, "forum", "list", "--category", "jobs")[1][0].startswith(f"{first}\t2\tpinned")

    async def audited() -> list[str]:
        return list(await AuditEntry.filter(action__startswith="forum.", by="mod").order_by("id").values_list("action", flat=True))

    assert in_db(config, audited) == ["forum.topic.pin", "forum.topic.lock", "forum.topic.unlock", "forum.post.remove",
                                      "forum.post.restore", "forum.topic.move"]


MISTAKES = [
    (["forum", "topic", "--category", "nope", "--as", "carol", "T", "B"], ["no forum category", "nope"]),
    (["forum", "topic", "--category", "housing", "--as", "nobody", "T", "B"], ["no member named", "nobody"]),
    (["forum", "topic", "--category", "housing", "--as", "carol", "  ", "B"], ["title"]),
    (["forum", "reply", "https://asso.example/topics/nope", "--as", "carol", "B"], ["no forum topic"]),
    (["forum", "reply", "https://elsewhere.example/posts/1", "--as", "carol", "B"], ["no forum topic"]),
    (["forum", "list", "--category", "nope"], ["no forum category"]),
    (["forum", "category", "create", "housing", "--name", "Again"], ["taken"]),
    (["forum", "category", "create", "carol", "--name", "Carol"], ["taken"]),
    (["forum", "category", "create", "bad slug", "--name", "X"], ["category address"]),
    (["forum", "lock", "TOPIC", "--as", "carol"], ["Only the moderators"]),
    (["forum", "remove", "TOPIC", "--as", "mod", "--reason", " "], ["Say why"]),
    (["forum", "move", "TOPIC", "--as", "mod", "--to", "nope"], ["no forum category"]),
    (["forum", "restore", "TOPIC", "--as", "mod"], ["not removed"]),
]


def test_forum_mistakes_are_one_line_errors(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Each mistake (one node for all, to keep the test quick) is one line, status 2, and changes nothing."""
    c = _setup(capsys, config)
    topic = cli(capsys, *c, "forum", "topic", "--category", "housing", "--as", "carol", "Here", "Text")[1][0]

    async def state() -> tuple[int, int, bool]:
        found = await Topic.get(slug=topic.rsplit("/", 1)[1])
        return await Topic.all().count(), await Category.all().count(), found.locked or found.removed_at is not None

    for argv, words in MISTAKES:
        status, out, err = cli(capsys, *c, *[topic if a == "TOPIC" else a for a in argv])
        assert status == 2 and out == [], argv
        one_line_error(err, *words)
    assert in_db(config, state) == (1, 2, False)
