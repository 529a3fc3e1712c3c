"""Signing in and out: `/login` (argon2id, the lock-out after failures) and `/logout`."""

from __future__ import annotations

from datetime import datetime, timezone

from starlette.requests import Request
from starlette.routing import Route
from starlette.responses import RedirectResponse, Response

from node.web.errors import PageRefusal
from node.web.forms import checked_form
from node.core import i18n
from node.accounts import lockout, passwords
from node.web import auth
from node.web.pages import node_of, render


async def login_form(request: Request) -> Response:
    return await render(request, "login.html", error=None)


async def login_submit(request: Request) -> Response:
    form = await checked_form(request)
    node = node_of(request)
    attempt = await passwords.login_attempt(
        str(form.get("login", "")), str(form.get("password", "")), node.settings.limits, state=node.extra,
        address=lockout.client_address(request.client.host if request.client else None),
    )
    user = attempt.user
    if attempt.locked_until is not None:  # the same answer whether or not the account exists
        seconds = max(1, int((attempt.locked_until - datetime.now(timezone.utc)).total_seconds()) + 1)
        minutes = -(-seconds // 60)
        error = i18n.ngettext(
            "Too many failed attempts: logging in is locked. Try again in %(num)d minute.",
            "Too many failed attempts: logging in is locked. Try again in %(num)d minutes.", minutes,
        )
        response = await render(request, "login.html", status=429, error=error, locked=True)
        response.headers["Retry-After"] = str(seconds)
        return response
    if attempt.disabled:
        return await render(request, "login.html", status=403, error=i18n.lazy_gettext("This account was disabled by an administrator."))
    if user is None:
        return await render(request, "login.html", status=400, error=i18n.lazy_gettext("Wrong email or password."))
    auth.log_in(request, user)
    return RedirectResponse("/", status_code=303)


async def logout(request: Request) -> Response:
    try:
        await checked_form(request)
    except PageRefusal:
        pass  # an expired form leaves the member signed in, and goes home all the same
    else:
        auth.log_out(request)
    return RedirectResponse("/", status_code=303)


def routes() -> list[Route]:
    return [
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login_submit, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
    ]
