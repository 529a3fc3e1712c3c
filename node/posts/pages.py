"""The association's posts on the web: the post page, writing (compose, edit, drafts) and following a
remote account from `/authorize_interaction`."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from federation import vocab, webfinger
from federation.client import FetchError
from node.accounts.actors import fetch_actor
from node.accounts.roles import PUBLISHING_ROLES
from node.events import events as event_service
from node.initiatives import initiatives as initiative_service
from node.core import multilingual
from node.posts.content import (
    MAX_ATTACHMENTS, ContentError, Draft, create_post, delete_post, publish_post, update_post,
)
from node.events.inputs import EventError
from node.initiatives.inputs import InitiativeError
from node.events.models import Event
from node.forum.pages_thread import thread_location
from node.initiatives.models import Initiative
from node.polls import inputs as poll_inputs
from node.polls.inputs import PollError, PollInput
from node.polls import polls
from node.polls.polls import create_poll_post
from node.web import compose
from node.web.editor import Editor, association_author, form_page
from node.web.errors import PageRefusal
from node.web.forms import checked_form, no_store, rows_from_translations
from node.core.models import Actor, Media, Post
from node.core.runtime import Node
from node.core.sanitize import plain_text
from node.social.social import follow
from node.core import i18n
from node.web import auth, meta
from node.web.comments import comment_box
from node.web.pages import association_actor, editor, message, node_of, render, upload_form


async def post_page(request: Request) -> Response:
    """A post of this node in the reader's language (see node/multilingual.py), with its images and
    replies. A draft is shown to editors and admins only."""
    node = node_of(request)
    post = await Post.get_or_none(uri=node.urls.post(request.path_params["slug"]), local=True)
    location = await thread_location(post) if post is not None and not post.draft else None
    if location is not None:  # a forum post is shown in its thread (which checks who may read it)
        return RedirectResponse(location, status_code=303)
    user = await auth.current_user(request)
    editor_view = bool(user and user.role in PUBLISHING_ROLES and not user.disabled)
    if post is None or (post.draft and not editor_view) or (not post.draft and post.visibility not in ("public", "unlisted")):
        return await message(request, 404, "Not found", "There is no such post here.")
    if post.deleted_at is not None:
        return await message(request, 410, "Deleted", "This post was deleted by its author.")
    author = await Actor.get(id=post.author_id)
    replies = await Post.filter(in_reply_to=post, deleted_at=None, held=False, visibility__in=["public", "unlisted"]).order_by("published").prefetch_related("author")
    wishes = [*multilingual.request_wishes(request, user), i18n.choose(request, node, user)]
    shown = multilingual.show_post(post, wishes, node.settings.association.language)
    images = [i for i in (post.data or {}).get("images", []) if isinstance(i, dict)]
    site = await association_actor(node)
    # Behind a content warning, previews show the warning, not the text.
    og = meta.tags(node, title=author.name or author.username or "", description=shown.summary or shown.content,
                   html_description=not shown.summary, url=post.url or post.uri, kind="article",
                   image=str(images[0].get("url") or "") if images and not shown.summary else None,
                   image_alt=str(images[0].get("alt") or "") if images and not shown.summary else "",
                   site_name=site.name if site else node.settings.association.name)
    response = await render(
        request, "post.html", post=post, author=author, replies=replies, shown=shown, editor_view=editor_view,
        description=plain_text(shown.content), handle=f"@{author.username}@{node.urls.host}", actor=author,
        slug=request.path_params["slug"], og=og, comment_box=await comment_box(request, post),
        polls_voted=await polls.voted_in(user, [post.id]),
    )
    return no_store(response) if post.draft else response


async def compose_page(request: Request, *, values: dict[str, str], rows: list[dict[str, str]],
                       slots: list[compose.Slot], post: Post | None = None, error: str | None = None,
                       preview: list[dict[str, Any]] | None = None, status: int = 200,
                       form: FormData | None = None) -> Response:
    action = f"/posts/{post.uri.rsplit('/', 1)[-1]}/edit" if post is not None else "/compose"
    poll_form = poll_inputs.form_values(form) if post is None else None  # a poll is added to a new post only
    return await form_page(request, "compose.html", status=status, values=values, rows=rows, slots=slots,
                           post=post, error=error, preview=preview, action=action, max_images=MAX_ATTACHMENTS,
                           poll_form=poll_form)


class PostEditor(Editor[Draft]):
    """The compose or edit form. Its images are stored by a preview (or "add a language") and by a
    save once every check passed; a refused post stores nothing (not even its images)."""

    refusals = (ContentError, PollError)

    def __init__(self, request: Request, form: FormData, author: Actor, post: Post | None) -> None:
        super().__init__(request, form, author)
        self.post = post
        self.poll: PollInput | None = None
        self.values = compose.post_values(form, self.node.settings.association.language)
        self.images = compose.Images()
        self.stored: list[tuple[int, Media, str]] | None = None

    async def draft(self) -> Draft:
        draft = compose.draft_of(self.values, self.rows)
        self.images = await compose.images_of(self.node, self.author, self.form)
        self.poll = poll_inputs.poll_from_form(self.form) if self.post is None else None
        if self.poll is not None and self.keeps_draft:
            raise PollError(i18n.gettext("A post with a poll is published at once, not kept as a draft."))
        return draft

    async def checked(self, draft: Draft) -> Draft:
        await compose.preview_post(self.node, draft)  # every check before anything is stored
        return draft

    async def store(self, draft: Draft) -> Draft:
        self.stored = await compose.store_images(self.node, self.author, self.images)
        return draft

    async def preview(self, draft: Draft) -> list[dict[str, Any]]:
        return await compose.preview_post(self.node, draft)

    async def save(self, draft: Draft) -> str:
        post = self.post
        publish = not self.keeps_draft or (post is not None and not post.draft)
        complete = compose.with_images(self.node, draft, self.stored or [], publish=publish)
        if post is None and self.poll is not None:
            post = await create_poll_post(self.node, self.author, complete, self.poll)
        elif post is None:
            post = await create_post(self.node, self.author, complete)
        else:
            post = await update_post(self.node, post, complete)
            if post.draft and self.publishes:
                post = await publish_post(self.node, post)
        return post.uri

    async def page(self, *, status: int = 200, error: str | None = None,
                   preview: list[dict[str, Any]] | None = None) -> Response:
        slots = await compose.slots_after(self.node, self.author, self.form, self.stored)
        return await compose_page(self.request, status=status, error=error, values=self.values, rows=self.rows,
                                  post=self.post, preview=preview, slots=slots, form=self.form)


async def compose_form(request: Request) -> Response:
    await editor(request)
    node = node_of(request)
    values = {"text": "", "summary": "", "language": node.settings.association.language, "visibility": "public"}
    return await compose_page(request, values=values, rows=rows_from_translations(()), slots=compose.slots_for([]))


async def compose_submit(request: Request) -> Response:
    await editor(request)
    form = await upload_form(request)
    author = await association_author(node_of(request))
    return await PostEditor(request, form, author, None).submit()


async def editable_post(request: Request) -> Post:
    await editor(request)
    node = node_of(request)
    post = await Post.get_or_none(uri=node.urls.post(request.path_params["slug"]), local=True, deleted_at=None)
    if post is None:
        raise PageRefusal(404, "Not found", "There is no such post here.")
    return post


async def edit_post(request: Request) -> Response:
    """GET/POST /posts/{slug}/edit: every language, the images, and for a draft its publication."""
    post = await editable_post(request)
    if request.method == "GET":
        images = (post.data or {}).get("images")
        return await compose_page(request, values=compose.values_of_post(post), rows=compose.rows_of_post(post),
                                  slots=compose.slots_for(images if isinstance(images, list) else []), post=post)
    form = await upload_form(request)
    author = await Actor.get(id=post.author_id)
    return await PostEditor(request, form, author, post).submit()


def _path(uri: str) -> str:
    return "/" + uri.split("://", 1)[-1].split("/", 1)[-1]


async def drafts_page(request: Request) -> Response:
    """GET /drafts: the posts, events and initiatives kept as drafts. POST: publish or delete one."""
    user = await editor(request)
    node = node_of(request)
    if request.method == "POST":
        form = await checked_form(request)
        return await _draft_action(request, node, form)
    posts = await Post.filter(local=True, draft=True, held=False, deleted_at=None).order_by("-published", "-id")
    events = await Event.filter(local=True, draft=True, deleted_at=None).order_by("start", "id")
    initiatives = await Initiative.filter(local=True, draft=True, deleted_at=None).order_by("-published", "-id")
    return no_store(await render(
        request, "drafts.html", posts=posts, events=events, initiatives=initiatives, path=_path,
        excerpt=lambda post: plain_text(post.content, 120), done=request.query_params.get("done"),
        error=None,
    ))


async def _draft_action(request: Request, node: Node, form: FormData) -> Response:
    kind, ident, what = str(form.get("kind") or ""), str(form.get("id") or ""), str(form.get("do") or "")
    found = {"post": Post, "event": Event, "initiative": Initiative}.get(kind)
    row: Post | Event | Initiative | None = None
    if found is not None and ident.isdigit() and what in ("publish", "delete"):
        row = await found.get_or_none(id=int(ident), local=True, draft=True, deleted_at=None)  # type: ignore[assignment]
    if row is None:
        return await message(request, 400, "Already done", "This draft was already published or deleted.")
    try:
        if isinstance(row, Post):
            await (publish_post(node, row) if what == "publish" else delete_post(node, row))
        elif isinstance(row, Event):
            await (event_service.publish_event(node, row) if what == "publish" else event_service.delete_event(node, row))
        elif isinstance(row, Initiative):
            await (initiative_service.publish_initiative(node, row) if what == "publish"
                   else initiative_service.delete_initiative(node, row))
    except (ContentError, EventError, InitiativeError) as exc:
        return await message(request, 400, "Not possible", str(exc))
    if what == "publish":
        return RedirectResponse(_path(row.uri), status_code=303)
    return RedirectResponse("/drafts?done=deleted", status_code=303)


async def authorize_interaction(request: Request) -> Response:
    """Our subscribe template: an admin or editor makes the association follow a remote account."""
    user = await editor(request)
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
        actor = await association_actor(node)
        if actor is None or target.local:
            return await message(request, 400, "Not possible", "This account cannot be followed from here.")
        await follow(node, actor, target)
        return await message(request, 200, "Follow request sent", i18n.lazy_gettext(
            "The association now follows %(handle)s (once accepted).", handle=target.handle))
    return await render(request, "authorize.html", target=target)


def routes() -> list[Route]:
    return [
        Route("/compose", compose_form, methods=["GET"]),
        Route("/compose", compose_submit, methods=["POST"]),
        Route("/posts/{slug}/edit", edit_post, methods=["GET", "POST"]),
        Route("/drafts", drafts_page, methods=["GET", "POST"]),
        Route("/authorize_interaction", authorize_interaction, methods=["GET", "POST"]),
    ]
