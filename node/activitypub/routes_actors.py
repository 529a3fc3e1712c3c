"""Actors as ActivityPub documents: the instance actor (with its outbox, an empty collection: it
publishes nothing), local actors (minimal in secure mode when the fetch is unsigned), and their
followers, following, outbox and featured collections. A post that cannot be rendered is left out of
the outbox (node/events/guarded.py), not the whole page."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from federation import vocab
from node.policy import policy
from node.accounts.actors import actor_document, deleted_local_actor, local_actor
from node.activitypub.doc_cache import Entry, cached
from node.activitypub.responses import (
    PAGE_SIZE, AS2Response, answer, as2, as2_entry, collection, node_of, not_found, not_found_entry, page_number,
)
from node.activitypub.signed_fetch import authenticate, wants_as2
from node.events.guarded import each_rendered
from node.posts.content import note_document
from node.core.models import Actor, Follow, Post
from node.core.runtime import Node


async def instance_actor_view(request: Request) -> Response:
    node = node_of(request)
    return answer(request, await cached(node, ("instance",), lambda: _instance_entry(node)))


async def _instance_entry(node: Node) -> Entry:
    actor = await Actor.get_or_none(uri=node.urls.instance_actor)
    return not_found_entry() if actor is None else as2_entry(actor_document(node.urls, actor))


async def instance_outbox_view(request: Request) -> Response:
    """The instance actor's outbox, which its document advertises: always empty (it signs fetches and
    relay subscriptions, and publishes nothing)."""
    node = node_of(request)
    actor = await Actor.get_or_none(uri=node.urls.instance_actor)
    if actor is None:
        return not_found()
    cid = f"{actor.uri}/outbox"
    page = page_number(request)
    if page is None:
        doc = vocab.ordered_collection(cid, 0, None)
        doc["orderedItems"] = []
        return as2(doc)
    return collection(cid, 0, page, [], False)


async def actor_view(request: Request) -> Response:
    """A local actor's document from the document cache (node/activitypub/doc_cache.py); a browser is
    sent to the profile page."""
    node = node_of(request)
    username = request.path_params["username"]
    if not wants_as2(request):
        return await _actor_html(node, username)
    found = await cached(node, ("actor", username), lambda: _actor_entry(node, username))
    if found.status == 200 and await policy.authorized_fetch(node) and (await authenticate(node, request)).state != "ok":
        # Secure mode, unsigned: what a server needs to verify this actor's signatures, nothing more
        # (Mastodon's AccountsController#restrict_fields_to).
        doc = {k: v for k, v in found.doc.items() if k in MINIMAL_ACTOR_FIELDS}
        return AS2Response(doc, headers={"Vary": "Accept, Signature", "Cache-Control": "no-store"})
    return answer(request, found)


async def _actor_entry(node: Node, username: str) -> Entry:
    actor = await local_actor(username)
    if actor is None:
        gone = await deleted_local_actor(username)
        if gone is not None and gone.deleted_at is not None:  # a deleted account: 410 with its Tombstone
            return as2_entry(vocab.tombstone(gone.uri, gone.kind, gone.deleted_at), status=410)
    if actor is None or actor.kind == "Application":
        return not_found_entry("no such actor")
    return as2_entry(actor_document(node.urls, actor))


async def _actor_html(node: Node, username: str) -> Response:
    actor = await local_actor(username)
    if actor is None:
        gone = await deleted_local_actor(username)
        if gone is not None and gone.deleted_at is not None:
            return RedirectResponse(node.urls.profile(username), status_code=302, headers={"Vary": "Accept"})
    if actor is None or actor.kind == "Application":
        return not_found("no such actor")
    return RedirectResponse(node.urls.profile(username), status_code=302, headers={"Vary": "Accept"})


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
    items = each_rendered(posts[:PAGE_SIZE], lambda post: _create_item(node, post, actor), f"the outbox of {actor.uri}")
    return collection(cid, total, page, items, len(posts) > PAGE_SIZE)


def _create_item(node: Node, post: Post, actor: Actor) -> dict[str, object]:
    note = note_document(node, post, actor)
    note.pop("@context", None)
    return {"id": f"{post.uri}/activity", "type": "Create", "actor": actor.uri,
            "published": note["published"], "to": post.to, "cc": post.cc, "object": note}


async def featured_view(request: Request) -> Response:
    node = node_of(request)
    actor = await _collection_owner(request)
    if actor is None:
        return not_found()
    doc = vocab.ordered_collection(node.urls.featured(actor.username or ""), 0, None)
    doc["orderedItems"] = []
    return as2(doc)
