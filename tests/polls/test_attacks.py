"""What a hostile server or member may try on polls: votes for a poll its sender may not read (a
followers-only poll by a non-follower, a members-only poll by anyone from outside), whose counts would
then be sent to it; other servers' questions with broken counts; votes in another server's poll whose
options were deduplicated."""

from __future__ import annotations

from typing import Any

from node.accounts.actors import local_actor, store_remote_actor
from node.core.models import Actor, Follow, Post
from node.polls import polls
from node.polls.inputs import PollInput
from node.posts.content import MEMBERS, Draft
from tests.conftest import Federation
from tests.polls.test_inbound import deliver, load, state, vote_from


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
