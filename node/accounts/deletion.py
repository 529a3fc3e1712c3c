"""A member deletes their own account, the way Mastodon does it.

Their Person actor sends a `Delete` of itself to every server that knows it (its followers' inboxes,
the accounts it follows, and the authors, organizers and people it answered, liked, boosted, joined or
supported), signed with its key, which stays for those deliveries. Here, their posts and comments
become tombstones (the address answers 410 Gone with a `Tombstone`, the words are gone), drafts,
likes, boosts, follows, pledges, participations, support and notifications are removed and the counts
they fed recounted, their pictures are deleted, the account row goes, and the actor is kept as a
tombstone: its address answers 410 Gone and its username is never given to anyone else.

Refused: a wrong password, the association's own actor, and the last active admin."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timezone

from tortoise.transactions import in_transaction

from federation import delivery as recipients
from federation import vocab
from node.accounts.members import MemberError, admin_count
from node.accounts.passwords import check_password
from node.core import audit
from node.core.media import delete_media
from node.core.models import Activity, Actor, Follow, Interaction, Media, Notification, Post, User
from node.core.runtime import Node
from node.events.models import Event, Participation
from node.events.participation import recount as recount_participants
from node.initiatives.models import Initiative, Pledge, Support
from node.initiatives.support import recount_support
from node.social.delivery import publish_to_inboxes
from node.social.interactions import recount

log = logging.getLogger("agora.members")


def N_(text: str) -> str:
    """Marks a message for translation; the page showing the error translates it."""
    return text


def _ids(values: Iterable[object]) -> set[int]:
    """The row ids of a `values_list(..., flat=True)`."""
    return {v for v in values if isinstance(v, int)}


def _recipient(actor: Actor) -> recipients.Recipient | None:
    if actor.local or not actor.inbox:
        return None
    return recipients.Recipient(inbox=actor.inbox, shared_inbox=actor.shared_inbox)


async def _known_by(actor: Actor) -> list[Actor]:
    """The remote actors that know this one: its followers, those it follows, and those its own
    activities were addressed to (the authors it answered, liked or boosted, the people it mentioned,
    the organizers of the events it joined and of the initiatives it supported)."""
    ids = _ids(await Follow.filter(target_id=actor.id).values_list("follower_id", flat=True))
    ids |= _ids(await Follow.filter(follower_id=actor.id).values_list("target_id", flat=True))
    ids |= _ids(await Participation.filter(actor_id=actor.id).values_list("event__organizer_id", flat=True))
    ids |= _ids(await Support.filter(actor_id=actor.id).values_list("initiative__organizer_id", flat=True))
    known = await Actor.filter(id__in=sorted(ids), local=False, deleted_at=None)
    addressed: set[str] = set()
    for data in await Activity.filter(actor_uri=actor.uri, outgoing=True).values_list("data", flat=True):
        if isinstance(data, dict):
            addressed.update(vocab.ids_of(data.get("to")), vocab.ids_of(data.get("cc")))
    addressed -= {*vocab.PUBLIC_ALIASES, *(a.uri for a in known)}
    if addressed:
        known += await Actor.filter(uri__in=sorted(addressed), local=False, deleted_at=None)
    return known


async def delivery_inboxes(actor: Actor) -> list[str]:
    """Where the `Delete` of the actor goes: one inbox per server when it has a shared one."""
    found = [r for r in map(_recipient, await _known_by(actor)) if r is not None]
    return recipients.inbox_targets(found)


def check_deletable(node: Node, user: User, actor: Actor, admins: int) -> None:
    """Raises MemberError when this account must stay."""
    if actor.kind != "Person" or actor.username == node.settings.association.handle:
        raise MemberError(N_("This is the association's own account: it cannot be deleted."))
    if user.role == "admin" and not user.disabled and admins <= 1:
        raise MemberError(N_("You are the last admin: make another member admin before deleting your account."))


async def _tombstone_posts(actor: Actor, now: datetime) -> set[int]:
    """Drafts go; published posts keep only their address (410 Gone). The posts they answered."""
    parents = _ids(await Post.filter(author_id=actor.id, in_reply_to_id__isnull=False).values_list("in_reply_to_id", flat=True))
    await Post.filter(author_id=actor.id, draft=True).delete()
    await Post.filter(author_id=actor.id, deleted_at=None).update(
        deleted_at=now, source="", content="", content_map=None, summary="", summary_map=None, attachments=[],
        tags=[], data=None,
    )
    await Event.filter(organizer_id=actor.id, local=True, deleted_at=None).update(deleted_at=now)
    await Initiative.filter(organizer_id=actor.id, local=True, deleted_at=None).update(deleted_at=now)
    return parents


async def _remove_rows(actor: Actor) -> None:
    """The member's likes, boosts, follows, pledges, participations, support and notifications, and
    the counts they fed."""
    touched = _ids(await Interaction.filter(actor_id=actor.id).values_list("post_id", flat=True))
    events = _ids(await Participation.filter(actor_id=actor.id).values_list("event_id", flat=True))
    initiatives = _ids(await Support.filter(actor_id=actor.id).values_list("initiative_id", flat=True))
    await Interaction.filter(actor_id=actor.id).delete()
    await Follow.filter(follower_id=actor.id).delete()
    await Follow.filter(target_id=actor.id).delete()
    await Participation.filter(actor_id=actor.id).delete()
    await Support.filter(actor_id=actor.id).delete()
    await Pledge.filter(actor_id=actor.id).delete()
    await Notification.filter(recipient_id=actor.id).delete()
    await Notification.filter(source_id=actor.id).delete()
    for post_id in touched:
        await recount(post_id)
    for event in await Event.filter(id__in=list(events)):
        await recount_participants(event)
    for initiative in await Initiative.filter(id__in=list(initiatives)):
        await recount_support(initiative)


def delete_document(actor: Actor) -> dict[str, object]:
    return vocab.activity("Delete", f"{actor.uri}#delete", actor.uri, actor.uri, to=[vocab.PUBLIC])


async def delete_account(node: Node, user: User, password: str) -> Actor:
    """Delete the member's account after checking their password (see the module's description)."""
    if not check_password(user, password):
        raise MemberError(N_("The password is wrong."))
    actor = await Actor.get(id=user.actor_id)
    check_deletable(node, user, actor, await admin_count())
    now = datetime.now(timezone.utc)
    inboxes = await delivery_inboxes(actor)
    media = await Media.filter(owner_id=actor.id)
    async with in_transaction():
        parents = await _tombstone_posts(actor, now)
        await _remove_rows(actor)
        for post_id in parents:
            await recount(post_id)
        await Actor.filter(id=actor.id).update(
            name="", summary="", icon_url=None, data=None, manually_approves_followers=False, deleted_at=now,
        )
        await audit.record(user, "user.delete", user.username, inboxes=len(inboxes))
        await user.delete()
        if inboxes:
            await publish_to_inboxes(node, actor, delete_document(actor), inboxes)
    node.wake_worker()
    for picture in media:
        await delete_media(node, picture)
    log.info("account %s deleted; its Delete goes to %d inboxes", actor.uri, len(inboxes))
    await actor.refresh_from_db()
    return actor
