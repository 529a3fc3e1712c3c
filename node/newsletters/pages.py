"""The newsletters pages (HTML): the editors' pages under /admin/mailings (pages_editor.py, pages_admin.py)
and the sent mailings on the site (pages_public.py)."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from node.newsletters import pages_admin, pages_editor, pages_public


def routes() -> list[BaseRoute]:
    return [
        Route("/admin/mailings", pages_admin.mailing_list, methods=["GET"]),
        Route("/admin/mailings/new", pages_editor.new_mailing, methods=["GET", "POST"]),
        Route("/admin/mailings/{id:int}", pages_admin.mailing_page, methods=["GET"]),
        Route("/admin/mailings/{id:int}/edit", pages_editor.edit_mailing, methods=["GET", "POST"]),
        Route("/admin/mailings/{id:int}/test", pages_admin.test_submit, methods=["POST"]),
        Route("/admin/mailings/{id:int}/send", pages_admin.send_submit, methods=["POST"]),
        Route("/admin/mailings/{id:int}/cancel", pages_admin.cancel_submit, methods=["POST"]),
        Route("/mailings", pages_public.public_list, methods=["GET"]),
        Route("/mailings/{slug}", pages_public.public_mailing, methods=["GET"]),
    ]
