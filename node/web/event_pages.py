"""Event pages (HTML). The AS2 form of an event is served by node/activitypub/routes.py."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from federation import events as wire
from node.events import event_data
from node.models import Actor, Event, Post
from node.sanitize import plain_text
from node.web.pages import message, node_of, render


async def event_page(request: Request) -> Response:
    node = node_of(request)
    event = await Event.get_or_none(uri=f"{node.urls.base}/events/{request.path_params['slug']}", local=True)
    if event is None:
        return await message(request, 404, "Not found", "There is no such event here.")
    if event.deleted_at is not None:
        return await message(request, 410, "Deleted", "This event was deleted by its organizers.")
    organizer = await Actor.get(id=event.organizer_id)  # type: ignore[attr-defined]
    data = event_data(node, event, organizer)
    comments = await Post.filter(in_reply_to_uri=event.uri, deleted_at=None, held=False,
                                 visibility__in=["public", "unlisted"]).order_by("published").prefetch_related("author")
    return await render(
        request, "events/event.html", event=event, organizer=organizer, comments=comments,
        when=wire.event_summary(data, locale=event.language), description=plain_text(event.content or event.name),
    )


def routes() -> list[Route]:
    return []
