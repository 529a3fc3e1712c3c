"""STUB: federation-policy middleware (authorized fetch, limited federation), owned by the policy work."""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from node.settings import Settings


class PolicyMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings, holder: dict[str, Any]) -> None:
        self.app = app
        self.settings = settings
        self.holder = holder  # {"ctx": TortoiseContext}: the node's database context

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)
