"""What a hostile server or member may try on polls: votes for a poll its sender may not read (a
followers-only poll by a non-follower, a members-only poll by anyone from outside), whose counts would
then be sent to it; other servers' questions with broken counts; votes in another server's poll whose
options were deduplicated."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Any

import pytest

from federation.polls import model as wire
from node.accounts.actors import local_actor, store_remote_actor
from node.core.models import Activity, Actor, Follow, Post
from node.forum import threads
from node.forum.categories import CategoryInput, update_category
from node.polls import polls
from node.polls.inputs import PollInput
from node.polls.models import Poll, PollVote
from node.posts.content import MEMBERS, Draft
from tests.conftest import Federation, client_for, member
from tests.forum.test_pages import _category
from tests.helpers import csrf_of, logged_in
from tests.polls.test_inbound import deliver, followed, load, state, vote_from
from tests.polls.test_two_nodes import poll_on


async def _poll(node: Any, visibility: str) -> Post:
    with node.ctx:
        asso = await local_actor("asso")
        assert asso is not None
        return await polls.create_poll_post(node, asso, Draft(text="Where?", visibility=visibility),
                                            PollInput(options=("Library", "Park")))


async def _remote(uri: str) -> Actor:
    return await store_remote_actor({"id": uri, "type": "Person", "inbox": f"{uri}/inbox",
                                     "preferredUsername": uri.rsplit("/", 1)[-1], "followers": f"{uri}/followers"})


async def test_votes_only_from_those_who_may_read_the_poll(federation: Federation) -> None:
    a = await federation.add_node("a.example")
    post = await _poll(a, "followers")
    vote = load("mastodon_vote.json", post, a.urls.actor("asso"))
    await deliver(a, vote)  # carol does not follow the association: she never saw the poll
    assert await state(a, post) == ([0, 0], 0, 0)
    with a.ctx:
        asso = await local_actor("asso")
        assert asso is not None
        dan = await _remote("https://mastodon.example/users/dan")
        await Follow.create(uri="https://mastodon.example/follows/1", follower=dan, target=asso, state="accepted")
    await deliver(a, vote_from(vote, "dan", "Park", 7))
    assert await state(a, post) == ([0, 1], 1, 1)

    members = await _poll(a, "public")
    with a.ctx:
        await Post.filter(id=members.id).update(visibility=MEMBERS)
        members = await Post.get(id=members.id)
    await deliver(a, vote_from(load("mastodon_vote.json", members, a.urls.actor("asso")), "dan", "Park", 8))
    assert await state(a, members) == ([0, 0], 0, 0)


async def test_another_servers_broken_question_takes_a_vote(federation: Federation) -> None:
    """A blank and a repeated option are left out, so the form's indexes are those of the options kept;
    counts that are no number are no error; 10,000 long options are cut to the bounds."""
    b = await federation.add_node("b.example")
    await followed(b, "https://mastodon.example/users/alice")
    create = load("mastodon_create_question.json")
    create["object"]["oneOf"] = [
        {"type": "Note", "name": "  ", "replies": {"type": "Collection", "totalItems": 9}},
        {"type": "Note", "name": "Saturday", "replies": {"type": "Collection", "totalItems": "lots"}},
        {"type": "Note", "name": "Saturday", "replies": {"type": "Collection", "totalItems": 4}},
        {"type": "Note", "name": "Sunday", "replies": {"type": "Collection", "totalItems": [1]}},
    ]
    create["object"]["votersCount"] = "many"
    await deliver(b, create)
    with b.ctx:
        post = await Post.get(uri=create["object"]["id"])
    async with logged_in(b, "cleo") as http:
        page = await http.get(f"/polls/{post.id}")
        assert page.text.count('type="radio" name="choice"') == 2
        token = await csrf_of(http, f"/polls/{post.id}")
        voted = await http.post(f"/polls/{post.id}/vote", data={"csrf": token, "choice": "1"})
        assert voted.status_code == 303
        page = await http.get(f"/polls/{post.id}")
        assert "You voted for: Sunday" in page.text
    with b.ctx:
        data = (await Post.get(id=post.id)).data
        sent = [a.data["object"]["name"] for a in await Activity.filter(kind="Create", outgoing=True)
                if a.data["object"].get("inReplyTo") == post.uri]
    assert [item["replies"]["totalItems"] for item in data["oneOf"]] == [9, "lots", 4, 1]
    assert sent == ["Sunday"]

    huge = load("mastodon_create_question.json")
    huge["id"] = huge["id"].replace("0123/", "0124/")
    huge["object"]["id"] = huge["object"]["id"].replace("0123", "0124")
    huge["object"]["oneOf"] = [{"type": "Note", "name": f"{i} " + "x" * 2000,
                                "replies": {"totalItems": -5 if i % 2 else 10**40}} for i in range(10_000)]
    await deliver(b, huge)
    with b.ctx:
        poll = await Poll.get(post__uri=huge["object"]["id"])
    assert len(poll.options) == wire.MAX_REMOTE_OPTIONS
    assert all(len(o["name"]) <= wire.MAX_REMOTE_OPTION and 0 <= o["count"] < 2**31 for o in poll.options)
    async with client_for(b) as http:
        assert (await http.get(f"/polls/{poll.post_id}")).status_code == 200


async def test_a_topic_of_a_category_made_members_only_takes_no_vote_from_outside(federation: Federation) -> None:
    """Its post stays public (it went out when the category was public), but its poll is now for the
    members: no vote from another server, no Update of the counts."""
    a = await federation.add_node("a.example")
    category = await _category(a)
    starter, _ = await member(a, "starter")
    with a.ctx:

        async def start(draft: Draft) -> Post:
            topic = await threads.start_topic(a, starter, category, draft)
            return await Post.get(id=topic.post_id)

        post = await polls.with_poll(Draft(text="Which day?", title="Laundry", kind="Page"),
                                     PollInput(options=("Library", "Park")), start)
        await update_category(a, category, CategoryInput(names={"en": "Housing"}, read_access="members"))
    await deliver(a, load("mastodon_vote.json", post, starter.uri))
    assert await state(a, post) == ([0, 0], 0, 0)
    with a.ctx:
        before = await Activity.filter(kind="Update", outgoing=True).count()
        await polls.send_update(a, (await Poll.get(post_id=post.id)).id)
        assert await Activity.filter(kind="Update", outgoing=True).count() == before


async def test_a_member_voting_twice_at_once_is_counted_once(federation: Federation) -> None:
    """Two requests at once (a double click, two tabs) in a multiple-choice poll: one is counted, the
    other is refused (run on PostgreSQL too, where the poll's row is locked)."""
    a = await federation.add_node("a.example")
    post = await poll_on(a, ("Library", "Park", "Café"), multiple=True)
    dora, _ = await member(a, "dora")
    with a.ctx:
        poll = await Poll.get(post_id=post.id)
        outcomes = await asyncio.gather(polls.vote_here(a, poll, post, dora, [0, 1]),
                                        polls.vote_here(a, poll, post, dora, [2]), return_exceptions=True)
        assert sorted(type(o).__name__ for o in outcomes) == ["NoneType", "PollError"], outcomes
        assert await PollVote.filter(poll_id=poll.id).count() in (1, 2)
        poll = await Poll.get(id=poll.id)
        assert poll.voters_count == 1 and sum(o["count"] for o in poll.options) == await PollVote.filter(poll_id=poll.id).count()


async def test_a_vote_on_its_way_when_the_poll_closes_is_not_counted_after_the_final_counts(federation: Federation) -> None:
    """The handler read the poll while it was open; the close job ended it (and sent the final counts)
    before the vote was stored: the vote must not change counts that went out as final, from the
    Fediverse or from the page (both check the end again under the poll's lock)."""
    a = await federation.add_node("a.example")
    post = await poll_on(a)
    dora, _ = await member(a, "dora")
    with a.ctx:
        carol = await _remote("https://mastodon.example/users/carol")
        stale = await Poll.get(post_id=post.id)
        await Poll.filter(id=stale.id).update(closed_at=datetime.now(timezone.utc))  # close() ran meanwhile
        vote = wire.Vote(id="https://mastodon.example/users/carol#votes/1", actor=carol.uri, question=post.uri, name="Park")
        await polls.receive_vote(a, carol, vote, stale, post)
        with pytest.raises(polls.PollError):
            await polls.vote_here(a, stale, post, dora, [0])
        assert await PollVote.filter(poll_id=stale.id).count() == 0
        assert (await Poll.get(id=stale.id)).voters_count == 0
