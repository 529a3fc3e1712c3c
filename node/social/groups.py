"""Local groups (FEP-1b12): what a follower addresses to a group, the group re-publishes to all its
followers."""

from __future__ import annotations

import hashlib

from federation import vocab
from node.core import sql
from node.core.local_actors import live_local_actor, named_here
from node.core.models import Activity, Actor, Follow, Post
from node.core.runtime import Node
from node.social.delivery import publish


async def relay_to_group(node: Node, actor: Actor, post: Post) -> None:
    """A public top-level post addressed to a local group (`to`, `cc` or `audience`) by one of its
    followers is re-published by the group with an Announce, so all its followers see it."""
    if post.in_reply_to_uri or post.visibility != "public":
        return
    audience = [*vocab.ids_of((post.data or {}).get("audience")), *post.to, *post.cc]
    for uri in named_here(node.urls, audience):
        group = await live_local_actor(uri)
        if group is None or group.kind != "Group" or not await sql.exists(Follow, follower_id=actor.id, target_id=group.id, state="accepted"):
            continue
        announce_id = f"{group.uri}#announces/{hashlib.sha256(post.uri.encode()).hexdigest()[:24]}"
        if await sql.exists(Activity, uri=announce_id):
            continue
        doc = vocab.activity("Announce", announce_id, group.uri, post.uri, to=[vocab.PUBLIC],
                             cc=[group.followers_url, actor.uri], audience=group.uri)
        await publish(node, group, doc, recipients=[actor.uri])
