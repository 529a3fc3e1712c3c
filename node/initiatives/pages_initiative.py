"""The initiative page with its story, needs and pledges, ledger, supporters and status history, and
what visitors do there: pledge against a need, support the initiative (or withdraw), or support it
from their own server."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from node.accounts.roles import PUBLISHING_ROLES
from node.core import i18n, multilingual
from node.core.models import Actor, Post
from node.core.sanitize import plain_text
from node.events.pages_common import place_view
from node.initiatives.inputs import InitiativeError
from node.initiatives.ledger import ledger_totals
from node.initiatives.models import Initiative, LedgerEntry, Need, Pledge, Support
from node.initiatives.pages_common import (
    DIRECTION_LABELS, NATURE_LABELS, NEED_KIND_LABELS, STATUS_ACTIONS, allowed_statuses, decimal_text,
    find_initiative, initiative_path, kind_label, language_of, moment_of, money_text, parse_int, status_label,
)
from node.initiatives.pledges import COUNTED, need_progress, pledge
from node.initiatives.support import support, unsupport
from node.web import auth
from node.web.comments import comment_box, visible_comments
from node.web.forms import checked_form, no_store, text_field
from node.web.pages import member_post, message, node_of, render, send_home

_l = i18n.lazy  # labels translated when shown


async def _need_view(need: Need) -> dict[str, Any]:
    """A need's progress; the template formats the amounts in the reader's language."""
    pledged, goal = await need_progress(need)
    money = need.kind == "money"
    percent = min(100, round(100 * pledged / goal)) if goal else None
    return {
        "need": need, "kind": NEED_KIND_LABELS.get(need.kind, need.kind), "money": money,
        "pledged": pledged, "goal": goal, "bar_value": min(pledged, goal) if goal else None,
        "percent": percent,
        "pledges": await Pledge.filter(need=need, status__in=COUNTED).count(),
    }


async def show_initiative(
    request: Request, initiative: Initiative, *, status: int = 200, errors: dict[str, str] | None = None,
    entered: dict[str, Any] | None = None,
) -> Response:
    """The page. `errors` by box: "pledge-<need id>", "ledger", "progress", "status", "support";
    `entered` keeps what the refused form carried, by the same keys."""
    node = node_of(request)
    organizer = await Actor.get(id=initiative.organizer_id)
    user = await auth.current_user(request)
    # The reader's language (node/multilingual.py): the page shows a copy carrying that version's title,
    # summary, story and language; the row itself is not touched.
    interface = i18n.choose(request, node, user)
    i18n.activate(interface)  # labels and amounts in the reader's language
    wishes = [*multilingual.request_wishes(request, user), interface]
    shown = multilingual.show_initiative(initiative, wishes, node.settings.association.language)
    lang = language_of(request, initiative)
    initiative = copy.copy(initiative)
    initiative.title, initiative.summary, initiative.content = shown.title, shown.summary, shown.content
    organizer_view = bool(user and user.role in PUBLISHING_ROLES)
    supporting = bool(user and await Support.exists(initiative=initiative, actor_id=user.actor_id))
    needs = [await _need_view(n) for n in await Need.filter(initiative=initiative).order_by("position", "id")]
    entries = await LedgerEntry.filter(initiative=initiative).order_by("-occurred_on", "-id")
    totals = [
        {"currency": t.currency, "received": money_text(t.received_minor, t.currency, interface),
         "spent": money_text(t.spent_minor, t.currency, interface),
         "balance": money_text(t.received_minor - t.spent_minor, t.currency, interface)}
        for t in await ledger_totals(initiative)
    ]
    show_supporters = organizer_view or initiative.supporters_public
    supporters = (await Support.filter(initiative=initiative, held=False).prefetch_related("actor").order_by("created_at", "id").limit(500)
                  if show_supporters else [])
    updates = await Post.filter(in_reply_to_uri=initiative.uri, author_id=initiative.organizer_id,
                                deleted_at=None, visibility__in=["public", "unlisted"]).order_by("-published").limit(50)
    responsible: list[tuple[str, Actor | None]] = []
    names = [r for r in initiative.responsible if isinstance(r, str) and r.strip()][:50]
    if names:
        known = {a.uri: a for a in await Actor.filter(uri__in=names)}
        responsible = [(r, known.get(r)) for r in names]
    history = [{"status": status_label(h.get("status")), "at": moment_of(h.get("at"))}
               for h in initiative.status_history if isinstance(h, dict)]
    return no_store(await render(
        request, "initiatives/initiative.html", status=status, initiative=initiative, lang=lang,
        organizer=organizer,
        organizer_handle=organizer.handle if not organizer.local else f"@{organizer.username}@{node.urls.host}",
        organizer_view=organizer_view, supporting=supporting, needs=needs, entries=entries, totals=totals,
        show_supporters=show_supporters, supporters=supporters, updates=updates, responsible=responsible,
        history=history, kind=kind_label(initiative.kind), status_label=status_label(initiative.status),
        transitions=[(s, STATUS_ACTIONS.get(s, status_label(s))) for s in allowed_statuses(initiative)],
        there=place_view(initiative.place_there) if isinstance(initiative.place_there, dict) else None,
        here=place_view(initiative.place_here) if isinstance(initiative.place_here, dict) else None,
        path=initiative_path(initiative), errors=errors or {}, entered=entered or {},
        decimal_text=decimal_text, direction_labels=DIRECTION_LABELS, nature_labels=NATURE_LABELS,
        today=date.today().isoformat(), description=plain_text(initiative.summary or initiative.content or initiative.title),
        shown=shown, content_dir=shown.dir, other_languages=shown.alternatives,
        comments=await visible_comments(initiative.uri, exclude_author=initiative.organizer_id),
        comment_box=await comment_box(request, initiative),
    ))


async def initiative_page(request: Request) -> Response:
    """GET /initiatives/{slug} for browsers (the AS2 route calls this)."""
    initiative = await find_initiative(request)
    return await show_initiative(request, initiative)


async def pledge_submit(request: Request) -> Response:
    """A pledge against one need: members pledge as themselves, visitors give a name (and an email)."""
    node = node_of(request)
    initiative = await find_initiative(request)
    form = await checked_form(request)
    ident = text_field(form, "need")
    need = await Need.get_or_none(id=int(ident), initiative=initiative) if ident.isdigit() else None
    if need is None:
        return await message(request, 400, "No such need", "This need is not part of the initiative (any more).")
    user = await auth.current_user(request)
    entered = {k: text_field(form, k) for k in ("name", "email", "quantity", "amount", "message")}
    key = f"pledge-{need.id}"
    try:
        quantity = parse_int(entered["quantity"], "the quantity")
        if user is not None:
            actor = await Actor.get(id=user.actor_id)
            await pledge(node, need, actor=actor, name=actor.name or user.username, quantity=quantity,
                         amount=entered["amount"] or None, message=entered["message"][:2000])
        else:
            await pledge(node, need, name=entered["name"], email=entered["email"] or None,
                         quantity=quantity, amount=entered["amount"] or None,
                         message=entered["message"][:2000])
    except InitiativeError as exc:
        return await show_initiative(request, initiative, status=400, errors={key: str(exc)}, entered={key: entered})
    return RedirectResponse(f"{initiative_path(initiative)}?pledged={need.id}#need-{need.id}", status_code=303)


async def _support_action(request: Request, act: Any) -> Response:
    """Support or withdraw support, as the logged-in member."""
    initiative = await find_initiative(request)
    actor, _ = await member_post(request)
    try:
        await act(node_of(request), initiative, actor)
    except InitiativeError as exc:
        return await show_initiative(request, initiative, status=400, errors={"support": str(exc)})
    return RedirectResponse(f"{initiative_path(initiative)}#support", status_code=303)


async def support_submit(request: Request) -> Response:
    return await _support_action(request, support)


async def withdraw_submit(request: Request) -> Response:
    return await _support_action(request, unsupport)


async def remote_support(request: Request) -> Response:
    """A visitor gives their Fediverse address; we send them to their own server's interaction page for
    the initiative, where a like (a favourite) counts as support."""
    initiative = await find_initiative(request)
    return await send_home(request, initiative.uri, _l("search for %(uri)s in your app and favourite it.", uri=initiative.uri))
