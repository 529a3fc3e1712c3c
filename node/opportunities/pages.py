"""The opportunity board's pages (HTML): the board with its filters (ours and the network's), the
posting form (pages_editor), an opportunity's page, answers and moderation of one (pages_opportunity),
the moderation queue with the approval setting, and the feeds (pages_feeds). The AS2 form of an
opportunity is served by routes.py, which calls `opportunity_page` for browsers. No JavaScript: every
change is a POST form with the session's CSRF token."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from federation import opportunities as wire
from node.core import i18n
from node.core.models import Actor
from node.opportunities import opportunities
from node.opportunities.inputs import OpportunityError
from node.opportunities.models import Opportunity
from node.opportunities.network import board
from node.opportunities.pages_common import labels, path_of
from node.opportunities.pages_editor import new_opportunity
from node.opportunities.pages_feeds import feed
from node.opportunities.pages_opportunity import (
    answer_submit, answers_page, close_submit, opportunity_page, remove_submit,
)
from node.web import auth
from node.web.errors import PageRefusal
from node.web.forms import checked_form, no_store, text_field
from node.web.pages import node_of, render

__all__ = ["opportunity_page", "routes"]
_l = i18n.lazy


def _filters(request: Request) -> dict[str, str]:
    params = request.query_params
    kind = params.get("kind", "")
    place = params.get("place", "")
    return {"kind": kind if kind in wire.KINDS else "", "place": place if place in wire.PLACES else "",
            "language": params.get("language", "").strip()[:35], "q": params.get("q", "").strip()[:200]}


async def _board(request: Request, *, local: bool) -> Response:
    chosen = _filters(request)
    rows = await board(local=local, kind=chosen["kind"], place=chosen["place"], language=chosen["language"],
                       query=chosen["q"])
    organizers = {a.id: a for a in await Actor.filter(id__in={o.organizer_id for o in rows})} if not local else {}
    return await render(request, "opportunities/list.html", rows=rows, chosen=chosen, network=not local,
                        organizers=organizers, path_of=path_of, **labels())


async def local_board(request: Request) -> Response:
    return await _board(request, local=True)


async def network_board(request: Request) -> Response:
    return await _board(request, local=False)


async def moderation_page(request: Request) -> Response:
    """The queue of postings waiting for approval, and the admin's setting."""
    user = await auth.current_user(request)
    if user is None:
        raise PageRefusal.login()
    if not opportunities.may_moderate(user):
        raise PageRefusal(403, _l("Not allowed"), _l("Only moderators see the queue."))
    error = ""
    if request.method == "POST":
        form = await checked_form(request)
        action = text_field(form, "action")
        if action == "setting" and user.role == "admin":
            await opportunities.set_approval(user, bool(form.get("approval")))
            return RedirectResponse("/opportunities/moderation", status_code=303)
        found = await Opportunity.get_or_none(id=int(text_field(form, "id") or 0) if text_field(form, "id").isdigit() else 0,
                                              local=True)
        try:
            if found is None:
                raise OpportunityError(str(_l("There is no such opportunity.")))
            if action == "approve":
                await opportunities.approve(node_of(request), found, user)
            else:
                await opportunities.remove(node_of(request), found, user, text_field(form, "reason"))
            return RedirectResponse("/opportunities/moderation", status_code=303)
        except OpportunityError as exc:
            error = str(exc)
    pending = await Opportunity.filter(local=True, status="pending").order_by("published")
    return no_store(await render(request, "opportunities/moderation.html", status=400 if error else 200,
                                 pending=pending, approval=await opportunities.approval_required(), error=error,
                                 is_admin=user.role == "admin", path_of=path_of, **labels()))


def routes() -> list[BaseRoute]:
    """Fixed paths: mounted before the `/opportunities/{slug}` route (routes.py)."""
    return [
        Route("/opportunities", local_board, methods=["GET"]),
        Route("/opportunities/network", network_board, methods=["GET"]),
        Route("/opportunities/new", new_opportunity, methods=["GET", "POST"]),
        Route("/opportunities/moderation", moderation_page, methods=["GET", "POST"]),
        Route("/opportunities/{kind}.{fmt}", feed, methods=["GET"]),
        Route("/opportunities/{slug}/answer", answer_submit, methods=["POST"]),
        Route("/opportunities/{slug}/answers", answers_page, methods=["GET", "POST"]),
        Route("/opportunities/{slug}/close", close_submit, methods=["POST"]),
        Route("/opportunities/{slug}/remove", remove_submit, methods=["POST"]),
    ]
