"""Discovery: WebFinger, host-meta and NodeInfo."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from federation import nodeinfo, webfinger
from node.accounts.actors import local_actor
from node.activitypub.responses import node_of, not_found
from node.core.models import Post, User
from node.core.runtime import VERSION


async def webfinger_view(request: Request) -> Response:
    node = node_of(request)
    resource = request.query_params.get("resource", "")
    if not resource:
        return PlainTextResponse("resource parameter required\n", status_code=400)
    username = webfinger.parse_resource(resource, host=node.urls.host, base_url=node.urls.base)
    actor = await local_actor(username) if username else None
    if actor is None:
        return not_found("no such account")
    subject = f"acct:{actor.username}@{node.urls.host}"
    jrd = webfinger.build_jrd(
        subject=subject, actor_url=actor.uri, profile_url=actor.url or actor.uri,
        base_url=node.urls.base, aliases=[actor.uri, actor.url or actor.uri],
    )
    return JSONResponse(jrd, media_type="application/jrd+json", headers={"Access-Control-Allow-Origin": "*"})


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
