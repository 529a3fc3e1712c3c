"""The opportunity's AS2 route: /opportunities/<slug> is its `Note` for ActivityPub clients (a 410
Tombstone once removed, 404 while it waits for approval) and its page for browsers."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from federation import vocab
from node.activitypub.responses import HtmlView, as2, node_of, not_found
from node.activitypub.signed_fetch import wants_as2
from node.opportunities.documents import opportunity_doc
from node.opportunities.models import Opportunity
from node.opportunities.pages import opportunity_page, routes as page_routes


def opportunity_view(html_view: HtmlView) -> HtmlView:
    async def view(request: Request) -> Response:
        if not wants_as2(request):
            response = await html_view(request)
            response.headers["Vary"] = "Accept, Cookie"
            return response
        node = node_of(request)
        found = await Opportunity.get_or_none(uri=f"{node.urls.base}/opportunities/{request.path_params['slug']}",
                                              local=True)
        if found is None or found.status == "pending":
            return not_found()
        if found.status == "removed":
            return as2(vocab.tombstone(found.uri, "Note", found.updated or found.published), status=410)
        return as2(await opportunity_doc(found))

    return view


def routes() -> list[BaseRoute]:
    """The board's fixed paths (pages.py), then /opportunities/{slug}."""
    return [*page_routes(), Route("/opportunities/{slug}", opportunity_view(opportunity_page), methods=["GET"])]
