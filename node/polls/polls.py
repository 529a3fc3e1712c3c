"""Polls of posts: creating one with its post, the state served as the post's `Question`, votes (of
members here, of other servers' members through their vote Notes) and the debounced `Update` of the
counts. Other servers' polls are in node/polls/remote.py."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timezone

from tortoise.exceptions import IntegrityError
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from federation import polls as wire
from federation import vocab
from node.accounts.actors import HIDDEN_KIND
from node.core import i18n, jobs
from node.core.models import Actor, Follow, Post, User
from node.core.runtime import Node
from node.polls.inputs import PollError, PollInput
from node.polls.models import Poll, PollVote
from node.posts.content import MEMBERS, Draft, create_post, forum_groups, note_document
from node.social.delivery import publish

log = logging.getLogger("agora.polls")

UPDATE_JOB = "polls.update"
CLOSE_JOB = "polls.close"
UPDATE_EVERY = 30  # seconds: at most one Update of a poll's counts per window


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def ended(poll: Poll, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return poll.closed_at is not None or (poll.ends_at is not None and poll.ends_at <= now)


def question_of(poll: Poll, now: datetime | None = None) -> wire.Question:
    """The poll as it goes on the wire (and as pages show it)."""
    over = ended(poll, now)
    hide = poll.hide_totals and not over
    options = tuple(
        wire.Option(name=str(o.get("name", "")), count=None if hide else int(o.get("count") or 0))
        for o in poll.options if isinstance(o, dict)
    )
    closed = poll.closed_at or (poll.ends_at if over else None)
    return wire.Question(multiple=poll.multiple, options=options, end_time=poll.ends_at, closed=closed,
                         voters_count=None if hide else poll.voters_count)


async def sync(poll: Poll, post: Post) -> None:
    """The post's copy of its poll (what its document and pages show) made equal to the poll's row."""
    data = dict(post.data or {})
    data["question"] = wire.question_fields(question_of(poll))
    post.data = data
    await Post.filter(id=post.id).update(data=data)


async def with_poll(draft: Draft, given: PollInput, make: Callable[[Draft], Awaitable[Post]]) -> Post:
    """`make` publishes the draft (a post, a forum topic) carrying the poll's Question fields, so that its
    `Create` is a Question; the poll's row and the job that closes it go in the same transaction.
    Raises PollError, or what `make` raises."""
    given.validate()
    ends = utcnow() + given.duration
    poll = Poll(local=True, multiple=given.multiple, options=[{"name": o, "count": 0} for o in given.options],
                voters_count=0, hide_totals=given.hide_totals, ends_at=ends)
    draft = replace(draft, question=wire.question_fields(question_of(poll)))
    async with in_transaction():
        post = await make(draft)
        poll.post_id = post.id
        await poll.save()
        await jobs.enqueue(CLOSE_JOB, {"poll": poll.id}, run_at=ends, dedupe_key=f"poll-close:{poll.id}")
    return post


async def create_poll_post(node: Node, author: Actor, draft: Draft, given: PollInput) -> Post:
    """A post with a poll, published. Raises PollError or ContentError."""
    return await with_poll(draft, given, lambda complete: create_post(node, author, complete))


async def poll_of(post: Post) -> Poll | None:
    return await Poll.get_or_none(post_id=post.id)


async def choices_of(poll: Poll, actor: Actor) -> list[int]:
    """The options this actor chose (empty: they have not voted)."""
    rows = await PollVote.filter(poll_id=poll.id, actor_id=actor.id).values_list("choice", flat=True)
    return sorted(int(str(c)) for c in rows)


async def voted_in(user: User | None, post_ids: list[int]) -> set[int]:
    """Which of these posts' polls the member voted in (one query for a page of posts): their poll shows
    the counts and their choice, not the form again."""
    if user is None or not post_ids:
        return set()
    rows = await PollVote.filter(actor_id=user.actor_id, poll__post_id__in=post_ids).values_list("poll__post_id", flat=True)
    return {int(str(r)) for r in rows}


async def recount(poll: Poll) -> None:
    """Our poll's counts from its votes."""
    rows = await PollVote.filter(poll_id=poll.id).annotate(n=Count("id")).group_by("choice").values("choice", "n")
    counts = {int(row["choice"]): int(row["n"]) for row in rows}
    found = await PollVote.filter(poll_id=poll.id).annotate(n=Count("actor_id", distinct=True)).first().values("n")
    voters = int(found["n"] or 0) if found else 0  # counted by the database: a flood of votes loads no rows
    poll.options = [{"name": o.get("name"), "count": counts.get(i, 0)} for i, o in enumerate(poll.options)]
    poll.voters_count = voters
    await Poll.filter(id=poll.id).update(options=poll.options, voters_count=voters)


def checked_choices(poll: Poll, choices: list[int]) -> list[int]:
    chosen = sorted(set(choices))
    if not chosen:
        raise PollError(i18n.gettext("Choose an option."))
    if any(not 0 <= c < len(poll.options) for c in chosen):
        raise PollError(i18n.gettext("This poll has no such option."))
    if len(chosen) > 1 and not poll.multiple:
        raise PollError(i18n.gettext("This poll takes one choice."))
    if ended(poll):
        raise PollError(i18n.gettext("This poll has ended."), 409)
    return chosen


async def add_vote(poll: Poll, actor: Actor, choice: int, uri: str | None = None) -> bool:
    """One chosen option stored; False when it was there already (or the voter already chose in a
    single-choice poll)."""
    slot = choice if poll.multiple else -1
    if await PollVote.filter(poll_id=poll.id, actor_id=actor.id, slot=slot).exists():
        return False
    if uri is not None and await PollVote.filter(uri=uri).exists():
        return False
    try:
        async with in_transaction():
            await PollVote.create(poll_id=poll.id, actor_id=actor.id, choice=choice, slot=slot, uri=uri)
    except IntegrityError:
        return False  # a concurrent delivery of the same vote
    return True


async def vote_here(node: Node, poll: Poll, post: Post, voter: Actor, choices: list[int]) -> None:
    """A member votes in one of our polls, from the page: once (no change afterwards, as in Mastodon)."""
    chosen = checked_choices(poll, choices)
    async with in_transaction():
        locked = await Poll.select_for_update().get(id=poll.id)
        if ended(locked):  # closed while the vote was on its way: the final counts have gone out
            raise PollError(i18n.gettext("This poll has ended."), 409)
        if await PollVote.filter(poll_id=locked.id, actor_id=voter.id).exists():
            raise PollError(i18n.gettext("You have already voted in this poll."), 409)
        for choice in chosen:
            await add_vote(locked, voter, choice)
        await recount(locked)
        await sync(locked, post)
        await schedule_update(node, locked)


async def receive_vote(node: Node, voter: Actor, vote: wire.Vote, poll: Poll, post: Post) -> None:
    """A vote Note of another server's member for one of our polls: ignored after the end, for an
    unknown option, and when repeated (a second choice in a single-choice poll too)."""
    choice = wire.Question(multiple=poll.multiple, options=question_of(poll).options).index(vote.name)
    if choice is None:
        log.info("vote %s for an unknown option ignored", vote.id)
        return
    if ended(poll):
        log.info("vote %s after the end of %s ignored", vote.id, post.uri)
        return
    if vocab.host_of(vote.id) != voter.domain:
        log.info("vote %s refused: not on its author's server", vote.id)
        return
    if not await may_read(post, voter):
        log.info("vote %s refused: %s may not read %s", vote.id, voter.uri, post.uri)
        return
    async with in_transaction():  # under the poll's lock, as `close` sets the end: no vote counts after it
        locked = await Poll.select_for_update().get(id=poll.id)
        if ended(locked):
            log.info("vote %s ignored: %s closed meanwhile", vote.id, post.uri)
            return
        if not await add_vote(locked, voter, choice, vote.id):
            log.info("vote %s ignored: %s voted already", vote.id, voter.uri)
            return
        await recount(locked)
        await sync(locked, post)
        await schedule_update(node, locked)


async def members_only(post: Post) -> bool:
    """A members-only post, or a topic of a forum category made members-only since it was posted (its
    post stayed public, but its poll is now the members')."""
    if post.visibility == MEMBERS:
        return True
    group = (post.data or {}).get("audience")
    return isinstance(group, str) and await Actor.filter(uri=group, local=True, kind=HIDDEN_KIND).exists()


async def may_read(post: Post, voter: Actor) -> bool:
    """Whether another server's member may vote in this poll: one they can read (a vote would make them
    a recipient of the counts' Updates). Members-only posts never leave the node, followers-only ones
    go to the author's accepted followers and the actors addressed, direct ones to those addressed."""
    if await members_only(post):
        return False
    if post.visibility in ("public", "unlisted"):
        return True
    if voter.uri in {*post.to, *post.cc}:
        return True
    return post.visibility == "followers" and await Follow.filter(
        follower_id=voter.id, target_id=post.author_id, state="accepted").exists()


async def schedule_update(node: Node, poll: Poll) -> None:
    """The Update of the counts, at most once per UPDATE_EVERY seconds per poll: every vote is followed
    by a job of its window that runs after it (hidden totals go out only at the end, as in Mastodon)."""
    if poll.hide_totals and not ended(poll):
        return
    window = int(utcnow().timestamp()) // UPDATE_EVERY + 1
    run_at = datetime.fromtimestamp(window * UPDATE_EVERY, timezone.utc)
    await jobs.enqueue(UPDATE_JOB, {"poll": poll.id}, run_at=run_at, dedupe_key=f"poll-update:{poll.id}:{window}")
    node.wake_worker()


def _addressed(post: Post, author: Actor) -> list[str]:
    skip = {*vocab.PUBLIC_ALIASES, author.followers_url or "", author.uri}
    return [uri for uri in dict.fromkeys([*post.to, *post.cc]) if uri not in skip]


async def send_update(node: Node, poll_id: int) -> None:
    """The poll's current counts as an `Update{Question}` to everyone the post went to, and to the
    other servers' voters. The post's `updated` is kept: Mastodon shows no "edited" for counts."""
    poll = await Poll.get_or_none(id=poll_id, local=True)
    post = await Post.get_or_none(id=poll.post_id) if poll is not None else None
    if poll is None or post is None or post.deleted_at is not None or post.draft or await members_only(post):
        return
    await recount(poll)
    await sync(poll, post)
    author = await Actor.get(id=post.author_id)
    now = utcnow()
    rows = await Actor.filter(poll_votes__poll_id=poll.id, local=False).distinct().values_list("uri", flat=True)
    voters = [str(uri) for uri in rows]
    doc = vocab.activity(
        "Update", f"{post.uri}#updates/poll-{int(now.timestamp())}-{secrets.token_hex(4)}", author.uri,
        note_document(node, post, author), to=post.to, cc=post.cc, published=vocab.iso(now),
    )
    recipients = list(dict.fromkeys([*_addressed(post, author), *voters]))
    await publish(node, author, doc, followers=post.visibility != "direct", recipients=recipients,
                  groups=await forum_groups(node, post))


async def close(node: Node, poll_id: int) -> None:
    """The end of one of our polls: closed, and the final counts sent."""
    poll = await Poll.get_or_none(id=poll_id, local=True)
    if poll is None or poll.closed_at is not None or poll.ends_at is None:
        return
    if poll.ends_at > utcnow():  # moved later: close then
        await jobs.enqueue(CLOSE_JOB, {"poll": poll.id}, run_at=poll.ends_at,
                           dedupe_key=f"poll-close:{poll.id}:{int(poll.ends_at.timestamp())}")
        return
    async with in_transaction():  # waits for a vote being counted (receive_vote, vote_here hold the lock)
        locked = await Poll.select_for_update().get(id=poll.id)
        if locked.closed_at is not None:
            return
        await Poll.filter(id=poll.id).update(closed_at=locked.ends_at)
    await send_update(node, poll.id)


def tally(poll: Poll) -> int:
    return sum(int(o.get("count") or 0) for o in poll.options if isinstance(o, dict))

