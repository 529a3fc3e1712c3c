"""The language switcher: `GET /language?lang=fr&next=/events` (the plain links at the top of every
page, no JavaScript needed) and `POST /language` (fields lang, next, csrf).

Only the POST, with the form's CSRF token, changes a member's saved preference (`User.locale`): a
link from elsewhere must not be able to change someone's account. A GET keeps the choice in a `lang`
cookie for a year (it concerns that browser only) and goes back, for visitors and for members who saved
no preference (or this one). A member's saved preference outranks the cookie, so for a member who saved
another language a GET changes nothing and shows the switcher: a one-button form that posts the choice.
The POST sets the cookie and, for a signed-in member, the saved preference. Both send the visitor back
to `next` when it is a path of this site, else to the home page."""

from __future__ import annotations

from starlette.datastructures import FormData, QueryParams
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from node.core import i18n
from node.core.runtime import Node
from node.web import auth
from node.web.errors import PageRefusal
from node.web.forms import checked_form, no_store
from node.web.pages import node_of, render


def _chosen(node: Node, fields: FormData | QueryParams) -> str:
    chosen = i18n.supported(node, fields.get("lang"))
    if chosen is None:
        raise PageRefusal(
            400, "Unknown language",
            "This site is not offered in that language. Choose one of the languages listed at the top of the page.",
        )
    return chosen


def _back_with_cookie(node: Node, chosen: str, target: object) -> Response:
    response = RedirectResponse(i18n.local_path(target), status_code=303)
    response.set_cookie(
        i18n.COOKIE, chosen, max_age=i18n.COOKIE_AGE, path="/", httponly=True, samesite="lax",
        secure=node.settings.base_url.startswith("https://"),
    )
    response.headers["Cache-Control"] = "no-store"
    return response


async def language_get(request: Request) -> Response:
    node = node_of(request)
    chosen = _chosen(node, request.query_params)
    user = await auth.current_user(request)
    if user is None or i18n.supported(node, user.locale) in (None, chosen):  # the cookie decides
        return _back_with_cookie(node, chosen, request.query_params.get("next"))
    language = next(entry for entry in i18n.languages(node) if entry.code == chosen)
    return no_store(await render(request, "language.html", chosen=language,
                                 back=i18n.local_path(request.query_params.get("next"))))


async def language_post(request: Request) -> Response:
    form = await checked_form(request)
    node = node_of(request)
    chosen = _chosen(node, form)
    user = await auth.current_user(request)
    if user is not None and user.locale != chosen:
        user.locale = chosen
        await user.save(update_fields=["locale"])
    return _back_with_cookie(node, chosen, form.get("next"))


def routes() -> list[BaseRoute]:
    return [
        Route("/language", language_get, methods=["GET"]),
        Route("/language", language_post, methods=["POST"]),
    ]
