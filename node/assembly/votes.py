"""The life of a vote: made as a draft, edited while a draft, opened (the eligible members snapshotted,
one `Voter` row each), closed at its closing time by a job or by an admin (counted, the ballots
rewritten in a random order). Every step goes to the audit log (node/core/audit.py) under the target
`/votes/<id>`. Nothing here is ever federated: no activity, no feed, no search."""

from __future__ import annotations

import random
import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from tortoise.transactions import in_transaction

from node.core import audit, jobs, site_settings
from node.core.models import AuditEntry, User
from node.core.runtime import Node
from node.assembly import tally
from node.assembly.inputs import VoteError, VoteInput, utcnow, validate
from node.assembly.models import Ballot, Proxy, Vote, Voter

OPEN_JOB = "assembly.open"
CLOSE_JOB = "assembly.close"
MAX_PROXIES_KEY = "assembly_max_proxies"  # site setting: the default number of proxies a member may hold


def target(vote: Vote) -> str:
    return f"/votes/{vote.id}"


def by_of(user: User | None) -> str | None:
    return None if user is not None else "cli"


async def default_max_proxies() -> int:
    value = await site_settings.get(MAX_PROXIES_KEY, 1)
    return value if isinstance(value, int) and not isinstance(value, bool) else 1


async def set_default_max_proxies(user: User | None, value: int) -> None:
    await site_settings.put(MAX_PROXIES_KEY, value)
    await audit.record(user, "vote.default_proxies", "/admin/votes", by=by_of(user), max_proxies=value)


def _columns(inp: VoteInput) -> dict[str, Any]:
    return {
        "title": inp.title.strip(), "text": inp.text, "kind": inp.kind,
        "translations": {language: {"title": title, "text": text} for language, title, text in inp.translations}, "options": list(inp.labels),
        "max_choices": inp.max_choices, "abstain": inp.abstain, "roles": list(inp.roles), "secret": inp.secret,
        "quorum_percent": inp.quorum_percent, "quorum_count": inp.quorum_count, "majority": inp.majority,
        "max_proxies": inp.max_proxies, "opens_at": inp.opens_at, "closes_at": inp.closes_at,
    }


async def _schedule(vote: Vote) -> None:
    if vote.status == "draft" and vote.opens_at is not None:
        await jobs.enqueue(OPEN_JOB, {"vote": vote.id}, run_at=vote.opens_at,
                           dedupe_key=f"{OPEN_JOB} {vote.id} {int(vote.opens_at.timestamp())}")
    if vote.status == "open":
        await jobs.enqueue(CLOSE_JOB, {"vote": vote.id}, run_at=vote.closes_at,
                           dedupe_key=f"{CLOSE_JOB} {vote.id} {int(vote.closes_at.timestamp())}")


async def create_vote(user: User | None, inp: VoteInput) -> Vote:
    """A draft (it opens at `opens_at` when given, or when an admin opens it)."""
    validate(inp)
    async with in_transaction():
        vote = await Vote.create(**_columns(inp), salt=secrets.token_hex(16), created_by=user)
        await audit.record(user, "vote.create", target(vote), by=by_of(user),
                           **_audited(_columns(inp)))
        await _schedule(vote)
    return vote


def _audited(columns: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in columns.items()
            if k not in ("text", "translations")}


async def edit_vote(user: User | None, vote: Vote, inp: VoteInput) -> Vote:
    """Changes to a draft (an open or closed vote cannot change); the audit log keeps what changed."""
    if vote.status != "draft":
        raise VoteError("Only a draft can be changed: this vote is open or closed.", status=409)
    validate(inp)
    new = _columns(inp)
    changed = {k: v for k, v in _audited(new).items() if _audited({k: getattr(vote, k)})[k] != v}
    if new["text"] != vote.text:
        changed["text"] = "changed"
    if new["translations"] != vote.translations:
        changed["translations"] = sorted(new["translations"])
    async with in_transaction():
        await Vote.filter(id=vote.id, status="draft").update(**new)
        await audit.record(user, "vote.edit", target(vote), by=by_of(user), changed=changed)
        await vote.refresh_from_db()
        await _schedule(vote)
    return vote


async def eligible_users(vote: Vote) -> list[User]:
    """Who may vote right now: members with one of the vote's roles whose access was not removed."""
    return await User.filter(role__in=list(vote.roles), disabled=False).order_by("id")


async def open_vote(user: User | None, vote: Vote, now: datetime | None = None, by: str | None = None) -> Vote:
    """Opens a draft: the eligible members at this moment become its voters; proxies given before by or
    to anyone outside that snapshot become void. `by` names who acted without a user ("cli"; the job's
    "system" by default)."""
    moment = now or utcnow()
    if vote.status != "draft":
        raise VoteError("This vote is already open or closed.", status=409)
    if vote.closes_at <= moment:
        raise VoteError("Its closing time has passed: change it before opening the vote.", status=409)
    async with in_transaction():
        if not await Vote.filter(id=vote.id, status="draft").update(status="open", opened_at=moment):
            raise VoteError("This vote is already open or closed.", status=409)
        members = await eligible_users(vote)
        await Voter.bulk_create([Voter(vote_id=vote.id, user_id=m.id, role=m.role) for m in members])
        await Vote.filter(id=vote.id).update(eligible=len(members))
        ids = {m.id for m in members}
        void = [p for p in await Proxy.filter(vote_id=vote.id, status="active")
                if p.giver_id not in ids or p.holder_id not in ids]
        if void:
            await Proxy.filter(id__in=[p.id for p in void]).update(status="void")
        await audit.record(user, "vote.open", target(vote), by=by,
                           eligible=len(members), roles=list(vote.roles), void_proxies=len(void))
        await vote.refresh_from_db()
        await _schedule(vote)
    return vote


async def eligible_count(vote: Vote) -> int:
    """The members eligible when the vote opened (votes opened before the count was kept: the rows)."""
    if vote.eligible is not None:
        return vote.eligible
    return await Voter.filter(vote_id=vote.id).count()


async def _shuffle_ballots(vote: Vote) -> list[Ballot]:
    """Rewrite the vote's ballots in a random order with new random keys: whatever order the database
    kept them in (SQLite's rowid, PostgreSQL's heap) no longer follows the order they were cast in."""
    ballots = await Ballot.filter(vote_id=vote.id)
    rows = [Ballot(id=secrets.token_hex(16), vote_id=vote.id, choices=b.choices, receipt_hash=b.receipt_hash,
                   voter_id=b.voter_id, cast_by_id=b.cast_by_id) for b in ballots]
    random.SystemRandom().shuffle(rows)
    await Ballot.filter(vote_id=vote.id).delete()
    await Ballot.bulk_create(rows)
    return rows


async def close_vote(user: User | None, vote: Vote, now: datetime | None = None, by: str | None = None) -> Vote:
    """Closes an open vote (an admin early, or the job at its closing time): counts it and stores the
    result; its page then shows the result to the members."""
    moment = now or utcnow()
    if vote.status != "open":
        raise VoteError("Only an open vote can be closed.", status=409)
    async with in_transaction():
        if not await Vote.filter(id=vote.id, status="open").update(status="closed", closed_at=moment):
            raise VoteError("Only an open vote can be closed.", status=409)
        ballots = await _shuffle_ballots(vote)
        await Proxy.filter(vote_id=vote.id, status="active").update(status="void")
        eligible = await eligible_count(vote)
        result = tally.count(vote.options, (b.choices for b in ballots), eligible=eligible, kind=vote.kind,
                             majority=vote.majority, seats=vote.max_choices, quorum_percent=vote.quorum_percent,
                             quorum_count=vote.quorum_count)
        await Vote.filter(id=vote.id).update(result=result)
        await audit.record(user, "vote.close", target(vote), by=by, **result)
        await vote.refresh_from_db()
    return vote


async def close_due(now: datetime | None = None) -> int:
    """Close every open vote whose closing time has passed; how many."""
    moment = now or utcnow()
    done = 0
    for vote in await Vote.filter(status="open", closes_at__lte=moment):
        try:
            await close_vote(None, vote, moment)
            done += 1
        except VoteError:
            pass  # closed meanwhile by an admin or another worker
    return done


async def open_due(now: datetime | None = None) -> int:
    moment = now or utcnow()
    done = 0
    for vote in await Vote.filter(status="draft", opens_at__lte=moment):
        try:
            await open_vote(None, vote, moment)
            done += 1
        except VoteError:
            pass  # its closing time passed, or opened meanwhile
    return done


async def current(vote: Vote) -> Vote:
    """The vote, closed first when its closing time has passed and the job has not run yet."""
    if vote.status == "open" and vote.closes_at <= utcnow():
        try:
            await close_vote(None, vote)
        except VoteError:
            await vote.refresh_from_db()
    return vote


async def find(vote_id: str | int) -> Vote | None:
    text = str(vote_id)
    if not text.isdigit() or len(text) > 18:
        return None
    vote = await Vote.get_or_none(id=int(text))
    return await current(vote) if vote is not None else None


async def listed(include_drafts: bool) -> list[Vote]:
    query = Vote.all() if include_drafts else Vote.exclude(status="draft")
    return await query.order_by("-closes_at", "-id").limit(500)


def visible(vote: Vote, user: User) -> bool:
    """Members see open and closed votes, and drafts announced with an opening time (to give proxies
    before it opens); admins see every draft."""
    return vote.status != "draft" or vote.opens_at is not None or user.role == "admin"


async def history(vote: Vote) -> list[AuditEntry]:
    return await AuditEntry.filter(target=target(vote), action__startswith="vote.").order_by("created_at", "id")


def job_handlers(node: Node) -> dict[str, jobs.JobHandler]:
    async def open_job(payload: Mapping[str, Any], attempt: int) -> None:
        await open_due()

    async def close_job(payload: Mapping[str, Any], attempt: int) -> None:
        await close_due()  # this one, and any other whose job was lost

    return {OPEN_JOB: open_job, CLOSE_JOB: close_job}
