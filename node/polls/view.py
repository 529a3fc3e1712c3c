"""A poll as pages show it, read from its post, so that listing posts costs no query per poll: our
posts' copy of their poll (`data["question"]`, kept by node/polls/polls.sync), and other servers' posts'
own document (their Question as last received, by whichever feature stored it: the timeline, a followed
forum category). Templates call `poll_view(post)`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from federation import polls as wire
from node.core.models import Post


@dataclass(frozen=True)
class OptionView:
    index: int
    name: str
    count: int | None
    percent: int | None


@dataclass(frozen=True)
class PollView:
    post_id: int
    multiple: bool
    options: tuple[OptionView, ...]
    voters: int | None
    ends_at: datetime | None
    ended: bool
    hidden: bool  # the totals are hidden until the end


def question_doc_of(post: Post) -> dict[str, Any] | None:
    data = post.data or {}
    found = data.get("question") if post.local else data
    return found if isinstance(found, dict) and wire.is_question(found) else None


def poll_view(post: Any) -> PollView | None:
    if not isinstance(post, Post):
        return None
    question_doc = question_doc_of(post)
    if question_doc is None:
        return None
    try:
        question = wire.parse_question(question_doc)
    except wire.PollError:
        return None
    counts = [o.count for o in question.options]
    hidden = any(c is None for c in counts)
    votes = sum(c or 0 for c in counts)
    base = question.voters_count if question.multiple and question.voters_count else votes
    options = tuple(
        OptionView(index=i, name=o.name, count=o.count,
                   percent=round(100 * (o.count or 0) / base) if base and not hidden else (0 if not hidden else None))
        for i, o in enumerate(question.options)
    )
    voters = question.voters_count if question.voters_count is not None else (None if question.multiple else votes)
    return PollView(post_id=post.id, multiple=question.multiple, options=options, voters=None if hidden else voters,
                    ends_at=question.end_time, ended=question.ended(datetime.now(timezone.utc)), hidden=hidden)


def install(env: Any) -> None:
    env.globals["poll_view"] = poll_view
