"""When the forum's pages as visitors see them last changed in this process: a generation number that
any save or deletion of a post, a place in a thread, a topic, a category or a revision bumps
(Tortoise's model signals), and that services bump themselves after a `QuerySet.update` (which fires
no signal). `pages_cache.py` drops what was rendered under an older generation. Other processes
(`agora serve --workers N`) see the change when their entries expire (pages_cache.CACHE_SECONDS)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tortoise.models import Model
from tortoise.signals import post_delete, post_save

from node.core.models import Post
from node.forum.models import Category, Entry, Revision, Topic


@dataclass
class _Generation:
    value: int = 0


_generation = _Generation()


def generation() -> int:
    return _generation.value


def changed() -> None:
    """Something a thread page shows changed here: every page rendered before is stale."""
    _generation.value += 1


@post_save(Post, Entry, Topic, Category, Revision)
async def _saved(sender: type[Model], instance: Model, created: bool, using_db: Any, update_fields: Any) -> None:
    changed()


@post_delete(Post, Entry, Topic, Category, Revision)
async def _deleted(sender: type[Model], instance: Model, using_db: Any) -> None:
    changed()
