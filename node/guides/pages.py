"""Guide pages (HTML): reading (pages_read: the index, topics, a topic in full, a guide), writing
(pages_editor: new, edit or propose), the history with diffs, revert, proposals, review and deletion
(pages_history), the network's guides (pages_network), the console and the editors' review list
(pages_admin), and the topic feeds (pages_feeds). A guide's address answers AS2 clients too (routes.py).
Everything works without JavaScript: each change is a POST form carrying the session's CSRF token."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from node.guides import pages_admin, pages_feeds, pages_history, pages_network
from node.guides.pages_editor import edit_guide, new_guide
from node.guides.pages_read import guide_page, index, topic_all, topic_page
from node.guides.routes import guide_view


def routes() -> list[BaseRoute]:
    return [
        Route("/guides", index, methods=["GET"]),
        Route("/guides/new", new_guide, methods=["GET", "POST"]),
        Route("/guides/network", pages_network.network_list, methods=["GET"]),
        Route("/guides/network/{id}", pages_network.network_guide, methods=["GET"]),
        Route("/guides/review", pages_admin.review_list, methods=["GET"]),
        Route("/guides/proposals/{id}", pages_history.decide_submit, methods=["POST"]),
        Route("/guides/topics/{topic}", topic_page, methods=["GET"]),
        Route("/guides/topics/{topic}/all", topic_all, methods=["GET"]),
        Route("/guides/topics/{topic}/feed.rss", pages_feeds.rss, methods=["GET"]),
        Route("/guides/topics/{topic}/feed.atom", pages_feeds.atom, methods=["GET"]),
        Route("/guides/{slug}", guide_view(guide_page), methods=["GET"]),
        Route("/guides/{slug}/edit", edit_guide, methods=["GET", "POST"]),
        Route("/guides/{slug}/history", pages_history.history_page, methods=["GET"]),
        Route("/guides/{slug}/diff", pages_history.diff_page, methods=["GET"]),
        Route("/guides/{slug}/revert", pages_history.revert_submit, methods=["POST"]),
        Route("/guides/{slug}/proposals", pages_history.proposals_page, methods=["GET"]),
        Route("/guides/{slug}/review", pages_history.review_submit, methods=["POST"]),
        Route("/guides/{slug}/delete", pages_history.delete_submit, methods=["GET", "POST"]),
        Route("/admin/guides", pages_admin.admin_page, methods=["GET"]),
        Route("/admin/guides", pages_admin.admin_submit, methods=["POST"]),
    ]
