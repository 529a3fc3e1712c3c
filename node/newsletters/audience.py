"""Who a mailing goes to, read when its sending starts (the recipients' snapshot, sending.py):

- subscribers: the active Subscribers with "newsletter" among their kinds;
- members: every member whose account is not disabled, unless their own mailing-list row is
  unsubscribed (they followed an unsubscribe link, or chose so on /account/email);
- event: the participants of one of our events, accepted and confirmed: members through their
  account's address, visitors who registered with an email; remote participants have no address here
  and are left out;
- initiative: the supporters of one of our initiatives (members; remote supporters have no address).

For the last three, an address whose mailing-list row is unsubscribed is left out too. Each address
once (lower-cased), in the language of its row, else of the member's interface, else the mailing's."""

from __future__ import annotations

from dataclasses import dataclass

from node.core.models import User
from node.events.models import Event, Participation
from node.initiatives.models import Initiative, Support
from node.mailing.models import Subscriber
from node.newsletters.models import Mailing


class AudienceError(ValueError):
    """An audience that cannot be sent to (no such event...); the message says why."""


@dataclass(frozen=True)
class Target:
    email: str
    language: str
    subscriber_id: int | None = None
    user_id: int | None = None


def normalized(email: str) -> str:
    return email.strip().lower()


async def _rows_by_email() -> dict[str, Subscriber]:
    return {normalized(row.email): row for row in await Subscriber.all()}


async def _subscribers(default: str) -> list[Target]:
    return [Target(normalized(row.email), row.language or default, row.id, row.user_id)
            for row in await Subscriber.filter(status="active").order_by("id")
            if isinstance(row.kinds, list) and "newsletter" in row.kinds]


def _member_target(user: User, rows: dict[str, Subscriber], default: str) -> Target | None:
    """A member's address, or None when their mailing-list row is unsubscribed."""
    email = normalized(user.email)
    row = rows.get(email)
    if row is not None:
        if row.status == "unsubscribed":
            return None
        return Target(email, row.language or user.locale or default, row.id, user.id)
    return Target(email, user.locale or default, None, user.id)


async def _members(default: str) -> list[Target]:
    rows = await _rows_by_email()
    found = [_member_target(user, rows, default)
             for user in await User.filter(disabled=False).order_by("id")]
    return [target for target in found if target is not None]


async def _users_of_actors(actor_ids: list[int]) -> list[User]:
    return await User.filter(actor_id__in=actor_ids, disabled=False).order_by("id") if actor_ids else []


async def _participants(event_id: int | None, default: str) -> list[Target]:
    event = await Event.get_or_none(id=event_id or 0, local=True)
    if event is None:
        raise AudienceError("no event of this node with that number")
    rows = await _rows_by_email()
    participations = await Participation.filter(event_id=event.id, state="accepted", confirmed=True).order_by("id")
    found: list[Target | None] = [
        _member_target(user, rows, default)
        for user in await _users_of_actors([p.actor_id for p in participations if p.actor_id is not None])
    ]
    for participation in participations:
        if participation.actor_id is None and participation.email:
            email = normalized(participation.email)
            row = rows.get(email)
            if row is None or row.status != "unsubscribed":
                found.append(Target(email, (row.language if row else "") or event.language or default,
                                    row.id if row else None, row.user_id if row else None))
    return [target for target in found if target is not None]


async def _supporters(initiative_id: int | None, default: str) -> list[Target]:
    initiative = await Initiative.get_or_none(id=initiative_id or 0, local=True)
    if initiative is None:
        raise AudienceError("no initiative of this node with that number")
    rows = await _rows_by_email()
    supports = await Support.filter(initiative_id=initiative.id, held=False)
    found = [_member_target(user, rows, default)
             for user in await _users_of_actors([s.actor_id for s in supports])]
    return [target for target in found if target is not None]


async def targets(mailing: Mailing) -> list[Target]:
    """The mailing's recipients now, each address once (the first found wins)."""
    default = mailing.language
    if mailing.audience == "subscribers":
        found = await _subscribers(default)
    elif mailing.audience == "members":
        found = await _members(default)
    elif mailing.audience == "event":
        found = await _participants(mailing.target_id, default)
    elif mailing.audience == "initiative":
        found = await _supporters(mailing.target_id, default)
    else:
        raise AudienceError(f"unknown audience {mailing.audience!r}")
    unique: dict[str, Target] = {}
    for target in found:
        if target.email and "@" in target.email:
            unique.setdefault(target.email, target)
    return list(unique.values())
