"""A guide's address: its Article for ActivityPub clients (a Tombstone, 410, once deleted), its page
for browsers (content negotiation on Accept, as for events and initiatives)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from federation import vocab
from node.activitypub.responses import HtmlView, as2, not_found
from node.activitypub.signed_fetch import wants_as2
from node.core.models import Actor
from node.guides.guides import local_guide
from node.guides.wire import guide_document


def guide_view(html_view: HtmlView) -> HtmlView:
    async def view(request: Request) -> Response:
        if not wants_as2(request):
            return await html_view(request)
        guide = await local_guide(str(request.path_params.get("slug", "")))
        if guide is None:
            return not_found("no such guide")
        if guide.deleted_at is not None:
            return as2(vocab.tombstone(guide.uri, "Article", guide.deleted_at), status=410)
        return as2(guide_document(guide, await Actor.get(id=guide.organizer_id)))

    return view
