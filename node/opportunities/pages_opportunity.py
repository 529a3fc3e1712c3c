"""An opportunity's page and what is done there: answering (a visitor with name and email, or a
member), closing (the poster), removing (a moderator, with a reason); and the answers page, where only
the poster and moderators read the answers (never the answerer's address) and the poster replies."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from node.core import i18n
from node.core.models import Actor, User
from node.opportunities import answers, opportunities
from node.opportunities.inputs import OpportunityError
from node.opportunities.models import Answer, Opportunity
from node.opportunities.money import money_phrases
from node.opportunities.pages_common import find, labels, path_of, shown, visible_to
from node.opportunities.opportunities import is_poster, may_moderate
from node.web import auth
from node.web.errors import PageRefusal
from node.web.forms import checked_form, no_store, text_field
from node.web.pages import node_of, render

_l = i18n.lazy


async def show(request: Request, opportunity: Opportunity, *, status: int = 200, error: str = "",
               entered: dict[str, str] | None = None, notice: str = "") -> Response:
    user = await auth.current_user(request)
    if not visible_to(opportunity, user):
        raise PageRefusal(404, _l("Not found"), _l("There is no such opportunity."))
    response = await render(
        request, "opportunities/opportunity.html", status=status, opportunity=opportunity,
        shown=shown(request, opportunity, user), poster=is_poster(opportunity, user), moderator=may_moderate(user),
        error=error, entered=entered or {}, notice=notice, path=path_of(opportunity),
        money=money_phrases(opportunity.title, opportunity.source or opportunity.content) if opportunity.asks_money else [],
        **labels())
    return no_store(response) if user is not None or error else response


async def opportunity_page(request: Request) -> Response:
    opportunity = await find(request)
    notice = _l("Your answer was sent to the poster.") if request.query_params.get("sent") else ""
    return await show(request, opportunity, notice=str(notice) if notice else "")


def _client(request: Request) -> str:
    return request.client.host if request.client else ""


async def answer_submit(request: Request) -> Response:
    opportunity = await find(request)
    form = await checked_form(request)
    user = await auth.current_user(request)
    member = await Actor.get(id=user.actor_id) if user is not None else None
    entered = {k: text_field(form, k) for k in ("name", "email", "message")}
    try:
        await answers.answer(node_of(request), opportunity, message=str(form.get("message") or ""),
                             name=entered["name"], email=entered["email"], member=member, client=_client(request))
    except OpportunityError as exc:
        status = 429 if "too many" in str(exc) else 400
        return await show(request, opportunity, status=status, error=str(exc), entered=entered)
    return RedirectResponse(f"{path_of(opportunity)}?sent=1#answer", status_code=303)


async def _poster_or_moderator(request: Request, opportunity: Opportunity) -> User:
    user = await auth.current_user(request)
    if user is None:
        raise PageRefusal.login()
    if not (is_poster(opportunity, user) or may_moderate(user)):
        raise PageRefusal(403, _l("Not allowed"), _l("Only the poster and the moderators read the answers."))
    return user


async def close_submit(request: Request) -> Response:
    opportunity = await find(request)
    user = await _poster_or_moderator(request, opportunity)
    await checked_form(request)
    try:
        await opportunities.close(node_of(request), opportunity, by=user.username)
    except OpportunityError as exc:
        return await show(request, opportunity, status=400, error=str(exc))
    return RedirectResponse(path_of(opportunity), status_code=303)


async def remove_submit(request: Request) -> Response:
    opportunity = await find(request)
    user = await auth.current_user(request)
    if not may_moderate(user):
        raise PageRefusal(403, _l("Not allowed"), _l("Only moderators remove postings."))
    form = await checked_form(request)
    try:
        await opportunities.remove(node_of(request), opportunity, user, text_field(form, "reason"))
    except OpportunityError as exc:
        return await show(request, opportunity, status=400, error=str(exc))
    return RedirectResponse(path_of(opportunity), status_code=303)


async def _answers_page(request: Request, opportunity: Opportunity, user: User, *, status: int = 200,
                        error: str = "") -> Response:
    rows = await answers.thread(opportunity)
    senders: dict[int, Actor] = {a.id: a for a in await Actor.filter(id__in=[r.actor_id for r, _ in rows if r.actor_id])}
    items: list[dict[str, Any]] = []
    for row, replies in rows:
        sender = senders.get(row.actor_id or 0)
        origin = "fediverse" if sender is not None and not sender.local else "member" if sender is not None else "visitor"
        items.append({"answer": row, "replies": replies, "origin": origin,
                      "handle": f"@{sender.handle}" if sender is not None and not sender.local and sender.handle else ""})
    return no_store(await render(request, "opportunities/answers.html", status=status, opportunity=opportunity,
                                 items=items, poster=is_poster(opportunity, user), error=error,
                                 path=path_of(opportunity), **labels()))


async def answers_page(request: Request) -> Response:
    opportunity = await find(request)
    user = await _poster_or_moderator(request, opportunity)
    if request.method == "GET":
        return await _answers_page(request, opportunity, user)
    form = await checked_form(request)
    if not is_poster(opportunity, user):
        raise PageRefusal(403, _l("Not allowed"), _l("Only the poster replies to the answers."))
    parent = await Answer.get_or_none(id=int(text_field(form, "answer") or 0) if text_field(form, "answer").isdigit() else 0,
                                      opportunity=opportunity)
    if parent is None:
        return await _answers_page(request, opportunity, user, status=400, error=str(_l("Choose an answer to reply to.")))
    poster = await Actor.get(id=user.actor_id)
    try:
        await answers.reply(node_of(request), opportunity, parent, poster, str(form.get("message") or ""),
                            reveal=bool(form.get("reveal")))
    except OpportunityError as exc:
        return await _answers_page(request, opportunity, user, status=400, error=str(exc))
    return RedirectResponse(f"{path_of(opportunity)}/answers#answer-{parent.id}", status_code=303)
