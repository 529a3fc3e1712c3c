"""Server-rendered pages: profile, post with replies, login, compose, remote follow."""

from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from markupsafe import Markup
from starlette.templating import Jinja2Templates

from federation import webfinger
from federation.client import FetchError
from node.accounts.actors import local_actor
from node.accounts.roles import PUBLISHING_ROLES
from node.core import multilingual
from node.posts.content import (
    MAX_ATTACHMENTS,
)
from node.web.errors import PageRefusal
from node.web.forms import checked_form
from node.core.models import Actor, User
from node.core.db import activate
from node.core.runtime import Node
from node.core import i18n, i18n_jinja
from node.social import notify
from node.web import auth, meta, pictures, static

log = logging.getLogger("agora.web")

TEMPLATES_DIR = Path(__file__).resolve().parent.parent.parent / "templates"
STATIC_DIR = TEMPLATES_DIR / "static"
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
# Templates are read once: checking each file's modification time on every include cost a page of
# the forum about 4 % of its time. AGORA_TEMPLATES_RELOAD=1 (development) reads edited ones again.
templates.env.auto_reload = os.environ.get("AGORA_TEMPLATES_RELOAD", "") == "1"
i18n_jinja.install(templates.env)


def bdi(value: Any) -> Markup:
    """`value|bdi`: a value (a place, a zone, a name) isolated from the text around it in right-to-left
    pages; escaped."""
    return Markup("<bdi>%s</bdi>") % value


templates.env.filters["bdi"] = bdi
meta.install(templates.env)
static.install(templates.env)  # static_url(): hashed addresses of the static files
pictures.install(templates.env)  # the srcset filter of banners and covers
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' https: data:; style-src 'self'; "
    "script-src 'none'; frame-ancestors 'none'; form-action 'self' https: http:; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def node_of(request: Request) -> Node:
    node: Node = request.app.state.node
    return node


async def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page of templates/ with what every page shows: the member, the association's current name
    (the admin console can rename it; read from its actor, one indexed query), unread notifications."""
    node = node_of(request)
    user = await auth.current_user(request)
    site_actor = await association_actor(node)
    association = node.settings.association
    if site_actor is not None and site_actor.name and site_actor.name != association.name:
        association = dataclasses.replace(association, name=site_actor.name)
    context.update(
        request=request,
        user=user,
        can_publish=bool(user and user.role in PUBLISHING_ROLES),
        association=association,
        site_actor=site_actor,
        site_name=association.name,
        site_handle=f"@{site_actor.username}@{node.urls.host}" if site_actor is not None else "",
        unread_notifications=await notify.unread_count(node, user) if user is not None else 0,
        csrf=auth.csrf_token(request),
        host=node.urls.host,
    )
    context.update(i18n.template_context(request, node, user))
    response = templates.TemplateResponse(request, name, context, status_code=status)
    response.headers.update(SECURITY_HEADERS)
    response.headers["Vary"] = "Accept, Cookie"
    return response


async def message(request: Request, status: int, title: str, text: str) -> HTMLResponse:
    return await render(request, "message.html", status=status, title=title, text=text)


async def refused(request: Request, exc: Exception) -> Response:
    """The one handler of raised page refusals: the translated message page, or the redirect."""
    assert isinstance(exc, PageRefusal)
    if exc.location is not None:
        return RedirectResponse(exc.location, status_code=303, headers=exc.headers)
    response = await message(request, exc.status, exc.title, exc.text)
    response.headers.update(exc.headers)
    return response


# The error pages' messages (extracted through `lazy`, translated by the template).
NOT_FOUND = (i18n.lazy("Page not found"), i18n.lazy("There is no page at this address. It may have moved or been removed."))
SERVER_ERROR = (i18n.lazy("Something went wrong"), i18n.lazy("The error was logged. Please try again in a moment."))


def wants_html(request: Request) -> bool:
    """A browser (or a client that takes anything) gets a page; an AS2 or JSON client does not."""
    accept = request.headers.get("accept", "").lower()
    return "text/html" in accept or "json" not in accept


async def not_found(request: Request, exc: Exception) -> Response:
    """Unknown paths (the router's 404) and raised 404s: the site's own page, or a short text to a
    machine asking for AS2 or JSON."""
    if not wants_html(request):
        return PlainTextResponse("Not Found\n", status_code=404)
    try:
        return await message(request, 404, *NOT_FOUND)
    except Exception:  # the database may be down: the page without queries, never another error
        log.exception("the 404 page failed on %s", request.url.path)
        return static_error(request, 404, *NOT_FOUND)


async def server_error(request: Request, exc: Exception) -> Response:
    """Unexpected errors: the site's page when the database answers, else a static styled page made
    without any query. It never raises."""
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    if not wants_html(request):
        return PlainTextResponse("Internal Server Error\n", status_code=500)
    # This handler runs outside every middleware: no database context and no session (the page is
    # shown as to a visitor; a member's session is left as it was).
    visitor = Request({**request.scope, "session": {}}, request.receive)
    try:
        with activate(node_of(request).ctx):
            return await message(visitor, 500, *SERVER_ERROR)
    except Exception:
        log.exception("the error page itself failed on %s", request.url.path)
        return static_error(request, 500, *SERVER_ERROR)


def static_error(request: Request, status: int, title: str, text: str) -> HTMLResponse:
    """The error page from settings only (no database, no session), in the reader's language."""
    try:
        node = node_of(request)
        context: dict[str, Any] = {"association": node.settings.association, "title": title, "text": text}
        context.update(i18n.template_context(request, node, None))
        body = templates.get_template("error_static.html").render(context)
    except Exception:
        log.exception("the static error page failed")
        body = FALLBACK_PAGE
    return HTMLResponse(body, status_code=status, headers={**SECURITY_HEADERS, "Cache-Control": "no-store"})


FALLBACK_PAGE = ('<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
                 'content="width=device-width, initial-scale=1"><title>Something went wrong</title>'
                 '<link rel="stylesheet" href="/static/agora.css"></head><body><main id="main">'
                 '<h1>Something went wrong</h1><p>The error was logged. Please try again in a moment.</p>'
                 '<p><a href="/">Back to the home page</a></p></main></body></html>')


async def association_actor(node: Node) -> Actor | None:
    return await local_actor(node.settings.association.handle)


async def send_home(request: Request, uri: str, hint: Any) -> Response:
    """The visitor gave their Fediverse address (`handle`): send them to their own server's interaction
    page (its WebFinger subscribe template) for `uri`, where they follow, join or like it."""
    node = node_of(request)
    handle = request.query_params.get("handle", "").strip()
    parts = webfinger.split_handle(handle)
    if parts is None:
        return await message(request, 400, "Not a Fediverse address", "Enter your address like @name@example.social.")
    try:
        template = await webfinger.subscribe_template(node.client, handle, scheme=node.webfinger_scheme(parts[1]))
    except FetchError as exc:
        return await message(request, 400, "Address not found", i18n.lazy_gettext("Could not look up %(handle)s: %(error)s", handle=handle, error=str(exc)))
    if not template or "{uri}" not in template:
        return await message(request, 400, "No interaction page", i18n.lazy_gettext("%(handle)s's server does not offer one; %(hint)s",
                                                                                     handle=handle, hint=hint))
    return RedirectResponse(template.replace("{uri}", quote(uri, safe="")), status_code=303)


async def member_post(request: Request) -> tuple[Actor, FormData]:
    """A logged-in member's form POST with a valid CSRF token: their actor and the form; raises the
    refusal otherwise (login page, expired form)."""
    user = await auth.current_user(request)
    if user is None:
        raise PageRefusal.login()
    form = await checked_form(request)
    return await Actor.get(id=user.actor_id), form


async def editor(request: Request) -> User:
    """The signed-in editor or admin; raises the refusal for anyone else."""
    user = await auth.current_user(request)
    if user is None:
        raise PageRefusal.login()
    if user.role not in PUBLISHING_ROLES:
        raise PageRefusal(403, "Not allowed", "Only editors and admins publish for the association.")
    return user


# ------------------------------------------------------------------ writing posts: compose, edit, drafts

multilingual.install(templates.env)

# Offered in the language fields (any BCP 47 tag can be typed): the interface languages and the
# languages the association's members often read first.
LANGUAGE_CHOICES = ("en", "fr", "ar", "es", "pt", "fa", "ti", "am", "so", "uk", "de", "it", "tr", "ru", "sw",
                    "wo", "ln", "ha", "ur", "bn", "zh")


def language_choices(node: Node) -> list[tuple[str, str]]:
    codes = dict.fromkeys([node.settings.association.language, *node.settings.ui.languages, *LANGUAGE_CHOICES])
    return [(code, multilingual.language_name(code)) for code in codes]


def writing_context(node: Node) -> dict[str, Any]:
    """What the forms that write content (posts, events, initiatives) share: language fields and blocks."""
    return {"language_choices": language_choices(node), "max_translations": multilingual.MAX_TRANSLATIONS}


async def upload_form(request: Request) -> FormData:
    """A form with images: read under its size limit, then its CSRF token checked (raises refusals)."""
    return await checked_form(request, files=MAX_ATTACHMENTS)


