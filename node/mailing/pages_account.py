"""/account/email: a signed-in member's mail choices for their own address (what, how often, language,
or nothing from the list) and which of their notifications also come by email."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from node.core.models import User
from node.mailing import subscribers
from node.mailing.pages_common import FORM_LIMIT, category_choices, read_choices
from node.mailing.models import FREQUENCIES, KINDS
from node.mailing.subscribers import SubscriberError
from node.social.notify import KINDS as NOTIFY_KINDS
from node.web import auth
from node.web.errors import PageRefusal
from node.web.forms import checked_form, no_store, text_field
from node.web.pages import node_of, render

# Notifications only staff receive are offered to staff only.
STAFF_ONLY = frozenset({"report"})


async def _member(request: Request) -> User:
    user = await auth.current_user(request)
    if user is None or user.disabled:
        raise PageRefusal.login()
    return user


def offered_notifications(user: User) -> list[str]:
    staff = user.role in ("admin", "moderator")
    return [k for k in NOTIFY_KINDS if staff or k not in STAFF_ONLY]


async def account_email(request: Request) -> Response:
    user = await _member(request)
    row = await subscribers.member_row(node_of(request), user)
    error, status = None, 200
    if request.method == "POST":
        form = await checked_form(request, limit=FORM_LIMIT)
        try:
            choices = await read_choices(request, form, notify=True)
            await subscribers.save_member_choices(row, choices, unsubscribe_all=text_field(form, "action") == "unsubscribe")
        except SubscriberError as exc:
            error, status = str(exc), 400
        else:
            return RedirectResponse("/account/email?saved=1", status_code=303)
    return no_store(await render(
        request, "mailing/account_email.html", status=status, sub=row, kinds=KINDS, frequencies=FREQUENCIES,
        categories=await category_choices(request), notify_kinds=offered_notifications(user), error=error,
        saved=request.query_params.get("saved") == "1"))


def routes() -> list[BaseRoute]:
    return [Route("/account/email", account_email, methods=["GET", "POST"])]
