"""The guides of the associations the node's members follow: a list searchable in every language and
by topic (/guides/network), and each one's page as received, linking to its original."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from node.guides.models import Guide
from node.guides.network import network_guides
from node.guides.pages_common import shown, wishes
from node.guides.topics import all_topics
from node.web import auth
from node.web.errors import PageRefusal
from node.web.pages import node_of, render

MAX_QUERY = 200


async def network_list(request: Request) -> Response:
    query = " ".join(request.query_params.get("q", "").split())[:MAX_QUERY].replace("\x00", "")
    topic = request.query_params.get("topic", "")[:64]
    user = await auth.current_user(request)
    reader = await wishes(request, user)
    fallback = node_of(request).settings.association.language
    rows = await network_guides(query, topic)
    return await render(request, "guides/network.html", query=query, topic=topic, topics=await all_topics(),
                        items=[{"guide": g, "shown": shown(g, reader, fallback)} for g in rows[:200]])


async def network_guide(request: Request) -> Response:
    text = str(request.path_params.get("id", ""))
    guide = await Guide.get_or_none(id=int(text), local=False, deleted_at=None).prefetch_related("organizer") \
        if text.isascii() and text.isdigit() and len(text) < 18 else None
    if guide is None:
        raise PageRefusal(404, "Guide not found", "It may have been removed by the association that wrote it.")
    user = await auth.current_user(request)
    return await render(request, "guides/network_guide.html", guide=guide,
                        shown=shown(guide, await wishes(request, user), node_of(request).settings.association.language))
