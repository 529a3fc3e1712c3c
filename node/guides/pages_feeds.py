"""RSS 2.0 and Atom feeds of a topic's guides (the most recently changed 20), through the site's feed
templates (templates/feeds/)."""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from federation import vocab
from node.core.runtime import VERSION
from node.core.sanitize import plain_text
from node.guides.models import Guide
from node.guides.topics import topic
from node.site.pages_feeds import ATOM_TYPE, RSS_TYPE, feed_response, xml_text
from node.web.errors import PageRefusal
from node.web.pages import node_of

FEED_SIZE = 20


def _item(base: str, guide: Guide) -> dict[str, Any]:
    updated = (guide.updated or guide.published).astimezone(timezone.utc)
    return {"id": guide.uri, "link": guide.url or f"{base}/guides/{guide.slug}", "title": xml_text(guide.title),
            "html": xml_text(guide.content), "rss_date": format_datetime(updated, usegmt=True),
            "published": vocab.iso(guide.published), "updated": vocab.iso(updated), "moment": updated}


async def _feed(request: Request, template: str, media_type: str) -> Response:
    node = node_of(request)
    found = await topic(str(request.path_params.get("topic", "")))
    if found is None:
        raise PageRefusal(404, "Topic not found", "There is no such guide topic.")
    rows = await Guide.filter(local=True, deleted_at=None, topic=found.slug).order_by("-updated", "-published").limit(FEED_SIZE)
    base = node.urls.base
    items = sorted((_item(base, g) for g in rows), key=lambda i: i["moment"], reverse=True)
    newest = max((i["moment"] for i in items), default=datetime.now(timezone.utc))
    page = f"{base}/guides/topics/{found.slug}"
    context: dict[str, Any] = {
        "request": request, "title": xml_text(f"{found.name} · {node.settings.association.name}"),
        "description": xml_text(plain_text(found.name, 200)), "language": node.settings.association.language,
        "home": page, "actor_url": page, "rss_url": f"{page}/feed.rss", "atom_url": f"{page}/feed.atom",
        "icon": None, "items": items, "rss_updated": format_datetime(newest, usegmt=True),
        "atom_updated": vocab.iso(newest), "version": VERSION,
    }
    return feed_response(request, node, template, media_type, context)


async def rss(request: Request) -> Response:
    return await _feed(request, "feeds/rss.xml", RSS_TYPE)


async def atom(request: Request) -> Response:
    return await _feed(request, "feeds/atom.xml", ATOM_TYPE)
