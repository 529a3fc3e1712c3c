"""Races of a vote (run on PostgreSQL too, with AGORA_TEST_DATABASE_URL): one member's two ballots at
once (one is taken), a ballot or a proxy that was checked while the vote was open but is stored after
it closed (refused: the tally is final), proxies given at once to one holder (the limit holds)."""

from __future__ import annotations

import asyncio

import pytest

from node.core.models import User
from node.core.runtime import Node
from node.assembly import ballots, proxies, votes
from node.assembly.inputs import VoteError
from node.assembly.models import Ballot, Proxy, Vote, Voter
from tests.assembly.common import crowd, open_vote


async def test_a_ballot_checked_before_the_close_is_not_stored_after_it(node: Node) -> None:
    with node.ctx:
        m01, m02, m03 = await crowd(node, 3)
    vote = await open_vote(node)
    with node.ctx:
        stale = await Vote.get(id=vote.id)  # what a request read just before the vote closed
        await ballots.cast(vote, m01, [0])
        await votes.close_vote(None, await Vote.get(id=vote.id))
        with pytest.raises(VoteError):
            await ballots.cast(stale, m02, [0])
        with pytest.raises(VoteError):
            await proxies.give(stale, m03, m01)
        closed = await Vote.get(id=vote.id)
        assert closed.result["ballots"] == 1 and await Ballot.filter(vote_id=vote.id).count() == 1
        assert not await Voter.filter(vote_id=vote.id, user_id=m02.id, voted=True).exists()
        assert not await Proxy.filter(vote_id=vote.id, status="active").exists()


async def test_two_ballots_of_one_member_at_once_and_proxies_at_once(node: Node) -> None:
    with node.ctx:
        members = await crowd(node, 6)
    vote = await open_vote(node, max_proxies=2)
    with node.ctx:
        m01 = members[0]
        outcomes = await asyncio.gather(*(ballots.cast(vote, m01, [i % 2]) for i in range(4)), return_exceptions=True)
        assert sum(isinstance(o, str) for o in outcomes) == 1
        assert all(isinstance(o, (str, VoteError)) for o in outcomes), outcomes
        assert await Ballot.filter(vote_id=vote.id).count() == 1

        holder = members[1]
        givers: list[User] = members[2:]
        given = await asyncio.gather(*(proxies.give(vote, g, holder) for g in givers), return_exceptions=True)
        assert all(isinstance(o, (Proxy, VoteError)) for o in given), given
        assert await Proxy.filter(vote_id=vote.id, holder_id=holder.id, status="active").count() == 2
