"""Event pages (HTML): the event page with its participation box (pages_event), the calendars, ours and
the network's (pages_calendar), the editors' form and the confirmed actions (pages_editor, pages_input),
what organizers see and do (pages_organizers), and what they share (pages_common). The AS2 form of an
event is served by node/activitypub/routes.py, which calls `event_page` for browsers.

Everything works without JavaScript: the reader's time zone is a GET form remembered in a `tz` cookie,
every change is a POST form carrying the session's CSRF token, and links that arrive by email only
show a button (a link scanner opening them changes nothing)."""

from __future__ import annotations

from starlette.routing import Route

from node.events.pages_calendar import local_calendar, local_past, network_calendar, network_past
from node.events.pages_editor import cancel_event, delete_event, edit_event, new_event
from node.events.pages_event import (
    cancel_registration, confirm_registration, event_page, join_submit, leave_submit, register_submit, remote_join,
)
from node.events.pages_organizers import announce_submit, moderate_comments, participants_csv, participants_page

__all__ = ["event_page", "routes"]


def routes() -> list[Route]:
    """Fixed paths first: these are mounted before the `/events/{slug}` route (app.py)."""
    return [
        Route("/events", local_calendar, methods=["GET"]),
        Route("/events/past", local_past, methods=["GET"]),
        Route("/events/network", network_calendar, methods=["GET"]),
        Route("/events/network/past", network_past, methods=["GET"]),
        Route("/events/new", new_event, methods=["GET", "POST"]),
        Route("/events/confirm/{token}", confirm_registration, methods=["GET", "POST"]),
        Route("/events/cancel/{token}", cancel_registration, methods=["GET", "POST"]),
        Route("/events/{slug}/edit", edit_event, methods=["GET", "POST"]),
        Route("/events/{slug}/cancel", cancel_event, methods=["GET", "POST"]),
        Route("/events/{slug}/delete", delete_event, methods=["GET", "POST"]),
        Route("/events/{slug}/join", join_submit, methods=["POST"]),
        Route("/events/{slug}/leave", leave_submit, methods=["POST"]),
        Route("/events/{slug}/remote-join", remote_join, methods=["GET"]),
        Route("/events/{slug}/register", register_submit, methods=["POST"]),
        Route("/events/{slug}/participants", participants_page, methods=["GET", "POST"]),
        Route("/events/{slug}/participants.csv", participants_csv, methods=["GET"]),
        Route("/events/{slug}/announce", announce_submit, methods=["POST"]),
        Route("/events/{slug}/comments", moderate_comments, methods=["GET", "POST"]),
    ]
