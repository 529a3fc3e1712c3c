"""Builders of what polls send: the `Question` fields of a post with a poll, a vote and its `Create`."""

from __future__ import annotations

from typing import Any

from federation import vocab
from federation.polls.model import CONTEXT, Question


def question_fields(question: Question) -> dict[str, Any]:
    """What turns an object document into a poll: merged over a Note (or Page) document by its builder.
    Hidden totals (until the end) leave `totalItems` out, which Mastodon reads as 0."""
    options = []
    for option in question.options:
        replies: dict[str, Any] = {"type": "Collection"}
        if option.count is not None:
            replies["totalItems"] = option.count
        options.append({"type": "Note", "name": option.name, "replies": replies})
    doc: dict[str, Any] = {"@context": CONTEXT, "type": "Question", "anyOf" if question.multiple else "oneOf": options}
    if question.end_time is not None:
        doc["endTime"] = vocab.iso(question.end_time)
    if question.closed is not None:
        doc["closed"] = vocab.iso(question.closed)
    if question.voters_count is not None:
        doc["votersCount"] = question.voters_count
    return doc


def vote_note(vote_id: str, actor: str, question_id: str, question_author: str, name: str) -> dict[str, Any]:
    """A vote as Mastodon sends it: no content, the option in `name`, addressed to the author only."""
    return {
        "id": vote_id,
        "type": "Note",
        "attributedTo": actor,
        "to": [question_author],
        "name": name,
        "inReplyTo": question_id,
    }


def vote_activity(vote_id: str, actor: str, question_id: str, question_author: str, name: str) -> dict[str, Any]:
    """The `Create` of one vote (one per chosen option)."""
    note = vote_note(vote_id, actor, question_id, question_author, name)
    return vocab.activity("Create", f"{vote_id}/activity", actor, note, to=[question_author])
