"""The language switcher: `GET /language?lang=fr&next=/events` (a plain link, works without JavaScript
and without a session) and `POST /language` (fields lang, next, csrf). Both keep the choice in a `lang`
cookie for a year and, for a logged-in member, in `User.locale`; then they send the visitor back to
`next` when it is a path of this site, else to the home page."""

from __future__ import annotations

from starlette.datastructures import FormData, QueryParams
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from node.core import i18n
from node.web import auth
from node.web.forms import checked_form
from node.web.pages import message, node_of


async def switch(request: Request, fields: FormData | QueryParams) -> Response:
    node = node_of(request)
    wanted = fields.get("lang")
    chosen = i18n.supported(node, wanted)
    if chosen is None:
        return await message(
            request, 400, "Unknown language",
            "This site is not offered in that language. Choose one of the languages listed at the top of the page.",
        )
    user = await auth.current_user(request)
    if user is not None and user.locale != chosen:
        user.locale = chosen
        await user.save(update_fields=["locale"])
    response = RedirectResponse(i18n.local_path(fields.get("next")), status_code=303)
    response.set_cookie(
        i18n.COOKIE, chosen, max_age=i18n.COOKIE_AGE, path="/", httponly=True, samesite="lax",
        secure=node.settings.base_url.startswith("https://"),
    )
    response.headers["Cache-Control"] = "no-store"
    return response


async def language_get(request: Request) -> Response:
    return await switch(request, request.query_params)


async def language_post(request: Request) -> Response:
    form = await checked_form(request)
    return await switch(request, form)


def routes() -> list[BaseRoute]:
    return [
        Route("/language", language_get, methods=["GET"]),
        Route("/language", language_post, methods=["POST"]),
    ]
