"""What the forum shows outside its pages: RSS 2.0 and Atom feeds (a category's newest topics at
`/forum/<slug>/feed.atom` and `.rss`, a topic's newest posts at `/topics/<slug>/feed.atom` and `.rss`,
with the site feeds' templates) and a thread's link preview (Open Graph). A members-only category has
none of them (its feeds answer 404): nothing of it leaves the node."""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from federation import vocab
from node.core import i18n
from node.core.models import Post
from node.core.runtime import VERSION, Node
from node.core.sanitize import plain_text
from node.forum.categories import category_by_slug, category_url, localized
from node.forum.models import Category, Entry, Topic
from node.forum.threads import topic_url
from node.site.pages_feeds import ATOM_TYPE, FEED_SIZE, RSS_TYPE, feed_response, xml_text
from node.web.errors import PageRefusal
from node.web import meta
from node.web.pages import node_of

NOT_FOUND = (i18n.lazy("Not found"), i18n.lazy("There is no such feed here."))


def _shown() -> Any:
    return Entry.filter(held=False, removed_at=None, post__draft=False, post__deleted_at=None,
                        topic__held=False, topic__removed_at=None, topic__category__read_access="public",
                        post__visibility="public")


def _item(node: Node, entry: Entry, language: str) -> dict[str, Any]:
    post, topic = entry.post, entry.topic
    title = localized(topic.title_map, language, topic.title)
    link = topic_url(node, topic.slug) if entry.position == 0 else f"{topic_url(node, topic.slug)}/posts/{entry.position}"
    author = entry.post.author
    byline = Markup("<p>{}</p>").format(author.name or author.handle)
    published = post.published.astimezone(timezone.utc)
    updated = (post.updated or post.published).astimezone(timezone.utc)
    return {
        "id": post.uri, "link": link,
        "title": xml_text(title if entry.position == 0 else f"{title} ({plain_text(post.content, 60)})"),
        "html": xml_text(str(byline + Markup(post.content))),
        "rss_date": format_datetime(published, usegmt=True), "published": vocab.iso(published),
        "updated": vocab.iso(updated), "moment": updated,
    }


async def _render(request: Request, kind: str, *, title: str, description: str, home: str, feed_base: str,
                  items: list[dict[str, Any]], since: datetime | None) -> Response:
    node = node_of(request)
    newest = max((i["moment"] for i in items), default=since or datetime.now(timezone.utc))
    media_type = ATOM_TYPE if kind == "atom" else RSS_TYPE
    context: dict[str, Any] = {
        "request": request, "title": xml_text(title), "description": xml_text(description or title),
        "language": node.settings.association.language, "home": home, "actor_url": home,
        "rss_url": f"{feed_base}/feed.rss", "atom_url": f"{feed_base}/feed.atom", "icon": None, "items": items,
        "rss_updated": format_datetime(newest.astimezone(timezone.utc), usegmt=True),
        "atom_updated": vocab.iso(newest), "version": VERSION,
    }
    return feed_response(request, node, f"feeds/{kind}.xml", media_type, context)


async def thread_meta(request: Request, topic: Topic, category: Category, opening: Post, language: str) -> dict[str, Any] | None:
    """The Open Graph tags of a thread page (templates/_og.html), for a public topic only. The site's
    name is left to the template (render() has read it already: no second query)."""
    if category.read_access != "public" or opening.draft or opening.visibility != "public" or topic.held \
            or topic.removed_at is not None:
        return None
    node = node_of(request)
    return meta.tags(node, title=localized(topic.title_map, language, topic.title), description=opening.content,
                     html_description=True, url=topic_url(node, topic.slug), kind="article", site_name="")


def _kind(request: Request) -> str:
    return "atom" if request.url.path.endswith(".atom") else "rss"


async def category_feed(request: Request) -> Response:
    """The newest topics of a public category."""
    node = node_of(request)
    category = await category_by_slug(request.path_params["slug"])
    if category is None or category.read_access != "public":
        raise PageRefusal(404, *NOT_FOUND)
    language = node.settings.association.language
    entries = await (_shown().filter(topic__category=category, position=0).order_by("-post__published", "-id")
                     .limit(FEED_SIZE).prefetch_related("post", "post__author", "topic"))
    url = category_url(node, category.slug)
    return await _render(request, _kind(request), title=localized(category.name_map, language, category.slug),
                         description=localized(category.description_map, language), home=url, feed_base=url,
                         items=[_item(node, e, language) for e in entries], since=category.created_at)


async def topic_feed(request: Request) -> Response:
    """The newest posts of a topic of a public category."""
    node = node_of(request)
    topic = await Topic.get_or_none(slug=request.path_params["slug"][:64], held=False, removed_at=None)
    category = await Category.get(id=topic.category_id) if topic is not None else None
    if topic is None or category is None or category.read_access != "public":
        raise PageRefusal(404, *NOT_FOUND)
    language = node.settings.association.language
    entries = await (_shown().filter(topic=topic).order_by("-position").limit(FEED_SIZE)
                     .prefetch_related("post", "post__author", "topic"))
    url = topic_url(node, topic.slug)
    title = localized(topic.title_map, language, topic.title)
    return await _render(request, _kind(request), title=title, description=localized(category.name_map, language, category.slug),
                         home=url, feed_base=url, items=[_item(node, e, language) for e in entries], since=topic.created_at)


def routes() -> list[BaseRoute]:
    return [
        Route("/forum/{slug}/feed.atom", category_feed, methods=["GET"]),
        Route("/forum/{slug}/feed.rss", category_feed, methods=["GET"]),
        Route("/topics/{slug}/feed.atom", topic_feed, methods=["GET"]),
        Route("/topics/{slug}/feed.rss", topic_feed, methods=["GET"]),
    ]
