"""Member sessions: logging in and out, the current member of a request, and CSRF tokens. Checking the
password and the login lockout are node/accounts/passwords.py.

`Sessions` is Starlette's signed-cookie session middleware, except on federation requests (WebFinger,
NodeInfo, the inboxes, the AS2 collections, any GET asking for AS2): servers send no session cookie,
and those requests get an empty session of their own, never read from a cookie nor written back, so
they cost no signature check, no JSON and no Set-Cookie. Pages keep the whole machinery."""

from __future__ import annotations

import hmac
import re
import secrets

from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

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


FEDERATION_PATHS = re.compile(
    r"^/(\.well-known/|nodeinfo/|inbox/?$|actor(/|$)"
    r"|users/[^/]+/(inbox|outbox|followers|following|featured)/?$"
    r"|posts/[^/]+/(activity|replies|likes|shares)/?$)"
)
AS2_ACCEPT = (b"application/activity+json", b"application/ld+json")


def federation_request(scope: Scope) -> bool:
    """A request from a server rather than a person: a federation path, or a GET that asks for AS2."""
    if FEDERATION_PATHS.match(scope.get("path", "")):
        return True
    if scope.get("method") not in ("GET", "HEAD"):
        return False
    for name, value in scope.get("headers", ()):
        if name == b"accept":
            value = value.lower()
            return any(kind in value for kind in AS2_ACCEPT)
    return False


class Sessions(SessionMiddleware):
    """Sessions for pages; an empty, unsaved session for federation requests."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and federation_request(scope):
            scope["session"] = {}
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)
