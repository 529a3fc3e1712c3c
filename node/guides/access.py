"""Who does what with guides: editors and admins write, review, accept proposals and name the trusted
writers; a trusted writer (GuideWriter) saves revisions directly; any other member proposes changes."""

from __future__ import annotations

from node.accounts.roles import PUBLISHING_ROLES
from node.core.models import Actor, User
from node.guides.models import GuideWriter


def is_editor(user: User | None) -> bool:
    return user is not None and user.role in PUBLISHING_ROLES


async def is_trusted(user: User | None) -> bool:
    return user is not None and await GuideWriter.filter(actor_id=user.actor_id).exists()


async def can_write(user: User | None) -> bool:
    """Saves revisions (and creates guides) without an editor's review."""
    return is_editor(user) or await is_trusted(user)


async def trust(actor: Actor) -> None:
    await GuideWriter.get_or_create(actor=actor)


async def distrust(actor: Actor) -> None:
    await GuideWriter.filter(actor=actor).delete()


async def writers() -> list[GuideWriter]:
    return await GuideWriter.all().order_by("id").prefetch_related("actor")
