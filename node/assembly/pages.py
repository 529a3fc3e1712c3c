"""The assembly pages (HTML): the members' vote pages (pages_vote.py) and the admin console's
(pages_admin.py)."""

from __future__ import annotations

from starlette.routing import BaseRoute

from node.assembly import pages_admin, pages_vote


def routes() -> list[BaseRoute]:
    return [*pages_vote.routes(), *pages_admin.routes()]
