"""Every forum page's route, for node/app.py: the category list and topic lists, writing, the thread's
own pages, the moderators' pages and the admin's category pages; and node/forum/routes.py, whose
/topics/<slug> answers AS2 clients itself and browsers with the thread page."""

from __future__ import annotations

from starlette.routing import BaseRoute

from node.forum import pages, pages_admin, pages_compose, pages_moderation, pages_thread, routes as as2_routes


def routes() -> list[BaseRoute]:
    return [
        *pages.routes(), *pages_compose.routes(), *pages_thread.routes(), *pages_admin.routes(), *pages_moderation.routes(),
        *as2_routes.routes(pages_thread.thread_view),  # /topics/<slug>: the thread page, or its AS2 context
    ]
