"""The member's choice about forum emails (a form on the account page). Subscribing to a topic or a
category is the forum pages' (node/forum/pages.py, pages_thread.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from node.forum import subscriptions
from node.web.errors import PageRefusal
from node.web.pages import member_post


async def email_choice(request: Request) -> Response:
    """POST /account/forum-email (email=on|off): whether forum notifications also come by email."""
    actor, form = await member_post(request)
    if form.get("email") not in ("on", "off"):
        raise PageRefusal(400, "Not possible", "Choose whether to receive forum emails.")
    await subscriptions.set_email_choice(actor, form.get("email") == "on")
    return RedirectResponse("/account?saved=forum-email#forum-email", status_code=303)


def routes() -> list[BaseRoute]:
    return [Route("/account/forum-email", email_choice, methods=["POST"])]
