"""Federation-policy middleware: authorized fetch (secure mode) and limited federation.

Authorized fetch: every GET of ActivityPub content (an AS2 Accept header, or a collection that only
exists as AS2) must carry a valid HTTP signature (draft-cavage or RFC 9421) by an actor the policy
allows: 401 when unsigned or unverifiable, 403 when the signer is blocked. As in Mastodon, the instance
actor (/actor) stays fetchable unsigned, and an unsigned GET of an actor gets a minimal document with
its public key (the route serves it), so that a signer's key can always be fetched to verify it.
WebFinger, NodeInfo and HTML pages are not affected. A signed GET from a blocked domain is refused
even with secure mode off.

Limited federation: the site's pages are shown only to logged-in members; visitors get the login page
(401), feeds a plain 401. Login, password reset, invitations, static files and media, discovery and
the ActivityPub endpoints stay reachable."""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from node.policy import policy
from node.policy.snapshot import Snapshot, snapshot
from node.activitypub.signed_fetch import authenticate, wants_as2
from node.activitypub.inbox import signer_key_id
from node.core.models import User
from node.core.runtime import Node
from node.core.settings import Settings
from node.web import pages

AS2_ONLY = re.compile(
    r"^/(users/[^/]+/(outbox|followers|following|featured)|posts/[^/]+/(activity|replies|likes|shares))/?$"
)
ACTOR_DOCUMENT = re.compile(r"^/users/[^/]+/?$")
INBOX = re.compile(r"^/(inbox|actor/inbox|users/[^/]+/inbox)/?$")
NOT_AS2_PREFIXES = ("/.well-known/", "/nodeinfo/", "/static/", "/media/")
OPEN_PATHS = frozenset({"/login", "/logout", "/about", "/language", "/media", "/actor", "/favicon.ico", "/robots.txt"})
OPEN_PREFIXES = (
    "/password/", "/invite/", "/static/", "/media/", "/.well-known/", "/nodeinfo/",
    "/members/",  # a member's private calendar feed, by its secret token
    "/events/confirm/", "/events/cancel/",  # the links a registration email carries, by their token
)
FEED_SUFFIXES = (".rss", ".atom", ".ics", ".json", ".csv", ".xml")
SIGNATURE_CHALLENGE = 'Signature realm="agora",headers="(request-target) host date"'


def is_as2_get(method: str, path: str, request: Request) -> bool:
    if method not in ("GET", "HEAD") or path == "/actor" or path.startswith(NOT_AS2_PREFIXES):
        return False
    return wants_as2(request) or AS2_ONLY.match(path) is not None


def reachable_when_limited(method: str, path: str) -> bool:
    if path in OPEN_PATHS or path.startswith(OPEN_PREFIXES):
        return True
    return method == "POST" and INBOX.match(path) is not None


class FetchRefused(Exception):
    """A fetch the policy refuses, with the plain-text answer it gets (status, body and headers); raised
    by `gate_fetch`, answered once by `PolicyMiddleware`."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"{status} {reason}")
        self.status = status
        self.body = reason + "\n"
        self.headers = {"Vary": "Accept, Signature"}
        if status == 401:
            self.headers["WWW-Authenticate"] = SIGNATURE_CHALLENGE

    def response(self) -> Response:
        return PlainTextResponse(self.body, status_code=self.status, headers=self.headers)


async def gate_fetch(node: Node, current: Snapshot, request: Request, path: str) -> None:
    """Returns when the fetch may go on; raises FetchRefused otherwise."""
    key_id = signer_key_id(request)
    if key_id is not None:
        reason = await policy.block_reason(node, key_id)
        if reason is not None:
            raise FetchRefused(403, f"refused by this node's federation policy: {reason}")
    if not current.secure:
        return
    auth = await authenticate(node, request)
    if auth.state == "unsigned":
        if ACTOR_DOCUMENT.match(path):
            return  # the route answers with the minimal actor (id, inbox, public key)
        raise FetchRefused(401, "this node requires signed fetches (authorized fetch)")
    if auth.state == "invalid":
        raise FetchRefused(401, auth.reason)
    if auth.state == "blocked":
        raise FetchRefused(403, f"refused by this node's federation policy: {auth.reason}")


async def is_member(scope: Scope) -> bool:
    session = scope.get("session")
    uid = session.get("uid") if isinstance(session, dict) else None
    if not isinstance(uid, int) or isinstance(uid, bool):
        return False
    return await User.filter(id=uid, disabled=False).exists()


async def login_required(request: Request, path: str) -> Response:
    if path.endswith(FEED_SUFFIXES):
        return PlainTextResponse("this node's pages are for its members: log in first\n", status_code=401)
    response = await pages.render(request, "login.html", status=401, error=None)
    response.headers["Cache-Control"] = "no-store"
    return response


class PolicyMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings, holder: dict[str, Any]) -> None:
        self.app = app
        self.settings = settings
        self.holder = holder  # {"ctx": TortoiseContext}: the node's database context

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = getattr(scope.get("app"), "state", None)
        node: Node | None = getattr(state, "node", None)
        if scope["type"] != "http" or node is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        method, path = scope["method"], scope["path"]
        current = await snapshot(node)
        if is_as2_get(method, path, request):
            try:
                await gate_fetch(node, current, request, path)
            except FetchRefused as refused:
                await refused.response()(scope, receive, send)
                return
        elif current.limited_federation and not reachable_when_limited(method, path) and not await is_member(scope):
            response = await login_required(request, path)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
