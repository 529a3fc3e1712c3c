"""Inbound activities of moderation: support that waits for a moderator (before initiatives count it),
and reports from other servers."""

from __future__ import annotations

from node.activitypub.registry import FIRST, Doc, handles
from node.core.models import Actor
from node.core.runtime import Node
from node.moderation import holds, reports


@handles("Like", "EmojiReact", stage=FIRST)
async def on_like(node: Node, actor: Actor, doc: Doc) -> bool:
    return await holds.held_like(node, actor, doc)  # support waiting for a moderator, or refused (closed)


@handles("Flag")
async def on_flag(node: Node, actor: Actor, doc: Doc) -> bool:
    """A remote server's report (Mastodon sends it from its instance actor, `object` = the reported
    account and statuses, `content` = the comment): a Report in our queue."""
    await reports.receive_flag(node, actor, doc)
    return True
