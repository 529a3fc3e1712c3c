"""iCalendar routes: one event, the association's feed, a member's private feed.

Mount these before `/events/{slug}` (Starlette matches in order, and `{slug}` would take `abc.ics`)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from node.events import ical
from node.core.models import Actor, User
from node.events.models import Event
from node.web.pages import node_of


def _calendar(body: bytes, filename: str, *, private: bool = False, attachment: bool = True) -> Response:
    disposition = "attachment" if attachment else "inline"
    headers = {
        "Content-Disposition": f'{disposition}; filename="{filename}"',
        "Cache-Control": f"{'private' if private else 'public'}, max-age=300",
        "X-Content-Type-Options": "nosniff",
    }
    if private:
        headers["X-Robots-Tag"] = "noindex, nofollow"
        headers["Referrer-Policy"] = "no-referrer"
    return Response(body, media_type=ical.CONTENT_TYPE, headers=headers)


def _missing(status: int = 404, text: str = "Not found") -> Response:
    return PlainTextResponse(text, status_code=status)


async def event_ics(request: Request) -> Response:
    node = node_of(request)
    slug = request.path_params["slug"]
    event = await Event.get_or_none(uri=f"{node.urls.base}/events/{slug}", local=True)
    if event is None or event.draft:  # a draft is not published anywhere
        return _missing()
    if event.deleted_at is not None:
        return _missing(410, "This event was deleted by its organizers.")
    organizer = await Actor.get(id=event.organizer_id)
    return _calendar(ical.event_calendar(node, event, organizer), f"{slug}.ics")


async def feed_ics(request: Request) -> Response:
    node = node_of(request)
    return _calendar(await ical.feed_calendar(node), "events.ics", attachment=False)


async def member_ics(request: Request) -> Response:
    node = node_of(request)
    user_id = ical.member_id_from_token(node, request.path_params["token"])
    user = await User.get_or_none(id=user_id) if user_id is not None else None
    if user is None:
        return _missing()
    return _calendar(await ical.member_calendar(node, user), "my-events.ics", private=True, attachment=False)


def routes() -> list[Route]:
    return [
        Route("/events.ics", feed_ics, methods=["GET"]),
        Route("/events/{slug}.ics", event_ics, methods=["GET"]),
        Route("/members/{token}/events.ics", member_ics, methods=["GET"]),
    ]
