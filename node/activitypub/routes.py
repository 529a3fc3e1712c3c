"""GET routes that serve actors, objects, collections, WebFinger, host-meta and NodeInfo."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from federation import nodeinfo, vocab, webfinger
from node.policy import policy
from node.accounts.actors import actor_document, local_actor
from node.activitypub.inbox import inbox_endpoint
from node.activitypub.signed_fetch import authenticate, is_follower, wants_as2
from node.posts.content import note_document
from node.events import events
from node.initiatives import initiatives
from node.core.models import Activity, Actor, Follow, Interaction, Post, User
from node.events.models import Event
from node.initiatives.models import Initiative
from node.core.runtime import VERSION, Node

PAGE_SIZE = 20
AS2_TYPE = 'application/activity+json'
HtmlView = Callable[[Request], Awaitable[Response]]


class AS2Response(Response):
    media_type = AS2_TYPE

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()


def as2(doc: Any, status: int = 200) -> Response:
    return AS2Response(doc, status_code=status, headers={"Vary": "Accept", "Cache-Control": "max-age=60"})


def not_found(reason: str = "not found") -> Response:
    return PlainTextResponse(reason + "\n", status_code=404, headers={"Vary": "Accept"})


def node_of(request: Request) -> Node:
    node: Node = request.app.state.node
    return node


def page_number(request: Request) -> int | None:
    raw = request.query_params.get("page")
    if raw is None:
        return None
    return int(raw) if raw.isdigit() and 0 < int(raw) < 100_000 else 1


def collection(collection_id: str, total: int, page: int | None, items: list[Any], more: bool) -> Response:
    if page is None:
        return as2(vocab.ordered_collection(collection_id, total, f"{collection_id}?page=1"))
    next_page = f"{collection_id}?page={page + 1}" if more else None
    return as2(vocab.ordered_page(f"{collection_id}?page={page}", collection_id, items, next_page))


# ------------------------------------------------------------------ discovery


async def webfinger_view(request: Request) -> Response:
    node = node_of(request)
    resource = request.query_params.get("resource", "")
    if not resource:
        return PlainTextResponse("resource parameter required\n", status_code=400)
    username = webfinger.parse_resource(resource, host=node.urls.host, base_url=node.urls.base)
    actor = await local_actor(username) if username else None
    if actor is None:
        return not_found("no such account")
    subject = f"acct:{actor.username}@{node.urls.host}"
    jrd = webfinger.build_jrd(
        subject=subject, actor_url=actor.uri, profile_url=actor.url or actor.uri,
        base_url=node.urls.base, aliases=[actor.uri, actor.url or actor.uri],
    )
    return JSONResponse(jrd, media_type="application/jrd+json", headers={"Access-Control-Allow-Origin": "*"})


async def host_meta_view(request: Request) -> Response:
    node = node_of(request)
    if request.url.path.endswith(".json") or "json" in request.headers.get("accept", ""):
        return JSONResponse(webfinger.host_meta_json(node.urls.base))
    return Response(webfinger.host_meta_xrd(node.urls.base), media_type="application/xrd+xml")


async def nodeinfo_links_view(request: Request) -> Response:
    node = node_of(request)
    return JSONResponse(nodeinfo.nodeinfo_links(node.urls.base, node.urls.instance_actor))


async def nodeinfo_view(request: Request) -> Response:
    node = node_of(request)
    version = request.path_params["version"]
    if version not in ("2.0", "2.1"):
        return not_found()
    now = datetime.now(timezone.utc)
    doc = nodeinfo.nodeinfo_document(
        version,
        software_name="agora",
        software_version=VERSION,
        users_total=await User.all().count(),
        users_active_month=await User.filter(last_login_at__gte=now - timedelta(days=30)).count(),
        users_active_halfyear=await User.filter(last_login_at__gte=now - timedelta(days=182)).count(),
        local_posts=await Post.filter(local=True, deleted_at=None, draft=False).count(),
        open_registrations=node.settings.registration.open,
        metadata={"nodeName": node.settings.association.name},
    )
    return JSONResponse(doc, media_type=nodeinfo.nodeinfo_content_type(version))


# ------------------------------------------------------------------ actors


async def instance_actor_view(request: Request) -> Response:
    node = node_of(request)
    actor = await Actor.get_or_none(uri=node.urls.instance_actor)
    if actor is None:
        return not_found()
    return as2(actor_document(node.urls, actor))


async def actor_view(request: Request) -> Response:
    node = node_of(request)
    username = request.path_params["username"]
    actor = await local_actor(username)
    if actor is None or actor.kind == "Application":
        return not_found("no such actor")
    if not wants_as2(request):
        return RedirectResponse(node.urls.profile(username), status_code=302, headers={"Vary": "Accept"})
    doc = actor_document(node.urls, actor)
    if await policy.authorized_fetch(node) and (await authenticate(node, request)).state != "ok":
        # Secure mode, unsigned: what a server needs to verify this actor's signatures, nothing more
        # (Mastodon's AccountsController#restrict_fields_to).
        doc = {k: v for k, v in doc.items() if k in MINIMAL_ACTOR_FIELDS}
        return AS2Response(doc, headers={"Vary": "Accept, Signature", "Cache-Control": "no-store"})
    return as2(doc)


MINIMAL_ACTOR_FIELDS = ("@context", "id", "type", "preferredUsername", "inbox", "publicKey", "endpoints")


async def _collection_owner(request: Request) -> Actor | None:
    actor = await local_actor(request.path_params["username"])
    return actor if actor is not None and actor.kind != "Application" else None


async def followers_view(request: Request) -> Response:
    return await _follow_collection(request, followers=True)


async def following_view(request: Request) -> Response:
    return await _follow_collection(request, followers=False)


async def _follow_collection(request: Request, *, followers: bool) -> Response:
    node = node_of(request)
    actor = await _collection_owner(request)
    if actor is None:
        return not_found()
    if followers:
        query = Follow.filter(target=actor, state="accepted").prefetch_related("follower")
        cid = node.urls.followers(actor.username or "")
    else:
        query = Follow.filter(follower=actor, state="accepted").prefetch_related("target")
        cid = node.urls.following(actor.username or "")
    page = page_number(request)
    total = await query.count()
    if page is None:
        return collection(cid, total, None, [], False)
    rows = await query.order_by("-id").offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    items = [(row.follower if followers else row.target).uri for row in rows[:PAGE_SIZE]]
    return collection(cid, total, page, items, len(rows) > PAGE_SIZE)


async def outbox_view(request: Request) -> Response:
    node = node_of(request)
    actor = await _collection_owner(request)
    if actor is None:
        return not_found()
    query = Post.filter(author=actor, local=True, deleted_at=None, draft=False, visibility__in=["public", "unlisted"])
    cid = node.urls.outbox(actor.username or "")
    page = page_number(request)
    total = await query.count()
    if page is None:
        return collection(cid, total, None, [], False)
    posts = await query.order_by("-published").offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    items = []
    for post in posts[:PAGE_SIZE]:
        note = note_document(node, post, actor)
        note.pop("@context", None)
        items.append({"id": f"{post.uri}/activity", "type": "Create", "actor": actor.uri,
                      "published": note["published"], "to": post.to, "cc": post.cc, "object": note})
    return collection(cid, total, page, items, len(posts) > PAGE_SIZE)


async def featured_view(request: Request) -> Response:
    node = node_of(request)
    actor = await _collection_owner(request)
    if actor is None:
        return not_found()
    doc = vocab.ordered_collection(node.urls.featured(actor.username or ""), 0, None)
    doc["orderedItems"] = []
    return as2(doc)


# ------------------------------------------------------------------ objects


async def _visible_post(request: Request, drafts: bool = False) -> Post | None:
    """A local post this request may read: public and unlisted ones (drafts too with `drafts`, for the
    HTML view, which shows them to editors only); followers-only ones when the fetch is signed by an
    accepted follower of the author or by their server's instance actor (the HTML page never shows
    them). Direct posts are never served."""
    node = node_of(request)
    post = await Post.get_or_none(uri=node.urls.post(request.path_params["slug"]), local=True)
    if post is None or (post.draft and not drafts):
        return None
    if post.draft or post.visibility in ("public", "unlisted"):
        return post
    if post.visibility == "followers":
        author = await Actor.get(id=post.author_id)  # type: ignore[attr-defined]
        if await is_follower(node, request, author):
            return post
    return None


def post_view(html_view: HtmlView) -> HtmlView:
    async def view(request: Request) -> Response:
        node = node_of(request)
        post = await _visible_post(request, drafts=True)  # the HTML view shows drafts to editors only
        if post is None:
            return not_found()
        if not wants_as2(request):
            return await html_view(request)
        if post.draft:
            return not_found()
        if post.deleted_at is not None:
            return as2(vocab.tombstone(post.uri, post.kind, post.deleted_at), status=410)
        author = await Actor.get(id=post.author_id)  # type: ignore[attr-defined]
        return as2(note_document(node, post, author))

    return view


async def post_activity_view(request: Request) -> Response:
    post = await _visible_post(request)
    if post is None:
        return not_found()
    if post.deleted_at is not None:
        return as2(vocab.tombstone(f"{post.uri}/activity", "Create", post.deleted_at), status=410)
    record = await Activity.get_or_none(uri=f"{post.uri}/activity")
    return as2(record.data) if record else not_found()


async def replies_view(request: Request) -> Response:
    post = await _visible_post(request)
    if post is None or post.deleted_at is not None:
        return not_found()
    query = Post.filter(in_reply_to=post, deleted_at=None, held=False, visibility__in=["public", "unlisted"])
    cid = f"{post.uri}/replies"
    page = page_number(request)
    total = await query.count()
    if page is None:
        doc = vocab.ordered_collection(cid, total, f"{cid}?page=1")
        doc["type"] = "Collection"
        return as2(doc)
    rows = await query.order_by("published").offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    return collection(cid, total, page, [r.uri for r in rows[:PAGE_SIZE]], len(rows) > PAGE_SIZE)


def counter_view(kind: str, suffix: str) -> HtmlView:
    async def view(request: Request) -> Response:
        post = await _visible_post(request)
        if post is None or post.deleted_at is not None:
            return not_found()
        total = await Interaction.filter(post=post, kind=kind).count()
        return as2({"@context": vocab.AS2, "id": f"{post.uri}/{suffix}", "type": "Collection", "totalItems": total})

    return view


def event_view(html_view: HtmlView) -> HtmlView:
    async def view(request: Request) -> Response:
        node = node_of(request)
        event = await Event.get_or_none(uri=f"{node.urls.base}/events/{request.path_params['slug']}", local=True)
        if event is None:
            return not_found()
        if not wants_as2(request):
            return await html_view(request)
        if event.draft:  # not published: the HTML view shows it to editors only
            return not_found()
        if event.deleted_at is not None:
            return as2(vocab.tombstone(event.uri, "Event", event.deleted_at), status=410)
        organizer = await Actor.get(id=event.organizer_id)  # type: ignore[attr-defined]
        return as2(events.event_doc(node, event, organizer))

    return view


def initiative_view(html_view: HtmlView) -> HtmlView:
    """An initiative of this node: its Article for AS2 clients (410 Tombstone once deleted), else the page."""
    async def view(request: Request) -> Response:
        node = node_of(request)
        initiative = await Initiative.get_or_none(uri=f"{node.urls.base}/initiatives/{request.path_params['slug']}", local=True)
        if initiative is None:
            return not_found()
        if not wants_as2(request):
            return await html_view(request)
        if initiative.draft:  # not published: the HTML view shows it to editors only
            return not_found()
        if initiative.deleted_at is not None:
            return as2(vocab.tombstone(initiative.uri, "Article", initiative.deleted_at), status=410)
        return as2(await initiatives.initiative_doc(node, initiative))

    return view


def routes(html_post_view: HtmlView, html_event_view: HtmlView, html_initiative_view: HtmlView) -> list[Route]:
    return [
        Route("/.well-known/webfinger", webfinger_view),
        Route("/.well-known/host-meta", host_meta_view),
        Route("/.well-known/host-meta.json", host_meta_view),
        Route("/.well-known/nodeinfo", nodeinfo_links_view),
        Route("/nodeinfo/{version}", nodeinfo_view),
        Route("/actor", instance_actor_view),
        Route("/actor/inbox", inbox_endpoint, methods=["POST"]),
        Route("/inbox", inbox_endpoint, methods=["POST"]),
        Route("/users/{username}", actor_view),
        Route("/users/{username}/inbox", inbox_endpoint, methods=["POST"]),
        Route("/users/{username}/outbox", outbox_view),
        Route("/users/{username}/followers", followers_view),
        Route("/users/{username}/following", following_view),
        Route("/users/{username}/featured", featured_view),
        Route("/posts/{slug}", post_view(html_post_view)),
        Route("/events/{slug}", event_view(html_event_view)),
        Route("/initiatives/{slug}", initiative_view(html_initiative_view)),
        Route("/posts/{slug}/activity", post_activity_view),
        Route("/posts/{slug}/replies", replies_view),
        Route("/posts/{slug}/likes", counter_view("Like", "likes")),
        Route("/posts/{slug}/shares", counter_view("Announce", "shares")),
    ]
