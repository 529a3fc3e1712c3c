"""Every forum page's route, for node/app.py: the category list and topic lists, writing, the thread's
own pages, the moderators' pages and the admin's category pages."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from node.forum import pages, pages_admin, pages_compose, pages_moderation, pages_thread


def routes() -> list[BaseRoute]:
    return [
        *pages.routes(), *pages_compose.routes(), *pages_thread.routes(), *pages_admin.routes(), *pages_moderation.routes(),
        Route("/topics/{slug}", pages_thread.thread_view, methods=["GET"]),  # until node/forum/routes.py serves it
    ]
