"""Proxies: before or during a vote, an eligible member gives their vote to another eligible member.

At most `max_proxies` per holder (the vote's own number, from the statutes); never to oneself; no chains
(a member who gave their vote holds none, and one who holds others' votes gives none); the giver revokes
it while the holder has not used it. Before a vote opens, eligibility is the vote's roles at that moment;
when it opens, proxies of members outside the snapshot become void. Every proxy given or revoked is in
the audit log."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from tortoise.transactions import in_transaction

from node.core import audit, i18n
from node.core.models import User
from node.assembly.ballots import ensure_open, still_open
from node.assembly.inputs import VoteError
from node.assembly.models import Proxy, Vote, Voter
from node.assembly.votes import target

HOLDING = ("active", "used")


async def eligible(vote: Vote, user: User) -> bool:
    if vote.status == "draft":
        return not user.disabled and user.role in vote.roles
    return await Voter.exists(vote_id=vote.id, user_id=user.id)


async def _check_parties(vote: Vote, giver: User, holder: User) -> None:
    if holder.id == giver.id:
        raise VoteError("You cannot give your vote to yourself.")
    if vote.max_proxies <= 0:
        raise VoteError("This vote allows no proxies.", status=403)
    if not await eligible(vote, giver):
        raise VoteError("You are not among the eligible voters of this vote: the members with its roles when it opened.",
                        status=403)
    if holder.disabled or not await eligible(vote, holder):
        raise VoteError(i18n.lazy_gettext("%(name)s is not an eligible voter of this vote.", name=holder.username),
                        status=403)
    if await Voter.exists(vote_id=vote.id, user_id=giver.id, voted=True):
        raise VoteError("You have already voted in this vote: your vote cannot be given any more.", status=409)


async def _check_no_chain(vote: Vote, giver: User, holder: User) -> None:
    mine = await Proxy.filter(vote_id=vote.id, giver_id=giver.id, status__in=HOLDING).prefetch_related("holder").first()
    if mine is not None:
        raise VoteError(i18n.lazy_gettext("You already gave your vote to %(name)s: revoke that proxy first.",
                                          name=mine.holder.username), status=409)
    if await Proxy.exists(vote_id=vote.id, holder_id=giver.id, status__in=HOLDING):
        raise VoteError("You hold the votes of other members: a proxy holder cannot give their own vote in turn.",
                        status=409)
    if await Proxy.exists(vote_id=vote.id, giver_id=holder.id, status__in=HOLDING):
        raise VoteError(i18n.lazy_gettext("%(name)s gave their own vote to someone else: a proxy cannot be passed on.",
                                          name=holder.username), status=409)
    held = await Proxy.filter(vote_id=vote.id, holder_id=holder.id, status__in=HOLDING).count()
    if held >= vote.max_proxies:
        raise VoteError(i18n.lazy_gettext("%(name)s already holds the most proxies this vote allows (%(num)s).",
                                          name=holder.username, num=held), status=409)


async def give(vote: Vote, giver: User, holder: User, now: datetime | None = None) -> Proxy:
    if vote.status != "draft":
        ensure_open(vote, now)
    await _check_parties(vote, giver, holder)
    async with in_transaction():
        # One proxy change of a vote at a time (PostgreSQL: the vote's row locked until the commit;
        # SQLite serialises writers anyway): two members giving their votes to the same holder at once
        # cannot both pass the limit, nor two members to each other form a chain.
        locked = await Vote.select_for_update().get_or_none(id=vote.id)
        if locked is None or locked.status != vote.status:
            raise VoteError("This vote has just opened or closed: try again from its page.", status=409)
        if locked.status != "draft":
            ensure_open(locked, now)
        await _check_no_chain(vote, giver, holder)
        proxy = await Proxy.create(vote_id=vote.id, giver_id=giver.id, holder_id=holder.id)
        await audit.record(giver, "vote.proxy", target(vote), giver=giver.username, holder=holder.username)
    return proxy


async def revoke(vote: Vote, giver: User, now: datetime | None = None) -> Proxy:
    if vote.status != "draft":
        ensure_open(vote, now)
    proxy = await Proxy.filter(vote_id=vote.id, giver_id=giver.id, status__in=HOLDING).prefetch_related("holder").first()
    if proxy is None:
        raise VoteError("You have not given your vote to anyone in this vote.", status=409)
    async with in_transaction():
        if vote.status != "draft":
            await still_open(vote, now)
        if proxy.status == "used" or not await Proxy.filter(id=proxy.id, status="active").update(status="revoked"):
            raise VoteError(i18n.lazy_gettext("%(name)s has already voted for you: the proxy cannot be revoked any more.",
                                              name=proxy.holder.username), status=409)
        await audit.record(giver, "vote.proxy_revoke", target(vote), giver=giver.username, holder=proxy.holder.username)
    return proxy


@dataclass
class Standing:
    """One member's place in one vote, for its page."""

    voter: Voter | None = None
    given: Proxy | None = None  # the proxy they gave (active or used)
    held: list[Proxy] = field(default_factory=list)  # the proxies they hold (active or used), with their givers
    pending: list[Proxy] = field(default_factory=list)  # the held ones still to vote for

    @property
    def may_vote(self) -> bool:
        return self.voter is not None and not self.voter.voted and self.given is None


async def standing(vote: Vote, user: User) -> Standing:
    found = Standing(voter=await Voter.get_or_none(vote_id=vote.id, user_id=user.id))
    found.given = await Proxy.filter(vote_id=vote.id, giver_id=user.id, status__in=HOLDING).prefetch_related("holder").first()
    found.held = list(await Proxy.filter(vote_id=vote.id, holder_id=user.id, status__in=HOLDING)
                      .order_by("id").prefetch_related("giver"))
    found.pending = [p for p in found.held if p.status == "active"]
    return found
