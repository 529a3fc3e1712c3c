"""The guides in the admin console (/admin/guides): the stale guides, the proposals waiting, the
members trusted to write guides, the default review interval and the admin's own topics; and the
editors' review list (/guides/review), the stale guides and the proposals."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from node.core.models import Actor, User
from node.guides import access, guides, review
from node.guides.pages_common import guide_editor
from node.guides.topics import TopicError, add_topic, all_topics
from node.web import admin_access
from node.web.pages import render


async def _context() -> dict[str, Any]:
    return {"stale": await review.stale_guides(), "proposals": await guides.pending(),
            "default_days": await review.default_interval()}


async def review_list(request: Request) -> Response:
    await guide_editor(request)
    return await render(request, "guides/review.html", **await _context())


async def admin_page(request: Request) -> Response:
    await admin_access.staff(request)
    return await admin_access.page(request, "guides/admin.html", writers=await access.writers(),
                                   topics=await all_topics(), **await _context())


async def _member(username: str) -> Actor | None:
    user = await User.get_or_none(username=username.strip().lstrip("@"))
    return await Actor.get(id=user.actor_id) if user is not None else None


def _refused(request: Request, text: str) -> Response:
    admin_access.flash(request, text, error=True)
    return RedirectResponse("/admin/guides", status_code=303)


async def admin_submit(request: Request) -> Response:
    """One of the console's forms: trust or distrust a writer, the default interval, a new topic."""
    _, form = await admin_access.admin_form(request)
    action = str(form.get("action") or "")
    back = "/admin/guides"
    if action in ("trust", "distrust"):
        actor = await _member(str(form.get("username") or ""))
        if actor is None:
            return _refused(request, "No member has that username.")
        await (access.trust(actor) if action == "trust" else access.distrust(actor))
        return admin_access.done(request, back, "Guide writers changed.")
    if action == "interval":
        days = admin_access.int_field(form, "days")
        try:
            await review.set_default_interval(days or 0)
        except ValueError as exc:
            return _refused(request, str(exc))
        return admin_access.done(request, back, "Review interval saved.")
    if action == "topic":
        try:
            await add_topic(str(form.get("slug") or ""), str(form.get("name") or ""))
        except TopicError as exc:
            return _refused(request, str(exc))
        return admin_access.done(request, back, "Topic added.")
    return admin_access.done(request, back, "Nothing to do.")
