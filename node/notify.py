"""Notifications for members: replies, mentions, follows, joins and support.

STUB written by the lead; `after_activity` is called by the inbox dispatcher after each handled activity."""

from __future__ import annotations

from typing import Any

from node.models import Actor
from node.runtime import Node


async def after_activity(node: Node, actor: Actor, doc: dict[str, Any]) -> None:
    return None
