"""Other servers' polls: their `Question` stored with its options and counts (and refreshed by each
`Update`), and our members' votes in them, sent as Mastodon does: one `Create{Note}` per chosen option,
with the option as `name`, to the poll's author only."""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from typing import Any

from tortoise.transactions import in_transaction

from federation import polls as wire
from node.core import i18n
from node.core.models import Actor, Post
from node.core.runtime import Node
from node.polls.inputs import PollError
from node.polls.models import Poll, PollVote
from node.polls import view
from node.polls.polls import add_vote, checked_choices
from node.social.delivery import publish

log = logging.getLogger("agora.polls")


async def store_question(post: Post, obj: Mapping[str, Any]) -> Poll | None:
    """A received post's poll row, from its Question (created, or replaced by a newer version's counts).
    Pages read the counts from the post itself (node/polls/view.py); the row keeps who voted here, and
    is refreshed before a vote (`current`). When the options change, our members' votes are dropped, as
    Mastodon does (they may vote again)."""
    values = _values(post, obj)
    if values is None:
        return None
    options = values["options"]
    async with in_transaction():
        poll = await Poll.select_for_update().get_or_none(post_id=post.id)
        if poll is None:
            poll = await Poll.create(post_id=post.id, **values)
        else:
            if [o.get("name") for o in poll.options] != [o["name"] for o in options] or poll.multiple != values["multiple"]:
                await PollVote.filter(poll_id=poll.id).delete()
            await Poll.filter(id=poll.id).update(**values)
            poll = await Poll.get(id=poll.id)
    return poll


def _values(post: Post, obj: Mapping[str, Any]) -> dict[str, Any] | None:
    """The poll row's columns from a Question (None: it is no poll)."""
    try:
        question = wire.parse_question(obj)
    except wire.PollError as exc:
        log.info("question %s has no poll: %s", post.uri, exc)
        return None
    options: list[dict[str, Any]] = [{"name": o.name, "count": o.count or 0} for o in question.options]
    voters = question.voters_count
    if voters is None:  # Misskey and older servers send no votersCount: a single-choice poll's total
        voters = 0 if question.multiple else sum(o.count or 0 for o in question.options)
    return {"multiple": question.multiple, "options": options, "voters_count": voters,
            "ends_at": question.end_time, "closed_at": question.closed, "local": False}


async def current(post: Post) -> Poll | None:
    """Another server's post's poll, as its document last said (None: it has none). Read, and written
    only when the row is missing or differs from the document: a page view writes nothing."""
    doc = view.question_doc_of(post)
    if doc is None:
        return None
    values = _values(post, doc)
    if values is None:
        return None
    poll = await Poll.get_or_none(post_id=post.id)
    if poll is not None and all(getattr(poll, name) == value for name, value in values.items()):
        return poll
    return await store_question(post, doc)


def _counted(data: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """The post's document with our member's vote counted, until the author's next Update. The options
    are found by their text: the poll keeps only the first of repeated ones and none of the blank ones,
    so its indexes need not be the document's."""
    data = copy.deepcopy(data)
    key = "anyOf" if "anyOf" in data and "oneOf" not in data else "oneOf"
    items = data.get(key)
    wanted = set(names)
    for item in items if isinstance(items, list) else []:
        name = wire.option_name(item) if isinstance(item, dict) else ""
        if name in wanted:
            wanted.discard(name)
            found = item.get("replies")
            replies: dict[str, Any] = found if isinstance(found, dict) else {"type": "Collection"}
            replies["totalItems"] = (wire.count_of(replies.get("totalItems")) or 0) + 1
            item["replies"] = replies
    voters = wire.count_of(data.get("votersCount"))
    if voters is not None:
        data["votersCount"] = voters + 1
    return data


def vote_id(voter: Actor, poll: Poll, choice: int) -> str:
    return f"{voter.uri}#votes/{poll.id}-{choice}"


async def vote_there(node: Node, poll: Poll, post: Post, voter: Actor, choices: list[int]) -> None:
    """A member votes in another server's poll: recorded here (the counts shown go up at once, until
    the author's next Update says better) and sent to the poll's author."""
    chosen = checked_choices(poll, choices)
    author = await Actor.get(id=post.author_id)
    async with in_transaction():
        locked = await Poll.select_for_update().get(id=poll.id)
        if await PollVote.filter(poll_id=locked.id, actor_id=voter.id).exists():
            raise PollError(i18n.gettext("You have already voted in this poll."), 409)
        options = [dict(o) for o in locked.options]
        for choice in chosen:
            uri = vote_id(voter, locked, choice)
            await add_vote(locked, voter, choice, uri)
            options[choice]["count"] = int(options[choice].get("count") or 0) + 1
            doc = wire.vote_activity(uri, voter.uri, post.uri, author.uri, str(options[choice]["name"]))
            await publish(node, voter, doc, followers=False, recipients=[author.uri])
        locked.options = options
        locked.voters_count += 1
        await Poll.filter(id=locked.id).update(options=options, voters_count=locked.voters_count)
        post.data = _counted(dict(post.data or {}), [str(options[c]["name"]) for c in chosen])
        await Post.filter(id=post.id).update(data=post.data)
