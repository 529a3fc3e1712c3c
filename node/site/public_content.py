"""What the public site and the feeds show: published, public, local content (no drafts, nothing
held for a moderator, nothing deleted, no unlisted or followers-only posts)."""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from node.initiatives.inputs import OPEN_STATUSES
from node.core.models import Actor, Post
from node.events.models import Event
from node.initiatives.models import Initiative
from node.core.runtime import Node


def public_posts(author: Actor | None = None) -> QuerySet[Post]:
    query = Post.filter(local=True, deleted_at=None, draft=False, held=False, visibility="public")
    return query.filter(author=author) if author is not None else query


def association_posts(node: Node, actor: Actor) -> QuerySet[Post]:
    """The association's posts for the home page and the feeds: its posts and its replies to things
    of this node (progress of an initiative, a thread), not its replies to other servers."""
    local_reply = Q(in_reply_to_uri__startswith=node.urls.base + "/")
    return public_posts(actor).filter(Q(in_reply_to_uri__isnull=True) | local_reply)


def public_events() -> QuerySet[Event]:
    return Event.filter(local=True, draft=False, deleted_at=None)


def upcoming_events(now: datetime) -> QuerySet[Event]:
    """Events that are not over (without an end, an event lasts 3 hours, or its day), not cancelled."""
    not_over = (Q(end__gte=now) | Q(end__isnull=True, all_day=False, start__gte=now - timedelta(hours=3))
                | Q(end__isnull=True, all_day=True, start__gte=now - timedelta(days=1)))
    return public_events().exclude(status="CANCELLED").filter(not_over).order_by("start", "id")


def public_initiatives() -> QuerySet[Initiative]:
    return Initiative.filter(local=True, draft=False, deleted_at=None)


def open_initiatives() -> QuerySet[Initiative]:
    """Initiatives that are proposed or active."""
    return public_initiatives().filter(status__in=OPEN_STATUSES)
