"""Member sessions: logging in and out, the current member of a request, and CSRF tokens. Checking the
password and the login lockout are node/accounts/passwords.py."""

from __future__ import annotations

import hmac
import secrets

from starlette.requests import Request

from node.core.models import User


def log_in(request: Request, user: User) -> None:
    request.session.clear()
    request.session["uid"] = user.id
    request.session["csrf"] = secrets.token_urlsafe(24)


def log_out(request: Request) -> None:
    request.session.clear()


async def current_user(request: Request) -> User | None:
    uid = request.session.get("uid")
    if not isinstance(uid, int):
        return None
    user = await User.get_or_none(id=uid)
    return None if user is None or user.disabled else user  # a disabled member's sessions end too


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return token


def csrf_ok(request: Request, submitted: object) -> bool:
    expected = request.session.get("csrf")
    return isinstance(expected, str) and isinstance(submitted, str) and hmac.compare_digest(expected, submitted)
