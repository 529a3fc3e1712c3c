"""What waits for a moderator: replies, comments and support that remote actors send to our posts,
events and initiatives (per object, or node-wide), and anything from silenced accounts. An object whose
replies are "closed" refuses them: nothing is stored.

Per object, `replies_moderation` is one of MODES. Posts and initiatives start at "default", which follows
the node-wide setting (SiteSetting "hold_remote_replies", else `[policy] hold_remote_replies`); an explicit
"allow_all" overrides it. Events have no "default" (their form offers allow_all / moderated / closed), so
the node-wide hold also covers an event left at "allow_all"."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Literal

from tortoise.exceptions import IntegrityError

from federation import vocab
from node.policy import policy
from node.core import site_settings
from node.core.models import Actor, Post
from node.events.models import Event
from node.initiatives.models import Initiative, Support
from node.core.runtime import Node

log = logging.getLogger("agora.holds")

MODES = ("default", "allow_all", "moderated", "closed")
EVENT_MODES = ("allow_all", "moderated", "closed")
HOLD_SETTING = "hold_remote_replies"

Decision = Literal["allow", "hold", "refuse"]
Moderated = Post | Event | Initiative


async def node_holds(node: Node) -> bool:
    """The node-wide setting: every remote reply, comment and support waits for approval."""
    return await site_settings.flag(node, HOLD_SETTING)


async def effective_mode(node: Node, obj: Moderated) -> str:
    """"allow_all", "moderated" or "closed": the object's own choice, or the node's for "default"."""
    mode = obj.replies_moderation
    if mode == "closed" or (isinstance(obj, Event) and not obj.comments_enabled):
        return "closed"
    if mode == "moderated":
        return "moderated"
    if mode == "allow_all" and not isinstance(obj, Event):
        return "allow_all"
    return "moderated" if await node_holds(node) else "allow_all"


async def local_object(uri: str) -> Moderated | None:
    """Our post, event or initiative at this address (the thing a reply or a like is about)."""
    post = await Post.get_or_none(uri=uri, local=True, deleted_at=None)
    if post is not None:
        return post
    event = await Event.get_or_none(uri=uri, local=True)
    if event is not None:
        return event
    return await Initiative.get_or_none(uri=uri, local=True, deleted_at=None)


async def decide(node: Node, actor: Actor, target: Moderated | None) -> Decision:
    """What happens to content `actor` sends about `target` (None: not about one of our objects)."""
    if target is not None:
        mode = await effective_mode(node, target)
        if mode == "closed":
            return "refuse"
        if mode == "moderated":
            return "hold"
    if not actor.local and await policy.is_silenced(node, actor.uri):
        return "hold"
    return "allow"


async def reply_decision(node: Node, actor: Actor, in_reply_to: str | None) -> tuple[Decision, Moderated | None]:
    """The decision for a remote note, and the local object it replies to (if any)."""
    target = await local_object(in_reply_to) if in_reply_to else None
    return await decide(node, actor, target), target


async def held_like(node: Node, actor: Actor, doc: Mapping[str, Any]) -> bool:
    """A remote Like of one of our initiatives that must wait (stored as held support, not counted) or
    is refused (replies closed). True when it was handled here; False lets it count at once."""
    ref = vocab.id_of(doc.get("object"))
    if ref is None or not node.urls.is_initiative(ref) or actor.local:
        return False
    initiative = await Initiative.get_or_none(uri=ref, local=True, deleted_at=None)
    if initiative is None:
        return False
    decision = await decide(node, actor, initiative)
    if decision == "allow":
        return False
    if decision == "refuse":
        log.info("support of %s by %s refused: closed", initiative.uri, actor.uri)
        return True
    like_id = doc.get("id")
    if not isinstance(like_id, str):
        return True
    try:
        await Support.create(uri=like_id, initiative=initiative, actor=actor, held=True)
    except IntegrityError:
        pass  # the same Like again, or this actor supports it already
    return True


async def follow_waits(node: Node, actor: Actor) -> bool:
    """Follows from silenced accounts and domains wait for approval, even where follows are automatic."""
    return not actor.local and await policy.is_silenced(node, actor.uri)
