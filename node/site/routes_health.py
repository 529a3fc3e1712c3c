"""`GET /healthz`: the database, the newest worker heartbeat and the queue's oldest due job, as JSON;
200 when the database answers and a worker is alive, 503 otherwise. No login, nothing else leaks.

It is answered ahead of every other middleware (sessions, rate limits, the federation policy, which
reads the database and, in limited federation, asks visitors to log in), so that a probe gets its
JSON with the database gone too."""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from node.core import health
from node.core.db import activate
from node.core.runtime import Node

PATH = "/healthz"


class HealthzMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        node: Node | None = getattr(getattr(scope.get("app"), "state", None), "node", None)
        if scope["type"] != "http" or scope["path"] != PATH or node is None:
            await self.app(scope, receive, send)
            return
        if scope["method"] not in ("GET", "HEAD"):
            await JSONResponse({"error": "method not allowed"}, status_code=405, headers={"Allow": "GET, HEAD"})(
                scope, receive, send)
            return
        with activate(node.ctx):
            state = await health.check(node.settings.worker.stale_after_seconds)
        response = JSONResponse(state.as_json(), status_code=200 if state.ok else 503,
                                headers={"Cache-Control": "no-store"})
        await response(scope, receive, send)
