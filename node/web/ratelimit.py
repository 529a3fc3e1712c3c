"""STUB: rate limiting middleware (per IP and per remote host)."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from node.settings import Settings


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)
