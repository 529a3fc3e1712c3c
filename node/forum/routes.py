"""The forum's AS2 routes: a topic's address is its thread page for browsers and its context
collection (FEP-7888/f228) for ActivityPub clients; a category's moderators, outbox and featured
collections, which its Group actor document names. The documents are built in node/forum/wire.py."""

from __future__ import annotations

import hashlib
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from node.activitypub.responses import (
    AS2_HEADERS, AS2_TYPE, HtmlView, as2, encode, etag_matches, node_of, not_found, page_number,
)
from node.activitypub.signed_fetch import wants_as2
from node.forum import wire


def topic_view(thread_html: HtmlView) -> HtmlView:
    """GET /topics/{slug}: the HTML thread (`thread_html`), or its context collection."""

    async def view(request: Request) -> Response:
        if not wants_as2(request):
            response = await thread_html(request)
            vary = response.headers.get("vary", "")
            if "accept" not in [v.strip().lower() for v in vary.split(",")]:
                response.headers["Vary"] = f"{vary}, Accept" if vary else "Accept"
            return response
        found = await wire.public_topic(request.path_params["slug"])
        if found is None:
            return not_found("no such topic")
        topic, group = found
        return conditional(request, await wire.context_collection(node_of(request), topic, group, page_number(request)))

    return view


def conditional(request: Request, doc: Any) -> Response:
    """An AS2 document with a weak ETag of its bytes, or 304 when the client has them (NodeBB and
    other readers of context collections poll them)."""
    body = encode(doc)
    headers = {**AS2_HEADERS, "ETag": f'W/"{hashlib.sha256(body).hexdigest()[:32]}"'}
    if etag_matches(request.headers.get("if-none-match"), headers["ETag"]):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=AS2_TYPE, headers=headers)


async def moderators_view(request: Request) -> Response:
    found = await wire.public_category(request.path_params["slug"])
    if found is None:
        return not_found("no such category")
    return as2(await wire.moderators(node_of(request), found[0]))


async def outbox_view(request: Request) -> Response:
    found = await wire.public_category(request.path_params["slug"])
    if found is None:
        return not_found("no such category")
    return as2(await wire.outbox(node_of(request), *found))


async def featured_view(request: Request) -> Response:
    found = await wire.public_category(request.path_params["slug"])
    if found is None:
        return not_found("no such category")
    return as2(await wire.featured(node_of(request), found[0]))


def routes(thread_html: HtmlView) -> list[Route]:
    """Wired in node/app.py, `thread_html` being the forum's HTML thread view."""
    return [
        Route("/topics/{slug}", topic_view(thread_html), methods=["GET"]),
        Route("/forum/{slug}/moderators", moderators_view, methods=["GET"]),
        Route("/forum/{slug}/outbox", outbox_view, methods=["GET"]),
        Route("/forum/{slug}/featured", featured_view, methods=["GET"]),
    ]
