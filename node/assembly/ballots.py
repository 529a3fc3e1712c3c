"""Casting a ballot, and checking one's receipt.

One member, one vote: the member's `Voter` row is switched to voted in the same transaction as the
ballot is stored, and only if it was not yet (a second ballot, even racing the first, is refused). A
proxy holder casts one ballot per member who gave them their vote, each separately; the proxy is then
used and its giver cannot vote any more. Once cast, a ballot cannot be changed: with a secret ballot
nothing could find it again to replace it, and the rule is the same for open ballots.

Secret ballots: the ballot row holds the vote, the choice and the receipt's hash, with a random key and
no time; the voter row holds that the member has voted, without a time. The receipt code is shown once
to whoever cast the ballot; only its hash, salted per vote, is stored."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime

from tortoise.transactions import in_transaction

from node.core import i18n
from node.core.models import User
from node.assembly.inputs import VoteError, utcnow
from node.assembly.models import Ballot, Proxy, Vote, Voter

RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # 32 signs, none read for another
RECEIPT_LENGTH = 16  # 80 bits


def new_receipt() -> str:
    code = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))
    return "-".join(code[i:i + 4] for i in range(0, RECEIPT_LENGTH, 4))


def receipt_hash(vote: Vote, code: str) -> str:
    normal = "".join(c for c in code.upper() if c.isalnum())
    return hashlib.sha256(f"{vote.salt}:{normal}".encode()).hexdigest()


def ensure_open(vote: Vote, now: datetime | None = None) -> None:
    if vote.status == "draft":
        raise VoteError("This vote is not open yet.", status=409)
    if vote.status != "open" or vote.closes_at <= (now or utcnow()):
        raise VoteError("This vote is closed: no more ballots or proxies.", status=409)


async def still_open(vote: Vote, now: datetime | None = None) -> None:
    """Inside the transaction that stores a ballot or a proxy: the vote's row read again, locked until
    the commit on PostgreSQL (SQLite serialises writers anyway), and still open. A vote closing at the
    same time waits for this ballot (and counts it) or has closed before it (and it is refused): no
    ballot is stored after the tally."""
    locked = await Vote.select_for_update().get_or_none(id=vote.id)
    if locked is None:
        raise VoteError("This vote is closed: no more ballots or proxies.", status=409)
    ensure_open(locked, now)


def checked_choices(vote: Vote, choices: Sequence[int]) -> list[int]:
    chosen = sorted(set(choices))
    if any(not 0 <= i < len(vote.options) for i in chosen):
        raise VoteError("That choice is not one of this vote's options.")
    if not chosen and not vote.abstain:
        raise VoteError("Choose an option: this vote has no blank ballot.")
    if len(chosen) > vote.max_choices:
        raise VoteError(i18n.lazy_gettext("Choose at most %(num)s options.", num=vote.max_choices))
    return chosen


async def _voter_row(vote: Vote, subject: User, caster: User) -> Voter:
    voter = await Voter.get_or_none(vote_id=vote.id, user_id=subject.id)
    if voter is None and subject.id == caster.id:
        raise VoteError("You are not among the eligible voters of this vote: the members with its roles when it opened.",
                        status=403)
    if voter is None:
        raise VoteError(i18n.lazy_gettext("%(name)s is not an eligible voter of this vote.", name=subject.username),
                        status=403)
    return voter


async def _own_vote_refusal(vote: Vote, voter: Voter, user: User) -> None:
    """Why a member may not vote themselves, if so: they gave their vote (used or not), or voted."""
    given = await Proxy.filter(vote_id=vote.id, giver_id=user.id, status__in=("active", "used")).prefetch_related("holder").first()
    if given is not None and given.status == "used":
        raise VoteError(i18n.lazy_gettext("%(name)s, who held your proxy, has already voted for you.",
                                          name=given.holder.username), status=409)
    if voter.voted:
        raise VoteError("You have already voted in this vote. A ballot cannot be changed.", status=409)
    if given is not None:
        raise VoteError(i18n.lazy_gettext("You gave your vote to %(name)s: revoke the proxy first to vote yourself.",
                                          name=given.holder.username), status=409)


async def cast(vote: Vote, caster: User, choices: Sequence[int], for_user: User | None = None,
               now: datetime | None = None) -> str:
    """Stores one ballot for `caster` (or, as proxy holder, for `for_user`); returns the receipt code."""
    ensure_open(vote, now)
    subject = for_user or caster
    voter = await _voter_row(vote, subject, caster)
    proxy = None
    if for_user is not None and for_user.id != caster.id:
        proxy = await Proxy.get_or_none(vote_id=vote.id, giver_id=for_user.id, holder_id=caster.id, status="active")
        if proxy is None:
            raise VoteError(i18n.lazy_gettext("%(name)s has not given you their vote, or has revoked it.",
                                              name=for_user.username), status=403)
    else:
        await _own_vote_refusal(vote, voter, caster)
    chosen = checked_choices(vote, choices)
    code = new_receipt()
    async with in_transaction():
        await still_open(vote, now)
        if not await Voter.filter(id=voter.id, voted=False).update(voted=True):
            raise VoteError(i18n.lazy_gettext("A ballot was already cast for %(name)s.", name=subject.username), status=409)
        if proxy is not None and not await Proxy.filter(id=proxy.id, status="active").update(status="used"):
            raise VoteError(i18n.lazy_gettext("%(name)s has revoked the proxy.", name=subject.username), status=409)
        await Ballot.create(id=secrets.token_hex(16), vote_id=vote.id, choices=chosen, receipt_hash=receipt_hash(vote, code),
                            voter_id=None if vote.secret else subject.id,
                            cast_by_id=caster.id if proxy is not None and not vote.secret else None)
    return code


async def find_receipt(vote: Vote, code: str) -> Ballot | None:
    """The ballot whose receipt is `code` (entered by the member who kept it), if it is in the box."""
    if not code.strip() or len(code) > 100:
        return None
    return await Ballot.get_or_none(vote_id=vote.id, receipt_hash=receipt_hash(vote, code))


def labels(vote: Vote, ballot: Ballot) -> list[str]:
    return [vote.options[i] for i in ballot.choices if 0 <= i < len(vote.options)]


async def open_record(vote: Vote) -> list[Ballot]:
    """Who voted what, for an open ballot (empty for a secret one)."""
    if vote.secret:
        return []
    return await Ballot.filter(vote_id=vote.id).prefetch_related("voter", "cast_by")
