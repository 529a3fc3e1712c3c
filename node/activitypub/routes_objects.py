"""Objects with content negotiation: posts (and their activity, replies, likes and shares), events and
initiatives, as AS2 documents (410 Tombstones once deleted) or, for browsers, the HTML view given."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from federation import vocab
from node.activitypub.responses import PAGE_SIZE, HtmlView, as2, collection, node_of, not_found, page_number
from node.activitypub.signed_fetch import is_follower, wants_as2
from node.posts.content import note_document
from node.events import events
from node.initiatives.documents import initiative_doc
from node.core.models import Activity, Actor, Interaction, Post
from node.events.models import Event
from node.initiatives.models import Initiative


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
        author = await Actor.get(id=post.author_id)
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
        author = await Actor.get(id=post.author_id)
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
        organizer = await Actor.get(id=event.organizer_id)
        return as2(events.event_doc(node, event, organizer))

    return view


def initiative_view(html_view: HtmlView) -> HtmlView:
    """An initiative of this node: its Article for AS2 clients (410 Tombstone once deleted), else the page."""
    async def view(request: Request) -> Response:
        node = node_of(request)
        initiative = await Initiative.get_or_none(uri=node.urls.initiative(request.path_params['slug']), local=True)
        if initiative is None:
            return not_found()
        if not wants_as2(request):
            return await html_view(request)
        if initiative.draft:  # not published: the HTML view shows it to editors only
            return not_found()
        if initiative.deleted_at is not None:
            return as2(vocab.tombstone(initiative.uri, "Article", initiative.deleted_at), status=410)
        return as2(await initiative_doc(node, initiative))

    return view
