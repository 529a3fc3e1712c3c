"""POST /mail/webhook: bounces and complaints reported by the mail relay."""

from __future__ import annotations

from starlette.routing import BaseRoute


def routes() -> list[BaseRoute]:
    return []
