"""federation/polls: the Question we build, and the questions and votes of Mastodon and Misskey read back
(the payloads of tests/polls/payloads, whose README says where their shape comes from)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from federation import polls
from federation.polls import Option, Question

PAYLOADS = Path(__file__).parent.parent / "polls" / "payloads"


def load(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((PAYLOADS / name).read_text())
    return doc


def test_mastodon_question() -> None:
    obj = load("mastodon_create_question.json")["object"]
    assert polls.is_question(obj)
    question = polls.parse_question(obj)
    assert not question.multiple
    assert question.options == (Option("Saturday", 2), Option("Sunday", 1), Option("Either is fine", 0))
    assert question.voters_count == 3 and question.closed is None
    assert question.end_time == datetime(2030, 12, 3, 9, 30, tzinfo=timezone.utc)
    assert question.index("Sunday") == 1 and question.index("sunday") is None


def test_mastodon_closed_update() -> None:
    question = polls.parse_question(load("mastodon_update_question_closed.json")["object"])
    assert question.closed == datetime(2026, 12, 3, 9, 30, tzinfo=timezone.utc)
    assert question.ended(datetime(2026, 12, 1, tzinfo=timezone.utc))  # closed says so, whatever the clock
    assert [o.count for o in question.options] == [4, 2, 1] and question.voters_count == 7


def test_misskey_question_is_multiple_without_voters_count() -> None:
    question = polls.parse_question(load("misskey_question.json")["object"])
    assert question.multiple and question.voters_count is None
    assert [(o.name, o.count) for o in question.options] == [("Arabic", 5), ("Tigrinya", 3), ("Dari", 4)]


def test_misskey_closed_poll_has_no_end_time_and_older_counts() -> None:
    question = polls.parse_question({
        "type": "Question", "closed": "2026-11-30T10:00:00.000Z",
        "oneOf": [{"type": "Note", "name": "Yes", "_misskey_votes": 3}, {"name": "No", "replies": "https://x/r"}],
    })
    assert question.end_time == question.closed == datetime(2026, 11, 30, 10, tzinfo=timezone.utc)
    assert [o.count for o in question.options] == [3, None]


@pytest.mark.parametrize("name", ["mastodon_vote.json", "misskey_vote.json"])
def test_votes_are_notes_with_a_name_and_no_content(name: str) -> None:
    note = load(name)["object"]
    assert polls.vote_of(note) is None  # the placeholder is no URL: nothing to answer
    note["inReplyTo"] = "https://agora.example/posts/abc"
    vote = polls.vote_of(note)
    assert vote is not None and vote.name in ("Park", "Library") and vote.actor == note["attributedTo"]
    assert vote.question == "https://agora.example/posts/abc" and not polls.has_content(note)


def test_a_reply_is_no_vote() -> None:
    reply = {"id": "https://m.example/s/1", "type": "Note", "attributedTo": "https://m.example/u/a",
             "inReplyTo": "https://agora.example/posts/abc", "content": "<p>Saturday for me!</p>"}
    assert polls.vote_of(reply) is None  # no name
    assert polls.has_content({**reply, "name": "Saturday"})


def test_questions_without_options_are_refused() -> None:
    with pytest.raises(polls.PollError):
        polls.parse_question({"type": "Question", "oneOf": [{"type": "Note"}, "junk"]})
    assert not polls.is_question({"type": "Question", "content": "an open question"})


def test_built_question_round_trips_and_hides_totals() -> None:
    end = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    built = polls.question_fields(Question(multiple=True, options=(Option("A", 2), Option("B", 0)), end_time=end,
                                           voters_count=2))
    assert built["type"] == "Question" and "oneOf" not in built and built["endTime"] == "2030-01-02T03:04:05Z"
    assert built["anyOf"][0] == {"type": "Note", "name": "A", "replies": {"type": "Collection", "totalItems": 2}}
    assert {"votersCount": "toot:votersCount"}.items() <= built["@context"][2].items()
    assert polls.parse_question(built) == Question(True, (Option("A", 2), Option("B", 0)), end, None, 2)
    hidden = polls.question_fields(Question(multiple=False, options=(Option("A", None), Option("B", None))))
    assert hidden["oneOf"][0]["replies"] == {"type": "Collection"} and "votersCount" not in hidden


def test_vote_activity_as_mastodon_sends_it() -> None:
    doc = polls.vote_activity("https://b.example/users/bob#votes/7-1", "https://b.example/users/bob",
                              "https://a.example/posts/q", "https://a.example/users/asso", "Park")
    assert doc["type"] == "Create" and doc["id"] == "https://b.example/users/bob#votes/7-1/activity"
    assert doc["to"] == ["https://a.example/users/asso"] and "cc" not in doc
    note = doc["object"]
    assert note == {"id": "https://b.example/users/bob#votes/7-1", "type": "Note", "name": "Park",
                    "attributedTo": "https://b.example/users/bob", "inReplyTo": "https://a.example/posts/q",
                    "to": ["https://a.example/users/asso"]}


def test_counts_are_bounded_and_tolerant() -> None:
    question = polls.parse_question({"type": "Question", "votersCount": 10**30, "oneOf": [
        {"name": "A", "replies": {"totalItems": 4.0}}, {"name": "B", "replies": {"totalItems": -3}},
        {"name": "C", "replies": {"totalItems": True}}, {"name": "A", "replies": {"totalItems": 1}},
    ]})
    assert [(o.name, o.count) for o in question.options] == [("A", 4), ("B", None), ("C", None)]
    assert question.voters_count == 2**31 - 1
