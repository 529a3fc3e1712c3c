"""What the guide pages share: the guide at the address (or a 404), the reader's language, who the
reader is to guides (writer, editor, proposer)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from node.core import i18n, multilingual
from node.core.models import Actor, User
from node.guides import guides
from node.guides.access import can_write, is_editor
from node.guides.models import Guide, GuideRevision
from node.web import auth
from node.web.errors import PageRefusal
from node.web.pages import node_of

NOT_FOUND = ("Guide not found", "There is no guide at this address. It may have been removed.")


async def guide_at(request: Request, *, deleted: bool = False) -> Guide:
    guide = await guides.local_guide(str(request.path_params.get("slug", "")))
    if guide is None or (guide.deleted_at is not None and not deleted):
        raise PageRefusal(404, *NOT_FOUND)
    return guide


async def revision_of(guide: Guide, value: Any) -> GuideRevision:
    text = str(value or "")
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise PageRefusal(400, "No such revision", "Choose a revision from the guide's history.")
    revision = await GuideRevision.get_or_none(id=int(text), guide=guide)
    if revision is None:
        raise PageRefusal(404, "No such revision", "Choose a revision from the guide's history.")
    return revision


async def wishes(request: Request, user: User | None) -> list[str]:
    return [*multilingual.request_wishes(request, user), i18n.choose(request, node_of(request), user)]


def shown(guide: Guide, reader_wishes: list[str], fallback: str) -> multilingual.Shown:
    return multilingual.shown(guide.language or fallback, reader_wishes, (guide.title, guide.name_map), ("", None),
                              (guide.content, guide.content_map))


async def signed_in(request: Request) -> tuple[User, Actor]:
    user = await auth.current_user(request)
    if user is None:
        raise PageRefusal.login()
    return user, await Actor.get(id=user.actor_id)


async def writer(request: Request) -> tuple[User, Actor]:
    user, actor = await signed_in(request)
    if not await can_write(user):
        raise PageRefusal(403, "Not allowed", "Only editors and trusted guide writers write guides.")
    return user, actor


async def guide_editor(request: Request) -> tuple[User, Actor]:
    user, actor = await signed_in(request)
    if not is_editor(user):
        raise PageRefusal(403, "Not allowed", "Only editors and admins do this.")
    return user, actor
