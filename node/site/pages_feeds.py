"""RSS 2.0 and Atom feeds of the association's public posts (the latest 20), rendered from
templates/feeds/ with absolute URLs and escaped content."""

from __future__ import annotations

import re
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
from node.site.public_content import association_posts
from node.core.runtime import VERSION, Node
from node.core.sanitize import plain_text
from node.web import meta
from node.web.pages import SECURITY_HEADERS, association_actor, message, node_of, templates

FEED_SIZE = 20
RSS_TYPE = "application/rss+xml; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
# Characters XML 1.0 does not allow, even escaped.
XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    return XML_INVALID.sub("", text)


def _images(node: Node, post: Post) -> Markup:
    """The post's images, as HTML after its text (feed readers show them)."""
    parts = []
    for item in post.attachments or []:
        if not isinstance(item, dict) or not str(item.get("mediaType", "")).startswith("image/"):
            continue
        url = meta.absolute(node, item.get("url") if isinstance(item.get("url"), str) else None)
        if url:
            parts.append(Markup('<p><img src="{}" alt="{}"></p>').format(url, str(item.get("name") or "")))
    return Markup("").join(parts)


def _item(node: Node, post: Post) -> dict[str, Any]:
    text = plain_text(post.content, 80)
    html = Markup(post.content) + _images(node, post)
    if post.summary:
        html = Markup("<p><strong>{}</strong></p>").format(post.summary) + html
    published = post.published.astimezone(timezone.utc)
    updated = (post.updated or post.published).astimezone(timezone.utc)
    return {
        "id": post.uri,
        "link": meta.absolute(node, post.url) or post.uri,
        "title": xml_text(post.summary or text or post.published.strftime("%Y-%m-%d %H:%M")),
        "html": xml_text(str(html)),
        "rss_date": format_datetime(published, usegmt=True),
        "published": vocab.iso(published),
        "updated": vocab.iso(updated),
        "moment": updated,
    }


def feed_response(request: Request, node: Node, template: str, media_type: str, context: dict[str, Any]) -> Response:
    """`template` (templates/feeds/) rendered with `context` and the request's language context, as a
    feed: its media type, five minutes in public caches, no content sniffing."""
    context.update(i18n.template_context(request, node, None))
    response = templates.TemplateResponse(request, template, context, media_type=media_type)
    response.headers["Content-Type"] = media_type
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["X-Content-Type-Options"] = SECURITY_HEADERS["X-Content-Type-Options"]
    return response


async def _feed(request: Request, template: str, media_type: str) -> Response:
    node = node_of(request)
    actor = await association_actor(node)
    if actor is None:
        return await message(request, 404, "Not found", "The association account is missing; run agora init.")
    posts = await association_posts(node, actor).order_by("-published", "-id").limit(FEED_SIZE)
    items = [_item(node, p) for p in posts]
    base = node.urls.base
    newest = max((i["moment"] for i in items), default=actor.created_at or datetime.now(timezone.utc))
    context: dict[str, Any] = {
        "request": request,
        "title": xml_text(actor.name or node.settings.association.name),
        "description": xml_text(plain_text(actor.summary, 500) or actor.name),
        "language": node.settings.association.language,
        "home": f"{base}/",
        "actor_url": actor.url or actor.uri,
        "rss_url": f"{base}/feed.rss",
        "atom_url": f"{base}/feed.atom",
        "icon": meta.absolute(node, actor.icon_url),
        "items": items,
        "rss_updated": format_datetime(newest.astimezone(timezone.utc), usegmt=True),
        "atom_updated": vocab.iso(newest),
        "version": VERSION,
    }
    return feed_response(request, node, template, media_type, context)


async def rss(request: Request) -> Response:
    return await _feed(request, "feeds/rss.xml", RSS_TYPE)


async def atom(request: Request) -> Response:
    return await _feed(request, "feeds/atom.xml", ATOM_TYPE)


def routes() -> list[BaseRoute]:
    return [Route("/feed.rss", rss, methods=["GET"]), Route("/feed.atom", atom, methods=["GET"])]
