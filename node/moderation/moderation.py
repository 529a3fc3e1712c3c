"""What moderators do: act on reports (dismiss, delete the content, suspend the account or its domain,
forward the report), approve or reject what was held, and set how an object takes replies. Every action
is written to the audit log."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from node.core import audit, i18n
from node.posts import content
from node.events import events
from node.moderation import holds
from node.initiatives import initiatives
from node.policy import blocks, rules
from node.social import notify
from node.social.groups import relay_to_group
from node.social.interactions import recount
from node.core.models import Actor, Post, User
from node.events.models import Event
from node.initiatives.models import Initiative, Support
from node.initiatives.support import recount_support
from node.moderation.models import Report
from node.policy.domains import PolicyError
from node.moderation.reports import ReportError, forward_report
from node.core.runtime import Node

log = logging.getLogger("agora.moderation")

STAFF_ROLES = frozenset({"admin", "moderator"})
EDITOR_ROLES = frozenset({"admin", "moderator", "editor"})
ACTIONS = ("dismiss", "delete", "suspend_actor", "suspend_domain", "forward")
MAX_NOTE = 2000


def N_(text: str) -> str:
    """Marks a message for extraction (babel.cfg): the page that shows it translates it."""
    return text


class ModerationError(ValueError):
    """An action that cannot be done as asked; the message says why."""


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Reported:
    """One reported object as found here now: its kind and row, or None when it is gone."""

    uri: str
    kind: str  # post | event | initiative | unknown
    row: Post | Event | Initiative | None

    @property
    def present(self) -> bool:
        return self.row is not None and self.row.deleted_at is None


async def reported_objects(report: Report) -> list[Reported]:
    found: list[Reported] = []
    for uri in report.object_uris if isinstance(report.object_uris, list) else []:
        if not isinstance(uri, str):
            continue
        post = await Post.get_or_none(uri=uri)
        if post is not None:
            found.append(Reported(uri, "post", post))
            continue
        event = await Event.get_or_none(uri=uri)
        if event is not None:
            found.append(Reported(uri, "event", event))
            continue
        initiative = await Initiative.get_or_none(uri=uri)
        found.append(Reported(uri, "initiative" if initiative else "unknown", initiative))
    return found


async def report_target(report: Report) -> Actor | None:
    if report.target_id is None:
        return await Actor.get_or_none(uri=report.target_uri)
    return await Actor.get_or_none(id=report.target_id)


# ------------------------------------------------------------------ report actions


async def _resolve(report: Report, user: User, action: str, note: str, **details: Any) -> None:
    report.state = "dismissed" if action == "dismiss" else "resolved"
    report.action_taken = action
    report.resolved_by = user
    report.resolved_at = _now()
    await report.save(update_fields=["state", "action_taken", "resolved_by_id", "resolved_at"])
    extra = {k: v for k, v in details.items() if v is not None}
    await audit.record(user, f"report.{action}", report.uri or f"report:{report.id}", report=report.id,
                       about=report.target_uri, note=note or None, **extra)


async def act(node: Node, report: Report, action: str, user: User, note: str = "") -> str:
    """Apply one action to a report; returns what was done, for the page. Raises ModerationError."""
    if user.role not in STAFF_ROLES:
        raise ModerationError(N_("Only moderators and admins act on reports."))
    note = note.strip()[:MAX_NOTE]
    if action == "dismiss":
        await _resolve(report, user, "dismiss", note)
        return N_("The report was dismissed.")
    if action == "delete":
        return await _delete_content(node, report, user, note)
    if action == "suspend_actor":
        return await _suspend_actor(node, report, user, note)
    if action == "suspend_domain":
        return await _suspend_domain(node, report, user, note)
    if action == "forward":
        try:
            await forward_report(node, report)
        except ReportError as exc:
            raise ModerationError(str(exc)) from None
        await _resolve(report, user, "forward", note)
        return N_("The report was sent to the account's server.")
    raise ModerationError(N_("Unknown action."))


async def remove_content(node: Node, item: Reported) -> bool:
    """Ours: deleted with the usual Delete to the followers. Another server's: hidden here (a later
    copy of the same object stays hidden). True when something was removed."""
    row = item.row
    if row is None or row.deleted_at is not None:
        return False
    if isinstance(row, Post):
        if row.local:
            await content.delete_post(node, row)
        else:
            row.deleted_at = _now()
            await row.save(update_fields=["deleted_at"])
            if row.in_reply_to_id:
                await recount(row.in_reply_to_id)
    elif isinstance(row, Event):
        if row.local:
            await events.delete_event(node, row)
        else:
            await Event.filter(id=row.id).update(deleted_at=_now())
    elif row.local:
        await initiatives.delete_initiative(node, row)
    else:
        await Initiative.filter(id=row.id).update(deleted_at=_now())
    return True


async def _delete_content(node: Node, report: Report, user: User, note: str) -> str:
    items = [item for item in await reported_objects(report) if item.present]
    if not items:
        raise ModerationError(N_("This report names no content that is still here; suspend the account instead."))
    removed = [item.uri for item in items if await remove_content(node, item)]
    await _resolve(report, user, "delete", note, removed=removed)
    return N_("The reported content was removed.")


async def suspend_actor(node: Node, target: Actor, reason: str, user: User) -> None:
    """No contact at all with this account (the policy module writes the ActorBlock, removes its
    follows and content, and records `actor.suspend`)."""
    if target.local:
        raise ModerationError(N_("This is a member of this node: manage members from the admin console."))
    try:
        await blocks.block_actor(node, target.uri, "suspend", reason[:MAX_NOTE], user=user)
    except PolicyError as exc:
        raise ModerationError(str(exc)) from None


async def suspend_domain(node: Node, domain: str, reason: str, user: User) -> None:
    """No contact at all with this domain (the policy module writes the rule, purges what the domain's
    accounts left here, and records `domain.suspend`)."""
    if not domain or domain.lower() == node.urls.host.lower():
        raise ModerationError(N_("This node's own domain cannot be suspended."))
    try:
        await rules.save_rule(node, domain, "suspend", private_comment=reason[:MAX_NOTE], user=user)
    except PolicyError as exc:
        raise ModerationError(str(exc)) from None


async def _suspend_actor(node: Node, report: Report, user: User, note: str) -> str:
    target = await report_target(report)
    if target is None:
        raise ModerationError(N_("The reported account is not known here any more."))
    await suspend_actor(node, target, note or f"report {report.id}", user)
    await _resolve(report, user, "suspend_actor", note, actor=target.uri)
    return N_("The account was suspended.")


async def _suspend_domain(node: Node, report: Report, user: User, note: str) -> str:
    if user.role != "admin":
        raise ModerationError(N_("Only admins suspend a whole domain."))
    target = await report_target(report)
    if target is None or target.local:
        raise ModerationError(N_("Only other servers' domains can be suspended."))
    await suspend_domain(node, target.domain, note or f"report {report.id}", user)
    await _resolve(report, user, "suspend_domain", note, domain=target.domain)
    return N_("The domain was suspended.")


# ------------------------------------------------------------------ held replies and support


async def approve_post(node: Node, post: Post, user: User) -> None:
    """Shown and counted from now on; a group post held on its way is relayed to the group now."""
    if not post.held:
        raise ModerationError(N_("This reply was handled already."))
    post.held = False
    await post.save(update_fields=["held"])
    if post.local and post.draft:  # a member's comment held unpublished (node/posts/comments.py)
        await content.publish_post(node, post)
        await notify.local_post(node, post)
    if post.in_reply_to_id:
        await recount(post.in_reply_to_id)
    author = await Actor.get(id=post.author_id)
    if not post.local:
        await relay_to_group(node, author, post)
    await audit.record(user, "held.approve", post.uri, kind="reply", author=author.uri, in_reply_to=post.in_reply_to_uri)


async def reject_post(node: Node, post: Post, user: User) -> None:
    """Deleted here (it was never shown)."""
    if not post.held:
        raise ModerationError(N_("This reply was handled already."))
    author = await Actor.get(id=post.author_id)
    await post.delete()
    await audit.record(user, "held.reject", post.uri, kind="reply", author=author.uri, in_reply_to=post.in_reply_to_uri)


async def approve_support(node: Node, row: Support, user: User) -> None:
    if not row.held:
        raise ModerationError(N_("This support was handled already."))
    row.held = False
    await row.save(update_fields=["held"])
    initiative = await Initiative.get(id=row.initiative_id)
    await recount_support(initiative)
    actor = await Actor.get(id=row.actor_id)
    await audit.record(user, "held.approve", row.uri, kind="support", author=actor.uri, initiative=initiative.uri)


async def reject_support(node: Node, row: Support, user: User) -> None:
    if not row.held:
        raise ModerationError(N_("This support was handled already."))
    initiative = await Initiative.get(id=row.initiative_id)
    actor = await Actor.get(id=row.actor_id)
    await row.delete()
    await audit.record(user, "held.reject", row.uri, kind="support", author=actor.uri, initiative=initiative.uri)


# ------------------------------------------------------------------ per-object reply moderation


async def can_set_moderation(user: User, obj: holds.Moderated) -> bool:
    """Editors, moderators and admins; a member for their own post."""
    if user.disabled:
        return False
    if user.role in EDITOR_ROLES:
        return True
    return isinstance(obj, Post) and obj.author_id == user.actor_id


async def set_replies_moderation(node: Node, obj: holds.Moderated, value: str, user: User) -> None:
    """How one of our posts, initiatives or events takes remote replies, comments and support:
    "default" (the node's setting; not for events), "allow_all", "moderated" or "closed". Audited."""
    if not obj.local:
        raise ModerationError(N_("Only this node's own content has a reply setting here."))
    allowed = holds.EVENT_MODES if isinstance(obj, Event) else holds.MODES
    if value not in allowed:
        raise ModerationError(i18n.lazy_gettext("The reply setting must be one of %(values)s.",
                                                 values=", ".join(allowed)))
    if not await can_set_moderation(user, obj):
        raise ModerationError(N_("Only editors change how replies are moderated."))
    previous = obj.replies_moderation
    if previous == value:
        return
    obj.replies_moderation = value
    await obj.save(update_fields=["replies_moderation"])
    await audit.record(user, "moderation.replies", obj.uri, value=value, previous=previous)
