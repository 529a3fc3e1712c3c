"""RSS and Atom feeds of the open opportunities, all of them or one kind:
/opportunities/feed.rss, /opportunities/feed.atom, /opportunities/<kind>.rss, /opportunities/<kind>.atom."""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any

from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import Response

from federation import opportunities as wire
from federation import vocab
from node.core import i18n
from node.core.runtime import VERSION
from node.opportunities.network import board
from node.opportunities.opportunities import utcnow
from node.opportunities.pages_common import KIND_LABELS
from node.site.pages_feeds import feed_response
from node.web.errors import PageRefusal
from node.web.pages import node_of

FEED_SIZE = 50
TYPES = {"rss": ("feeds/rss.xml", "application/rss+xml; charset=utf-8"),
         "atom": ("feeds/atom.xml", "application/atom+xml; charset=utf-8")}


def _xml(text: str) -> str:
    return "".join(c for c in text if c in "\t\n\r" or ord(c) >= 0x20)


async def feed(request: Request) -> Response:
    node = node_of(request)
    kind = request.path_params.get("kind", "feed")
    fmt = request.path_params["fmt"]
    if fmt not in TYPES or (kind != "feed" and kind not in wire.KINDS):
        raise PageRefusal(404, "Not found", "There is no such feed.")
    await i18n.activate_request(request, node)
    rows = await board(local=True, kind="" if kind == "feed" else kind, limit=FEED_SIZE)
    base = node.urls.base
    items: list[dict[str, Any]] = []
    for row in rows:
        line = wire.opportunity_line(wire.OpportunityData(
            id=row.uri, url=row.uri, title=row.title, content_html="", kind=row.kind, purpose=row.purpose,
            place_kind=row.place_kind, place_name=row.place_name, status="open", expires=row.expires,
            organizer="", starts=row.starts, ends=row.ends, language=row.language), locale=row.language)
        moment = row.updated or row.published
        items.append({"id": row.uri, "title": _xml(row.title), "link": row.url or row.uri,
                      "html": Markup(escape(f"<p>{escape(line)}</p>{row.content}")),
                      "rss_date": format_datetime(row.published.astimezone(timezone.utc), usegmt=True),
                      "published": vocab.iso(row.published), "updated": vocab.iso(moment), "moment": moment})
    newest: datetime = max((i["moment"] for i in items), default=utcnow())
    name = node.settings.association.name
    title = f"{name}: {KIND_LABELS[kind]}" if kind in KIND_LABELS else f"{name}: {i18n.gettext('Opportunities')}"
    suffix = "feed" if kind == "feed" else kind
    context: dict[str, Any] = {
        "request": request, "title": _xml(str(title)), "description": _xml(str(title)),
        "language": node.settings.association.language, "home": f"{base}/opportunities", "actor_url": base,
        "rss_url": f"{base}/opportunities/{suffix}.rss", "atom_url": f"{base}/opportunities/{suffix}.atom",
        "icon": None, "items": items, "rss_updated": format_datetime(newest.astimezone(timezone.utc), usegmt=True),
        "atom_updated": vocab.iso(newest), "version": VERSION,
    }
    template, media_type = TYPES[fmt]
    return feed_response(request, node, template, media_type, context)
