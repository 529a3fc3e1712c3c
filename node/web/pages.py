"""Server-rendered pages: profile, post with replies, login, compose, remote follow."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from federation import vocab, webfinger
from federation.client import FetchError
from node.actors import fetch_actor, follower_count, local_actor
from node.content import ContentError, Draft, create_post
from node.activitypub.handlers import approve_follow
from node.models import Actor, Follow, Post, User
from node.runtime import Node
from node.sanitize import plain_text
from node.social import follow
from node import i18n
from node.web import auth

log = logging.getLogger("agora.web")

TEMPLATES_DIR = Path(__file__).resolve().parent.parent.parent / "templates"
STATIC_DIR = TEMPLATES_DIR / "static"
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
i18n.install(templates.env)
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
    node = node_of(request)
    user = await auth.current_user(request)
    context.update(
        request=request,
        user=user,
        can_publish=bool(user and user.role in auth.PUBLISHING_ROLES),
        association=node.settings.association,
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


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return HTMLResponse("<h1>Something went wrong</h1><p>The error was logged.</p>", status_code=500)


async def association_actor(node: Node) -> Actor | None:
    return await local_actor(node.settings.association.handle)


async def home(request: Request) -> Response:
    return await profile_page(request, node_of(request).settings.association.handle)


async def profile(request: Request) -> Response:
    return await profile_page(request, request.path_params["username"])


async def profile_page(request: Request, username: str) -> Response:
    node = node_of(request)
    actor = await local_actor(username)
    if actor is None or actor.kind == "Application":
        return await message(request, 404, "Not found", "There is no such account here.")
    posts = await Post.filter(author=actor, local=True, deleted_at=None, visibility="public").order_by("-published").limit(20)
    return await render(
        request, "profile.html", actor=actor, posts=posts, followers=await follower_count(actor),
        handle=f"@{actor.username}@{node.urls.host}", description=plain_text(actor.summary),
    )


async def post_page(request: Request) -> Response:
    node = node_of(request)
    post = await Post.get_or_none(uri=node.urls.post(request.path_params["slug"]), local=True)
    if post is None or post.visibility not in ("public", "unlisted"):
        return await message(request, 404, "Not found", "There is no such post here.")
    if post.deleted_at is not None:
        return await message(request, 410, "Deleted", "This post was deleted by its author.")
    author = await Actor.get(id=post.author_id)  # type: ignore[attr-defined]
    replies = await Post.filter(in_reply_to=post, deleted_at=None, visibility__in=["public", "unlisted"]).order_by("published").prefetch_related("author")
    return await render(
        request, "post.html", post=post, author=author, replies=replies,
        description=plain_text(post.content), handle=f"@{author.username}@{node.urls.host}",
    )


async def tag_page(request: Request) -> Response:
    """Recent public posts of this node carrying a hashtag."""
    tag = request.path_params["tag"].lower()
    name = f"#{tag}"
    recent = await Post.filter(local=True, deleted_at=None, visibility="public").order_by("-published").limit(500)
    posts = [p for p in recent if any(t.get("type") == "Hashtag" and t.get("name") == name for t in p.tags)][:50]
    return await render(request, "tag.html", tag=tag, posts=posts)


async def send_home(request: Request, uri: str, hint: str) -> Response:
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
        return await message(request, 400, "Address not found", f"Could not look up {handle}: {exc}")
    if not template or "{uri}" not in template:
        return await message(request, 400, "No interaction page", f"{handle}'s server does not offer one; {hint}")
    return RedirectResponse(template.replace("{uri}", quote(uri, safe="")), status_code=303)


async def remote_follow(request: Request) -> Response:
    """Follow an account of this node from the visitor's own server."""
    node = node_of(request)
    actor = await local_actor(request.query_params.get("target") or node.settings.association.handle)
    if actor is None:
        return await message(request, 404, "Not found", "There is no such account here.")
    return await send_home(request, actor.uri, f"search for {actor.uri} in your app to follow it.")


async def login_form(request: Request) -> Response:
    return await render(request, "login.html", error=None)


async def checked_form(request: Request) -> FormData | Response:
    """The submitted form when its CSRF token is valid, else the page that refuses it."""
    form = await request.form()
    if not auth.csrf_ok(request, form.get("csrf")):
        return await message(request, 403, "Form expired", "Please reload the page and try again.")
    return form


async def login_submit(request: Request) -> Response:
    form = await checked_form(request)
    if isinstance(form, Response):
        return form
    user = await auth.authenticate(str(form.get("login", "")), str(form.get("password", "")))
    if user is None:
        return await render(request, "login.html", status=400, error="Wrong email or password.")
    auth.log_in(request, user)
    return RedirectResponse("/", status_code=303)


async def logout(request: Request) -> Response:
    form = await request.form()
    if auth.csrf_ok(request, form.get("csrf")):
        auth.log_out(request)
    return RedirectResponse("/", status_code=303)


async def member_post(request: Request) -> tuple[Actor, FormData] | Response:
    """A logged-in member's form POST with a valid CSRF token: their actor and the form, or the
    response that refuses it (login page, expired form)."""
    user = await auth.current_user(request)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    form = await checked_form(request)
    if isinstance(form, Response):
        return form
    return await Actor.get(id=user.actor_id), form  # type: ignore[attr-defined]


async def editor(request: Request) -> User | Response:
    user = await auth.current_user(request)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    if user.role not in auth.PUBLISHING_ROLES:
        return await message(request, 403, "Not allowed", "Only editors and admins publish for the association.")
    return user


async def compose_form(request: Request) -> Response:
    user = await editor(request)
    if isinstance(user, Response):
        return user
    return await render(request, "compose.html", error=None, draft=Draft(text="x"), text="")


async def compose_submit(request: Request) -> Response:
    user = await editor(request)
    if isinstance(user, Response):
        return user
    node = node_of(request)
    form = await checked_form(request)
    if isinstance(form, Response):
        return form
    draft = Draft(
        text=str(form.get("text", "")),
        summary=str(form.get("summary", "")),
        language=str(form.get("language") or node.settings.association.language),
        visibility=str(form.get("visibility", "public")),
    )
    actor = await association_actor(node)
    if actor is None:
        return await message(request, 500, "No association", "The association account is missing; run agora init.")
    try:
        post = await create_post(node, actor, draft)
    except ContentError as exc:
        return await render(request, "compose.html", status=400, error=str(exc), draft=draft, text=draft.text)
    return RedirectResponse(post.uri, status_code=303)


async def admin_followers(request: Request) -> Response:
    """Followers of the association, and follow requests waiting for approval (admins)."""
    user = await auth.current_user(request)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    if user.role != "admin":
        return await message(request, 403, "Not allowed", "Only admins manage followers.")
    node = node_of(request)
    group = await association_actor(node)
    if request.method == "POST":
        form = await checked_form(request)
        if isinstance(form, Response):
            return form
        follow_id = str(form.get("follow", ""))
        row = await Follow.get_or_none(id=int(follow_id), target=group, state="pending") if follow_id.isdigit() else None
        if row is None:
            return await message(request, 400, "No such request", "This follow request was already handled.")
        await approve_follow(node, row, form.get("decision") == "accept")
        return RedirectResponse("/admin/followers", status_code=303)
    rows = await Follow.filter(target=group).prefetch_related("follower").order_by("state", "-id")
    return await render(request, "admin_followers.html", rows=rows)


async def authorize_interaction(request: Request) -> Response:
    """Our subscribe template: an admin or editor makes the association follow a remote account."""
    user = await editor(request)
    if isinstance(user, Response):
        return user
    node = node_of(request)
    uri = request.query_params.get("uri", "").strip()
    try:
        parts = webfinger.split_handle(uri)
        if parts:
            uri = await webfinger.resolve_handle(node.client, uri, scheme=node.webfinger_scheme(parts[1]))
        if not vocab.is_http_url(uri):
            return await message(request, 400, "Not an account", "Give an account address or URL.")
        target = await fetch_actor(node, uri)
    except FetchError as exc:
        return await message(request, 400, "Account not found", str(exc))
    if request.method == "POST":
        form = await checked_form(request)
        if isinstance(form, Response):
            return form
        actor = await association_actor(node)
        if actor is None or target.local:
            return await message(request, 400, "Not possible", "This account cannot be followed from here.")
        await follow(node, actor, target)
        return await message(request, 200, "Follow request sent", f"The association now follows {target.handle} (once accepted).")
    return await render(request, "authorize.html", target=target)


def routes() -> list[Route]:
    return [
        Route("/", home),
        Route("/@{username}", profile),
        Route("/tags/{tag}", tag_page),
        Route("/remote-follow", remote_follow),
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login_submit, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/compose", compose_form, methods=["GET"]),
        Route("/compose", compose_submit, methods=["POST"]),
        Route("/authorize_interaction", authorize_interaction, methods=["GET", "POST"]),
        Route("/admin/followers", admin_followers, methods=["GET", "POST"]),
    ]
