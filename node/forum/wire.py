"""The forum's AS2 documents, from the rows: a topic's context (FEP-7888), an OrderedCollection of
its posts' ids, oldest first (FEP-f228, the way NodeBB and PieFed serve theirs), and a category's
moderators, outbox (its Announces) and featured (pinned topics) collections, which its Group actor
names for Lemmy, NodeBB and PieFed. Members-only categories, held, removed and draft posts never
appear; the routes (node/forum/routes.py) answer 404 for what is None here."""

from __future__ import annotations

from typing import Any

from tortoise.queryset import QuerySet

from federation import vocab
from node.core.models import Activity, Actor, Post, User
from node.core.runtime import Node
from node.forum.access import MODERATING_ROLES
from node.forum.categories import category_by_slug, category_url
from node.forum.models import Category, CategoryModerator, Entry, Topic
from node.forum.threads import topic_url
from node.posts.content import note_document

CONTEXT_PAGE = 50  # post ids per page of a context collection; a thread that fits is served inline
OUTBOX_ITEMS = 20  # the newest Announces in a category's outbox (what Lemmy reads when it first sees it)
SERVED = ("public", "unlisted")


async def public_category(slug: str) -> tuple[Category, Actor] | None:
    """A public category and its Group actor (members-only ones are never served)."""
    category = await category_by_slug(slug)
    if category is None or category.read_access != "public" or not category.actor_id:
        return None
    group = await Actor.get_or_none(id=category.actor_id, kind="Group", deleted_at=None)
    return (category, group) if group is not None else None


async def public_topic(slug: str) -> tuple[Topic, Actor] | None:
    """A topic anyone may read over ActivityPub, with its category's Group actor: not held, removed or
    a draft, in a public category."""
    topic = await Topic.get_or_none(slug=slug[:64])
    if topic is None or topic.held or topic.removed_at is not None:
        return None
    post = await Post.get(id=topic.post_id)
    if post.draft or post.deleted_at is not None or post.held or post.visibility not in SERVED:
        return None
    category = await Category.get(id=topic.category_id)
    found = await public_category(category.slug)
    return (topic, found[1]) if found is not None else None


def visible_entries(topic: Topic) -> QuerySet[Entry]:
    """The posts of a thread a visitor sees, in order."""
    return Entry.filter(topic_id=topic.id, held=False, removed_at=None, post__draft=False, post__deleted_at=None,
                        post__held=False, post__visibility__in=list(SERVED)).order_by("position")


async def _ids(topic: Topic, offset: int, limit: int) -> list[str]:
    rows = await visible_entries(topic).offset(offset).limit(limit).values_list("post__uri", flat=True)
    return [str(uri) for uri in rows]


async def context_collection(node: Node, topic: Topic, group: Actor, page: int | None) -> dict[str, Any]:
    """The topic's context: `?page=N` gives one OrderedCollectionPage; without it, the collection with
    every post id inline when they fit in a page, else with `first` and `last`."""
    cid = topic_url(node, topic.slug)
    total = await visible_entries(topic).count()
    pages = max(1, -(-total // CONTEXT_PAGE))
    if page is not None:
        page = min(page, pages)
        doc = vocab.ordered_page(f"{cid}?page={page}", cid, await _ids(topic, (page - 1) * CONTEXT_PAGE, CONTEXT_PAGE),
                                 f"{cid}?page={page + 1}" if page < pages else None)
        if page > 1:
            doc["prev"] = f"{cid}?page={page - 1}"
        return doc
    doc = vocab.ordered_collection(cid, total, None)
    doc.update(name=topic.title, attributedTo=group.uri, audience=group.uri, url=cid)
    if isinstance(topic.title_map, dict) and len(topic.title_map) > 1:
        doc["nameMap"] = dict(topic.title_map)
    if total <= CONTEXT_PAGE:
        doc["orderedItems"] = await _ids(topic, 0, CONTEXT_PAGE)
    else:
        doc.update(first=f"{cid}?page=1", last=f"{cid}?page={pages}")
    return doc


def _list(cid: str, items: list[Any]) -> dict[str, Any]:
    doc = vocab.ordered_collection(cid, len(items), None)
    doc["orderedItems"] = items
    return doc


async def moderators(node: Node, category: Category) -> dict[str, Any]:
    """Who moderates the category (Lemmy's and PieFed's `attributedTo` of a Group): its own
    moderators, then the node's admins and moderators, who moderate every category."""
    own = await CategoryModerator.filter(category_id=category.id, actor__deleted_at=None).order_by("id").values_list("actor__uri", flat=True)
    staff = await User.filter(role__in=list(MODERATING_ROLES), disabled=False).order_by("id").values_list("actor__uri", flat=True)
    items = list(dict.fromkeys(str(uri) for uri in [*own, *staff]))
    return _list(f"{category_url(node, category.slug)}/moderators", items)


async def _live_posts(uris: list[str]) -> set[str]:
    """Which of these posts still show in a public thread."""
    rows = await Entry.filter(post__uri__in=uris, held=False, removed_at=None, post__deleted_at=None,
                              post__draft=False, topic__removed_at=None, topic__held=False).values_list("post__uri", flat=True)
    return {str(uri) for uri in rows}


def announced_post(doc: Any) -> str | None:
    """The post an Announce of ours is about: the object of the Create it embeds."""
    inner = doc.get("object") if isinstance(doc, dict) else None
    if vocab.type_of(inner) == "Create" and isinstance(inner, dict):
        return vocab.id_of(inner.get("object"))
    return vocab.id_of(inner)


async def outbox(node: Node, category: Category, group: Actor) -> dict[str, Any]:
    """The category's newest Announces of posts still shown (Lemmy reads an outbox whole)."""
    records = await Activity.filter(actor_uri=group.uri, kind="Announce", outgoing=True).order_by("-id").limit(OUTBOX_ITEMS * 3)
    uris = [uri for uri in (announced_post(r.data) for r in records) if uri]
    live = await _live_posts(uris)
    items: list[dict[str, Any]] = []
    for record in records:
        if announced_post(record.data) in live and vocab.type_of(record.data.get("object")) == "Create":
            items.append({k: v for k, v in record.data.items() if k != "@context"})
    return _list(f"{category_url(node, category.slug)}/outbox", items[:OUTBOX_ITEMS])


async def featured(node: Node, category: Category) -> dict[str, Any]:
    """The category's pinned topics, their opening posts embedded (Lemmy's featured collection)."""
    topics = await Topic.filter(category_id=category.id, pinned=True, held=False, removed_at=None, post__draft=False,
                                post__deleted_at=None).order_by("-last_activity_at").prefetch_related("post", "post__author")
    items = []
    for topic in topics:
        doc = note_document(node, topic.post, topic.post.author)
        doc.pop("@context", None)
        items.append(doc)
    return _list(f"{category_url(node, category.slug)}/featured", items)
