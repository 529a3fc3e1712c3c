"""A member's own data, as one JSON document they download from `/account`: their account and profile,
their posts and comments (replies), likes and boosts, the accounts they follow, their pledges, their
participations in events and their support of initiatives. Only rows that are the member's own:
nobody else's words, names or addresses (the events and initiatives are named by their address and
title, the posts they answered by their address)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from federation import vocab
from node.accounts.profile import bio_source
from node.core.models import Activity, Actor, Follow, Post, User
from node.core.runtime import Node
from node.events.models import Participation
from node.initiatives.models import Pledge, Support

FORMAT = "agora-member-export/1"


def _when(moment: datetime | None) -> str | None:
    return vocab.iso(moment) if moment is not None else None


def _post(post: Post) -> dict[str, Any]:
    return {
        "id": post.uri, "url": post.url, "published": _when(post.published), "updated": _when(post.updated),
        "draft": post.draft, "visibility": post.visibility, "language": post.language,
        "inReplyTo": post.in_reply_to_uri, "summary": post.summary, "source": post.source,
        "content": post.content, "contentMap": post.content_map, "attachments": post.attachments,
    }


async def _posts(actor: Actor) -> list[Post]:
    return await Post.filter(author_id=actor.id, local=True, deleted_at=None).order_by("published", "id")


async def _pledges(actor: Actor) -> list[dict[str, Any]]:
    rows = await Pledge.filter(actor_id=actor.id).order_by("created_at", "id").prefetch_related("need__initiative")
    return [{
        "initiative": row.need.initiative.uri, "initiativeTitle": row.need.initiative.title,
        "need": row.need.title, "needKind": row.need.kind, "quantity": row.quantity,
        "amountMinor": row.amount_minor, "currency": row.need.currency, "message": row.message,
        "created": _when(row.created_at),
    } for row in rows]


async def _participations(actor: Actor) -> list[dict[str, Any]]:
    rows = await Participation.filter(actor_id=actor.id).order_by("created_at", "id").prefetch_related("event")
    return [{
        "event": row.event.uri, "eventName": row.event.name, "eventStart": _when(row.event.start),
        "state": row.state, "message": row.message, "created": _when(row.created_at),
    } for row in rows]


async def _supports(actor: Actor) -> list[dict[str, Any]]:
    rows = await Support.filter(actor_id=actor.id).order_by("created_at", "id").prefetch_related("initiative")
    return [{"initiative": row.initiative.uri, "initiativeTitle": row.initiative.title,
             "created": _when(row.created_at)} for row in rows]


async def _likes_and_boosts(actor: Actor) -> list[dict[str, Any]]:
    """The member's Like and Announce activities, without those they undid."""
    sent = await Activity.filter(actor_uri=actor.uri, outgoing=True, kind__in=["Like", "Announce"]).order_by("id")
    undone = set(await Activity.filter(actor_uri=actor.uri, outgoing=True, kind="Undo").values_list("uri", flat=True))
    return [{"type": row.kind, "id": row.uri, "object": vocab.id_of(row.data.get("object")),
             "created": _when(row.created_at)} for row in sent if f"{row.uri}/undo" not in undone]


async def _following(actor: Actor) -> list[dict[str, Any]]:
    rows = await Follow.filter(follower_id=actor.id).order_by("created_at", "id").prefetch_related("target")
    return [{"id": row.target.uri, "handle": row.target.handle, "state": row.state,
             "since": _when(row.created_at)} for row in rows]


def _profile(node: Node, actor: Actor) -> dict[str, Any]:
    icon = actor.data.get("icon") if isinstance(actor.data, dict) else None
    return {
        "id": actor.uri, "url": actor.url, "handle": f"@{actor.username}@{node.urls.host}",
        "displayName": actor.name, "bio": bio_source(actor), "bioHtml": actor.summary, "avatar": actor.icon_url,
        "avatarDescription": icon.get("name") if isinstance(icon, dict) else None,
        "created": _when(actor.created_at),
    }


async def member_export(node: Node, user: User) -> dict[str, Any]:
    """Everything of the member's own, as plain JSON values."""
    actor = await Actor.get(id=user.actor_id)
    posts = await _posts(actor)
    return {
        "format": FORMAT,
        "exported": vocab.iso(datetime.now(timezone.utc)),
        "site": node.settings.base_url,
        "account": {
            "username": user.username, "email": user.email, "role": user.role, "language": user.locale,
            "created": _when(user.created_at), "lastLogin": _when(user.last_login_at),
        },
        "profile": _profile(node, actor),
        "posts": [_post(p) for p in posts if not p.in_reply_to_uri],
        "comments": [_post(p) for p in posts if p.in_reply_to_uri],
        "likesAndBoosts": await _likes_and_boosts(actor),
        "following": await _following(actor),
        "pledges": await _pledges(actor),
        "participations": await _participations(actor),
        "supports": await _supports(actor),
    }
