"""Initiative pages (HTML): the lists, ours and the network's (pages_list), the initiative page with its
story, needs and pledges, ledger, supporters and status history (pages_initiative), the editors' form
(pages_editor), what organizers do and the CSV and JSON exports (pages_organizers), the pledges with
their contacts and messages, for the organizers only (pages_pledges), and what they share (pages_common). The AS2 form of an initiative is served by node/activitypub/routes.py, which calls
`initiative_page` for browsers.

Like the event pages, everything works without JavaScript: every change is a POST form carrying the
session's CSRF token, and a refused change shows the same page again with status 400, the reason and
what was entered. Progress bars are `<progress>` elements with the figures written next to them (the
Content-Security-Policy forbids inline styles, and the text is what screen readers and text browsers
need anyway)."""

from __future__ import annotations

from starlette.routing import Route

from node.initiatives.pages_editor import edit_initiative, new_initiative
from node.initiatives.pages_initiative import (
    initiative_page, pledge_submit, remote_support, support_submit, withdraw_submit,
)
from node.initiatives.pages_list import local_list, network_list
from node.initiatives.pages_organizers import (
    delete_submit, export_json, ledger_csv, ledger_submit, progress_submit, status_submit,
)
from node.initiatives.pages_pledges import pledges_csv, pledges_page

__all__ = ["initiative_page", "routes"]


def routes() -> list[Route]:
    """Fixed paths: mounted before the `/initiatives/{slug}` route (app.py), whose HTML side is
    `initiative_page`."""
    return [
        Route("/initiatives", local_list, methods=["GET"]),
        Route("/initiatives/network", network_list, methods=["GET"]),
        Route("/initiatives/new", new_initiative, methods=["GET", "POST"]),
        Route("/initiatives/{slug}.json", export_json, methods=["GET"]),
        Route("/initiatives/{slug}/edit", edit_initiative, methods=["GET", "POST"]),
        Route("/initiatives/{slug}/delete", delete_submit, methods=["GET", "POST"]),
        Route("/initiatives/{slug}/status", status_submit, methods=["POST"]),
        Route("/initiatives/{slug}/ledger", ledger_submit, methods=["POST"]),
        Route("/initiatives/{slug}/ledger.csv", ledger_csv, methods=["GET"]),
        Route("/initiatives/{slug}/progress", progress_submit, methods=["POST"]),
        Route("/initiatives/{slug}/pledge", pledge_submit, methods=["POST"]),
        Route("/initiatives/{slug}/pledges", pledges_page, methods=["GET", "POST"]),
        Route("/initiatives/{slug}/pledges.csv", pledges_csv, methods=["GET"]),
        Route("/initiatives/{slug}/support", support_submit, methods=["POST"]),
        Route("/initiatives/{slug}/withdraw", withdraw_submit, methods=["POST"]),
        Route("/initiatives/{slug}/remote-support", remote_support, methods=["GET"]),
    ]
