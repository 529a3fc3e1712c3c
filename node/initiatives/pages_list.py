"""The lists of initiatives: the association's and the network's (those of the accounts it follows),
filtered by kind, status and place."""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from node.core import i18n, multilingual
from node.core.models import Actor
from node.initiatives.models import Initiative
from node.initiatives.pages_common import initiative_path, kind_label, kinds, place_line, place_text, status_label, statuses
from node.web import auth
from node.web.pages import node_of, render

PAGE_SIZE = 20
LIST_SCAN = 1000  # the place filter reads places in Python (JSON fields): at most this many rows


def _list_item(initiative: Initiative) -> dict[str, Any]:
    places = [p for p in (place_line(initiative.place_there), place_line(initiative.place_here)) if p]
    organizer = getattr(initiative, "organizer", None)
    return {
        "initiative": initiative,
        "link": initiative_path(initiative) if initiative.local else (initiative.url or initiative.uri),
        "kind": kind_label(initiative.kind), "status": status_label(initiative.status),
        "there": place_line(initiative.place_there), "here": place_line(initiative.place_here),
        "places": places,
        "by": (organizer.name or organizer.handle) if not initiative.local and isinstance(organizer, Actor) else None,
    }


def _shown_copy(initiative: Initiative, wishes: list[str], fallback: str) -> Initiative:
    """A copy carrying the reader's version of the title, summary and language (the row is not touched)."""
    shown = multilingual.show_initiative(initiative, wishes, fallback)
    initiative = copy.copy(initiative)
    initiative.title, initiative.summary, initiative.content = shown.title, shown.summary, shown.content
    initiative.language = shown.language
    return initiative


async def list_page(request: Request, *, local: bool) -> Response:
    node = node_of(request)
    await i18n.activate_request(request, node)
    wishes = [*multilingual.request_wishes(request, await auth.current_user(request)), i18n.current()]
    fallback = node.settings.association.language
    params = request.query_params
    base = "/initiatives" if local else "/initiatives/network"
    kind = params.get("kind", "").strip()[:32]
    status = params.get("status", "").strip()[:16]
    place = params.get("place", "").strip()[:200]
    try:
        page = max(1, min(int(params.get("page", "1")), 10_000))
    except ValueError:
        page = 1
    query = Initiative.filter(local=local, deleted_at=None, draft=False)
    if not local:
        query = query.prefetch_related("organizer")
    if kind:
        query = query.filter(kind=kind)
    if status:
        query = query.filter(status=status)
    query = query.order_by("-published", "-id")
    if place:
        needle = place.casefold()
        rows = [i for i in await query.limit(LIST_SCAN)
                if needle in (place_text(i.place_there) + " " + place_text(i.place_here)).casefold()]
        rows = rows[(page - 1) * PAGE_SIZE:page * PAGE_SIZE + 1]
    else:
        rows = await query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    filters = {k: v for k, v in (("kind", kind), ("status", status), ("place", place)) if v}
    return await render(
        request, "initiatives/list.html", local=local, base=base, kind=kind, status_filter=status, place=place,
        kinds=kinds(), statuses=statuses(), filters=filters, items=[_list_item(_shown_copy(i, wishes, fallback)) for i in rows[:PAGE_SIZE]],
        newer=f"{base}?{urlencode({**filters, 'page': page - 1})}" if page > 1 else None,
        older=f"{base}?{urlencode({**filters, 'page': page + 1})}" if len(rows) > PAGE_SIZE else None,
    )


async def local_list(request: Request) -> Response:
    return await list_page(request, local=True)


async def network_list(request: Request) -> Response:
    return await list_page(request, local=False)
