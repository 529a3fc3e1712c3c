"""Discovery: WebFinger, host-meta and NodeInfo."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from federation import nodeinfo, webfinger
from node.accounts.actors import local_actor
from node.activitypub.doc_cache import Entry, cached, entry
from node.activitypub.responses import answer, encode, node_of, not_found, not_found_entry
from node.core.models import Post, User
from node.core.runtime import VERSION, Node

JRD_HEADERS = {"Access-Control-Allow-Origin": "*", "Cache-Control": "max-age=60"}


async def webfinger_view(request: Request) -> Response:
    node = node_of(request)
    resource = request.query_params.get("resource", "")
    if not resource:
        return PlainTextResponse("resource parameter required\n", status_code=400)
    username = webfinger.parse_resource(resource, host=node.urls.host, base_url=node.urls.base)
    if not username:
        return not_found("no such account")
    return answer(request, await cached(node, ("webfinger", username), lambda: _jrd_entry(node, username)))


async def _jrd_entry(node: Node, username: str) -> Entry:
    """The JRD of a local account (the same for every resource naming it), from the document cache."""
    actor = await local_actor(username)
    if actor is None:
        return not_found_entry("no such account")
    subject = f"acct:{actor.username}@{node.urls.host}"
    jrd = webfinger.build_jrd(
        subject=subject, actor_url=actor.uri, profile_url=actor.url or actor.uri,
        base_url=node.urls.base, aliases=[actor.uri, actor.url or actor.uri],
    )
    return entry(200, encode(jrd), "application/jrd+json", JRD_HEADERS, jrd)


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
