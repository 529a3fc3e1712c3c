"""Taking part in events: local members, remote Join/Leave (answered with Accept or Reject), visitors
without an account (confirmed by an emailed link), the organizer's messages to participants, and our
members joining events of the network calendar."""

from __future__ import annotations

import re
import secrets
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from federation import vocab
from node.core.models import Actor, Post
from node.events.inputs import EventError
from node.events.models import Event, Participation
from node.posts.content import ContentError, Draft, create_post
from node.social.delivery import publish
from node.core.runtime import Node


async def _organizer(event: Event) -> Actor:
    return await Actor.get(id=event.organizer_id)


async def recount(event: Event) -> None:
    event.participant_count = await Participation.filter(event=event, state="accepted", confirmed=True).count()
    await Event.filter(id=event.id).update(participant_count=event.participant_count)


async def _admit(event: Event) -> str:
    """The state a new participant gets, or an EventError when they cannot join."""
    if event.draft:
        raise EventError("this event is not published yet")
    if event.deleted_at is not None or event.status == "CANCELLED":
        raise EventError("this event is cancelled")
    if event.join_mode == "external":
        raise EventError(f"registration happens at {event.external_url}")
    if event.join_mode == "invite":
        raise EventError("this event is by invitation only")
    if event.capacity is not None and event.participant_count >= event.capacity:
        raise EventError("this event is full")
    return "pending" if event.join_mode == "restricted" else "accepted"


def _join_doc(participation: Participation, actor: Actor, event: Event) -> dict[str, Any]:
    return {"id": participation.uri, "type": "Join", "actor": actor.uri, "object": event.uri}


async def _answer(node: Node, event: Event, participation: Participation, actor: Actor, kind: str) -> None:
    """Accept or Reject a remote Join, with the Join embedded, signed by the organizer."""
    if actor.local:
        return
    organizer = await _organizer(event)
    join = _join_doc(participation, actor, event)
    slug = secrets.token_hex(6)
    doc = vocab.activity(kind, f"{organizer.uri}#{kind.lower()}s/{slug}", organizer.uri, join, to=[actor.uri])
    await publish(node, organizer, doc, followers=False, recipients=[actor.uri])


async def join(node: Node, event: Event, actor: Actor, *, uri: str | None = None, message: str = "") -> Participation:
    """A local member or a remote actor joins. Remote joins are answered with Accept (or left pending
    for approval); a refused join raises EventError (the inbox answers remote ones with Reject)."""
    existing = await Participation.get_or_none(event=event, actor=actor)
    if existing is not None and existing.state != "rejected":
        return existing
    state = await _admit(event)
    async with in_transaction():
        if existing is not None:
            await existing.delete()
        participation = await Participation.create(
            uri=uri or f"{actor.uri}#joins/{secrets.token_hex(8)}", event=event, actor=actor,
            name=actor.name or actor.handle, state=state, message=message[:2000],
        )
        await recount(event)
        if state == "accepted":
            await _answer(node, event, participation, actor, "Accept")
    return participation


async def refuse_join(node: Node, event: Event, actor: Actor, uri: str) -> None:
    """Answer a Join that cannot be admitted (full, cancelled, invitation only) with Reject."""
    refused = Participation(uri=uri, event=event, actor=actor)
    await _answer(node, event, refused, actor, "Reject")


async def leave(node: Node, event: Event, actor: Actor) -> None:
    await Participation.filter(event=event, actor=actor).delete()
    await recount(event)


async def decide(node: Node, participation: Participation, accept: bool) -> None:
    """An organizer's decision on a pending participation."""
    event = await Event.get(id=participation.event_id)
    if accept and event.capacity is not None and event.participant_count >= event.capacity:
        raise EventError("this event is full")
    participation.state = "accepted" if accept else "rejected"
    await participation.save(update_fields=["state"])
    await recount(event)
    if participation.actor_id is not None:
        actor = await Actor.get(id=participation.actor_id)
        await _answer(node, event, participation, actor, "Accept" if accept else "Reject")


EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,63}")


async def register_anonymous(node: Node, event: Event, name: str, email: str, message: str = "") -> Participation:
    """A visitor without an account registers; the participation counts once the emailed link is opened."""
    if not event.anonymous_participation:
        raise EventError("this event does not take registrations without an account")
    if not name.strip() or len(name) > 255:
        raise EventError("give a name of at most 255 characters")
    if not EMAIL.fullmatch(email.strip()):
        raise EventError("give a valid email address")
    state = await _admit(event)
    if await Participation.filter(event=event, email=email.strip().lower()).exists():
        raise EventError("this email address is registered already")
    token = secrets.token_urlsafe(24)
    try:
        return await Participation.create(
            uri=f"{event.uri}#anonymous/{secrets.token_hex(8)}", event=event, name=name.strip(),
            email=email.strip().lower(), state=state, token=token, confirmed=False, message=message[:2000],
        )
    except IntegrityError:
        raise EventError("this registration exists already") from None


async def confirm_anonymous(token: str) -> Participation | None:
    participation = await Participation.get_or_none(token=token)
    if participation is None:
        return None
    if not participation.confirmed:
        event = await Event.get(id=participation.event_id)
        if participation.state == "accepted" and event.capacity is not None and event.participant_count >= event.capacity:
            raise EventError("this event is full")  # someone confirmed the last place first
        participation.confirmed = True
        await participation.save(update_fields=["confirmed"])
        await recount(event)
    return participation


async def cancel_anonymous(token: str) -> bool:
    participation = await Participation.get_or_none(token=token)
    if participation is None:
        return False
    event = await Event.get(id=participation.event_id)
    await participation.delete()
    await recount(event)
    return True


async def announce(node: Node, event: Event, text: str) -> Post:
    """A message from the organizer to the event's participants: a Note addressed to the remote ones
    (federated) and kept under the event for the local ones."""
    organizer = await _organizer(event)
    remote = await Participation.filter(event=event, state="accepted", actor__local=False).values_list("actor__uri", flat=True)
    draft = Draft(text=text, visibility="direct", audience=tuple(str(uri) for uri in remote), in_reply_to=event.uri,
                  language=event.language)
    try:
        return await create_post(node, organizer, draft)
    except ContentError as exc:
        raise EventError(str(exc)) from None


async def join_remote(node: Node, actor: Actor, event: Event, message: str = "") -> Participation:
    """A local member joins an event of the network calendar: Join to its organizer, pending until
    the organizer's Accept (or Reject) arrives."""
    if event.local:
        return await join(node, event, actor, message=message)
    existing = await Participation.get_or_none(event=event, actor=actor)
    if existing is not None and existing.state != "rejected":
        return existing
    organizer = await _organizer(event)
    uri = f"{actor.uri}#joins/{secrets.token_hex(8)}"
    async with in_transaction():
        if existing is not None:
            await existing.delete()
        participation = await Participation.create(uri=uri, event=event, actor=actor, name=actor.name, state="pending")
        doc = vocab.activity("Join", uri, actor.uri, event.uri, to=[organizer.uri])
        if message:
            doc["participationMessage"] = message[:2000]
        await publish(node, actor, doc, followers=False, recipients=[organizer.uri])
    return participation


async def leave_remote(node: Node, actor: Actor, event: Event) -> None:
    """Leave an event: for a remote one, a Leave goes to its organizer (Mobilizon's flow)."""
    await leave(node, event, actor)
    if not event.local:
        organizer = await _organizer(event)
        doc = vocab.activity("Leave", f"{actor.uri}#leaves/{secrets.token_hex(8)}", actor.uri, event.uri, to=[organizer.uri])
        await publish(node, actor, doc, followers=False, recipients=[organizer.uri])


async def answered(actor: Actor, join_uri: str, accepted: bool) -> bool:
    """An organizer's Accept or Reject of one of our members' Joins. True when it was one."""
    participation = await Participation.get_or_none(uri=join_uri).prefetch_related("event")
    if participation is None or participation.event.organizer_id != actor.id:
        return False
    participation.state = "accepted" if accepted else "rejected"
    await participation.save(update_fields=["state"])
    return True
