"""Leaving: a member downloads their own data (`GET /account/export.json`) and deletes their account
(`GET /account/delete`, the confirmation form; `POST /account/delete` with their password)."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from node.accounts import deletion, export, members
from node.accounts.pages import member, member_form
from node.web import auth, pages
from node.web.forms import no_store


async def export_json(request: Request) -> Response:
    user = await member(request)
    data = await export.member_export(pages.node_of(request), user)
    body = json.dumps(data, ensure_ascii=False, indent=2).encode()
    return Response(body, media_type="application/json", headers={
        "Cache-Control": "no-store",
        "Content-Disposition": f'attachment; filename="{user.username}-{pages.node_of(request).urls.host}.json"',
        "X-Content-Type-Options": "nosniff",
    })


async def delete_form(request: Request) -> Response:
    user = await member(request)
    return no_store(await pages.render(request, "account/delete.html", username=user.username))


async def delete_submit(request: Request) -> Response:
    user, form = await member_form(request)
    password = form.get("password")
    try:
        await deletion.delete_account(pages.node_of(request), user, password if isinstance(password, str) else "")
    except members.MemberError as exc:
        return no_store(await pages.render(request, "account/delete.html", status=400, username=user.username,
                                           error=str(exc)))
    auth.log_out(request)
    return no_store(await pages.message(
        request, 200, "Your account was deleted",
        "Your posts and comments are gone, and the other servers that knew your account were told."))


def routes() -> list[BaseRoute]:
    return [
        Route("/account/export.json", export_json, methods=["GET"]),
        Route("/account/delete", delete_form, methods=["GET"]),
        Route("/account/delete", delete_submit, methods=["POST"]),
    ]
