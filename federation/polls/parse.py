"""Tolerant readers of other servers' questions (Mastodon, Misskey, Pleroma, Agora) and of votes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from federation.polls.model import MAX_REMOTE_OPTION, MAX_REMOTE_OPTIONS, Option, PollError, Question, Vote
from federation.vocab import as_list, id_of, ids_of, parse_datetime, text, type_of


MAX_COUNT = 2**31 - 1  # what a database integer holds: larger counts are read as this


def _count(value: Any) -> int | None:
    if isinstance(value, float) and value.is_integer():  # JavaScript servers may send 3.0
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return min(value, MAX_COUNT)
    return None


def count_of(value: Any) -> int | None:
    """A count as another server wrote it: a non-negative integer (bounded), or None."""
    return _count(value)


def option_name(item: Mapping[str, Any]) -> str:
    """An option's text as read from a question's item ("" when it has none)."""
    # Mastodon reads `name`, then `content` (app/lib/activitypub/parser/poll_parser.rb)
    return text(item.get("name"), MAX_REMOTE_OPTION).strip() or text(item.get("content"), MAX_REMOTE_OPTION).strip()


def _option(item: Any) -> Option | None:
    if not isinstance(item, Mapping):
        return None
    name = option_name(item)
    if not name:
        return None
    replies = item.get("replies")
    count = _count(replies.get("totalItems")) if isinstance(replies, Mapping) else None
    if count is None:
        count = _count(item.get("_misskey_votes"))  # older Misskey
    return Option(name=name, count=count)


def is_question(doc: Mapping[str, Any]) -> bool:
    return type_of(doc) == "Question" and ("oneOf" in doc or "anyOf" in doc)


def parse_question(doc: Mapping[str, Any]) -> Question:
    """A `Question`'s poll. Raises PollError when it has no usable options."""
    multiple = "anyOf" in doc and "oneOf" not in doc
    items = as_list(doc.get("anyOf" if multiple else "oneOf"))
    options: list[Option] = []
    for item in items[: MAX_REMOTE_OPTIONS * 2]:
        option = _option(item)
        if option is not None and all(o.name != option.name for o in options):
            options.append(option)
        if len(options) >= MAX_REMOTE_OPTIONS:
            break
    if not options:
        raise PollError("the question has no options")
    closed = doc.get("closed")
    end_time = parse_datetime(doc.get("endTime"))
    closed_at = parse_datetime(closed) if isinstance(closed, str) else None
    if closed is True:  # some servers say closed: true
        closed_at = end_time
    return Question(
        multiple=multiple,
        options=tuple(options),
        end_time=end_time or closed_at,
        closed=closed_at,
        voters_count=_count(doc.get("votersCount")),
    )


def vote_of(doc: Mapping[str, Any]) -> Vote | None:
    """A Note that may be a vote: a `name`, an `inReplyTo`, an author. Whether it is one depends on the
    question it answers (its options), which the caller knows; None when it cannot be one."""
    if type_of(doc) != "Note":
        return None
    note_id, question = id_of(doc), id_of(doc.get("inReplyTo"))
    author = id_of(doc.get("attributedTo")) or next(iter(ids_of(doc.get("attributedTo"))), None)
    name = text(doc.get("name"), MAX_REMOTE_OPTION).strip()
    if note_id is None or question is None or author is None or not name:
        return None
    return Vote(id=note_id, actor=author, question=question, name=name)


def has_content(doc: Mapping[str, Any]) -> bool:
    """Whether a Note says something besides its name (a vote has no content)."""
    content = doc.get("content")
    return (isinstance(content, str) and bool(content.strip())) or bool(doc.get("contentMap"))
