"""The guides as readers see them: the index (every topic with its guides), a topic's page, a topic's
guides all in full on one page (to save or print), and a guide's page in the reader's language with
"last reviewed on" and, for those who may, the writing and review buttons."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from node.guides import guides
from node.guides.access import can_write, is_editor
from node.guides.models import Guide
from node.guides.pages_common import guide_at, shown, wishes
from node.guides.review import is_stale
from node.guides.topics import Topic, all_topics, topic
from node.web import auth
from node.web.errors import PageRefusal
from node.web.pages import node_of, render


async def _topic_at(request: Request) -> Topic:
    found = await topic(str(request.path_params.get("topic", "")))
    if found is None:
        raise PageRefusal(404, "Topic not found", "There is no such guide topic.")
    return found


async def _listed(request: Request, rows: list[Guide]) -> list[dict[str, Any]]:
    user = await auth.current_user(request)
    reader = await wishes(request, user)
    fallback = node_of(request).settings.association.language
    return [{"guide": g, "shown": shown(g, reader, fallback)} for g in rows]


async def index(request: Request) -> Response:
    rows = await guides.local_guides()
    listed = await _listed(request, rows)
    by_topic: dict[str, list[dict[str, Any]]] = {}
    for item in listed:
        by_topic.setdefault(item["guide"].topic, []).append(item)
    user = await auth.current_user(request)
    return await render(request, "guides/index.html", topics=await all_topics(), by_topic=by_topic,
                        can_write=await can_write(user))


async def topic_page(request: Request) -> Response:
    found = await _topic_at(request)
    user = await auth.current_user(request)
    return await render(request, "guides/topic.html", topic=found,
                        items=await _listed(request, await guides.local_guides(found.slug)),
                        can_write=await can_write(user))


async def topic_all(request: Request) -> Response:
    """Every guide of the topic in full, in the reader's language: one page to save or print."""
    found = await _topic_at(request)
    return await render(request, "guides/topic_all.html", topic=found,
                        items=await _listed(request, await guides.local_guides(found.slug)))


async def guide_page(request: Request) -> Response:
    guide = await guide_at(request, deleted=True)
    if guide.deleted_at is not None:
        raise PageRefusal(410, "Guide removed", "This guide was removed.")
    user = await auth.current_user(request)
    reader = await wishes(request, user)
    editor = is_editor(user)
    return await render(
        request, "guides/guide.html", guide=guide, shown=shown(guide, reader, node_of(request).settings.association.language),
        topic=await topic(guide.topic), can_write=await can_write(user), is_editor=editor, signed_in=user is not None,
        stale=editor and await is_stale(guide), proposals=len(await guides.pending(guide)) if editor else 0,
        proposed=request.query_params.get("proposed") == "1",
    )
