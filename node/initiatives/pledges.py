"""Needs and pledges: an initiative's needs (volunteers, materials, money), kept with their pledges
across edits, the progress of each, and the offers of help against them (recorded only: no money
moves). A new pledge notifies the initiative's organizer; the organizers see every pledge with its
contact and message, and mark it fulfilled or cancelled (a cancelled pledge no longer counts)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from node.core.models import Actor
from node.core.runtime import Node
from node.initiatives.inputs import EMAIL, OPEN_STATUSES, InitiativeError, NeedInput, check_quantity, checked_money, check_published
from node.initiatives.models import Initiative, Need, Pledge
from node.social import notify

PLEDGE_STATUSES = ("pledged", "fulfilled", "cancelled")
COUNTED = ("pledged", "fulfilled")  # what a need's progress adds up


async def need_progress(need: Need) -> tuple[int, int | None]:
    """(pledged quantity, or pledged minor units for money; the goal: quantity or goal in minor units)."""
    goal = need.goal_minor if need.kind == "money" else need.quantity
    initiative = await Initiative.get(id=need.initiative_id)
    if not initiative.local:  # as the organizer's node last told us
        remote = (initiative.data or {}).get("_agora_needs") or []
        entry = remote[need.position] if need.position < len(remote) else {}
        return int(entry.get("pledged", 0) or 0), goal
    pledges = await Pledge.filter(need=need, status__in=COUNTED).values_list("quantity", "amount_minor")
    if need.kind == "money":
        return sum(a or 0 for _, a in pledges), goal
    return sum(q or 0 for q, _ in pledges), goal


def need_values(need: NeedInput, position: int) -> dict[str, Any]:
    money = checked_money(need.goal, need.currency, "goal") if need.kind == "money" else None
    return {
        "kind": need.kind, "title": need.title.strip(), "description": need.description,
        "skills": [s.strip() for s in need.skills], "quantity": need.quantity,
        "goal_minor": money.minor if money else None, "currency": money.currency if money else None,
        "position": position,
    }


async def replace_needs(initiative: Initiative, needs: Sequence[NeedInput]) -> None:
    """Keep a need (and its pledges) when the new list has one of the same kind and title, or else of
    the same kind at the same position; the others go with their pledges."""
    old = await Need.filter(initiative=initiative).order_by("position", "id")
    used: set[int] = set()
    plan: list[Need | None] = []
    for i, need in enumerate(needs):
        match = next((n for n in old if n.id not in used and n.kind == need.kind
                      and n.title.strip().casefold() == need.title.strip().casefold()), None)
        if match is None and i < len(old) and old[i].id not in used and old[i].kind == need.kind:
            match = old[i]
        if match is not None:
            used.add(match.id)
            if (match.kind == "money" and need.currency and match.currency
                    and need.currency.strip().upper() != match.currency and await Pledge.filter(need=match).exists()):
                raise InitiativeError(f"needs[{i}].currency: pledges were made in {match.currency}; it cannot change")
        plan.append(match)
    await Need.filter(initiative=initiative).exclude(id__in=list(used) or [0]).delete()
    for i, (need, match) in enumerate(zip(needs, plan)):
        if match is None:
            await Need.create(initiative=initiative, **need_values(need, i))
        else:
            await match.update_from_dict(need_values(need, i)).save()


async def pledge(node: Node, need: Need, *, actor: Actor | None = None, name: str = "", email: str | None = None,
                 quantity: int | None = None, amount: str | None = None, message: str = "") -> Pledge:
    """An offer of help against a need: people (volunteers), items (materials) or an amount in the
    need's currency (money). Recorded only: no money moves."""
    initiative = await Initiative.get(id=need.initiative_id)
    if initiative.deleted_at is not None or not initiative.local:
        raise InitiativeError("need: pledges for this initiative are not taken here")
    check_published(initiative, "pledges are taken")
    if initiative.status not in OPEN_STATUSES:
        raise InitiativeError(f"need: the initiative is {initiative.status}; it takes no more pledges")
    if actor is None:
        if not name.strip() or len(name) > 255:
            raise InitiativeError("name: required (at most 255 characters)")
        if email is not None and not EMAIL.fullmatch(email.strip()):
            raise InitiativeError("email: not a valid email address")
    if len(message) > 2000:
        raise InitiativeError("message: longer than 2000 characters")
    amount_minor = None
    if need.kind == "money":
        if quantity is not None:
            raise InitiativeError("quantity: a money need takes an amount")
        if amount is None:
            raise InitiativeError("amount: required for a money need")
        amount_minor = checked_money(amount, need.currency, "amount").minor
    else:
        if amount is not None:
            raise InitiativeError(f"amount: a {need.kind} need takes a quantity, not money")
        quantity = check_quantity(1 if quantity is None and need.kind == "volunteers" else quantity, "quantity", required=True)
    row = await Pledge.create(
        need=need, actor=actor, name=(name or (actor.name or actor.handle if actor else "")).strip()[:255],
        email=email.strip().lower() if email else None, quantity=quantity, amount_minor=amount_minor,
        message=message.strip(),
    )
    organizer = await Actor.get_or_none(id=initiative.organizer_id)
    if organizer is not None:  # the link goes to the organizers' list, where the contact and message are
        await notify.notify(organizer, "pledge", actor, f"pledge {row.id}", pledges_url(initiative), initiative.title)
    return row


def pledges_url(initiative: Initiative) -> str:
    """The organizers' list of an initiative's pledges."""
    return f"{initiative.uri}/pledges"


async def pledges_of(initiative: Initiative) -> list[Pledge]:
    """Every pledge of the initiative, oldest first, with its need and (for members) its actor: for
    the organizers only, since it carries contacts and messages."""
    return await Pledge.filter(need__initiative=initiative).prefetch_related("need", "actor").order_by("created_at", "id")


async def set_pledge_status(initiative: Initiative, ident: int, status: str) -> Pledge:
    """An organizer marks a pledge of `initiative` fulfilled or cancelled (or pledged again); the
    need's progress counts it unless cancelled."""
    if status not in PLEDGE_STATUSES:
        raise InitiativeError(f"status: one of {', '.join(PLEDGE_STATUSES)}")
    row = await Pledge.get_or_none(id=ident, need__initiative=initiative)
    if row is None:
        raise InitiativeError("pledge: not a pledge of this initiative (any more)")
    if row.status != status:
        row.status, row.status_at = status, datetime.now(timezone.utc)
        await row.save(update_fields=["status", "status_at"])
    return row
