"""The Starlette app factory: routes, middleware, and a lifespan that owns database, client and worker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx2
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Mount
from starlette.types import ASGIApp, Receive, Scope, Send
from tortoise.context import TortoiseContext

from node.social import delivery
from node.core import jobs, supervise
from node.accounts.actors import ensure_instance_actor, signer_for
from node.activitypub import handlers
from node.activitypub.inbox import INBOX_JOB
from node.activitypub.routes import routes as ap_routes
from node.core.db import activate, open_database
from node.core.runtime import Node, make_client
from node.core.settings import Settings
from node.core.urls import Urls
from node.moderation import jobs as moderation_jobs
from node.forum import pages_feeds as forum_feeds, pages_subscriptions as forum_email_pages, subscriptions as forum_subscriptions
from node.policy import policy, jobs as policy_jobs
from node.accounts import pages as account, pages_leaving as leaving_pages, pages_login as login_pages
from node.posts import pages as post_pages
from node.site import routes_health as health_routes
from node.site import pages_admin as admin, pages as public
from node.events import pages as event_pages, routes_ical as ical_routes
from node.initiatives import pages as initiative_pages
from node.opportunities import answers as opportunity_answers, opportunities as opportunity_jobs, routes as opportunity_routes
from node.guides import pages as guide_pages, review as guide_review
from node.forum import pages_routes as forum_web
from node.mailing import bounce_jobs, jobs as mailing_jobs, pages as mailing_pages, routes_bounces
from node.newsletters import jobs as newsletter_jobs, pages as newsletter_pages
from node.polls import jobs as poll_jobs, pages as poll_pages
from node.assembly import jobs as assembly_jobs, pages as assembly_pages
from node.web import auth, comments as comment_pages, language, media_routes, pages
from node.moderation import pages as moderation_pages
from node.policy import pages as policy_pages
from node.policy.middleware import PolicyMiddleware
from node.web import static
from node.web.compression import Compression
from node.web.errors import PageRefusal
from node.web.ratelimit import RateLimitMiddleware

log = logging.getLogger("agora")
HOT_PREFIXES = ("/.well-known/", "/nodeinfo/", "/actor", "/inbox", "/users/")


class TortoiseContextMiddleware:
    """Runs every request inside this node's database context (two nodes can share a process)."""

    def __init__(self, app: ASGIApp, holder: dict[str, Any]) -> None:
        self.app = app
        self.holder = holder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        ctx: TortoiseContext | None = self.holder.get("ctx")
        if ctx is None or scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        with activate(ctx):
            await self.app(scope, receive, send)


class RefuseNulMiddleware:
    """A NUL character in the path or the query string gets 400: PostgreSQL cannot store or even
    compare text holding one, and no page needs it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raw = (scope.get("raw_path") or b"").lower() + b"?" + (scope.get("query_string") or b"").lower()
            if b"%00" in raw or b"\x00" in raw or "\x00" in scope.get("path", ""):
                response = PlainTextResponse("NUL characters are not accepted in addresses\n", status_code=400)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class ForwardedHeadersMiddleware:
    """Believes X-Forwarded-For/-Proto/-Host only from the configured reverse proxies. The forwarded host
    is kept in the scope so that the inbox verifies a signature over the host the sender used."""

    def __init__(self, app: ASGIApp, trusted: tuple[str, ...]) -> None:
        self.app = app
        self.trusted = frozenset(trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if scope["type"] == "http" and client and client[0] in self.trusted:
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
            scope = dict(scope)
            if "x-forwarded-for" in headers:
                scope["client"] = (headers["x-forwarded-for"].split(",")[0].strip(), 0)
            if headers.get("x-forwarded-proto") in ("http", "https"):
                scope["scheme"] = headers["x-forwarded-proto"]
            if "x-forwarded-host" in headers:
                scope["agora.forwarded_host"] = headers["x-forwarded-host"].split(",")[0].strip()
        await self.app(scope, receive, send)


def job_handlers(node: Node) -> dict[str, jobs.JobHandler]:
    async def inbox(payload: Mapping[str, Any], attempt: int) -> None:
        await handlers.dispatch(node, payload["activity"], bool(payload.get("refetch")))

    async def fanout(payload: Mapping[str, Any], attempt: int) -> None:
        await delivery.run_fanout(node, payload)

    async def deliver(payload: Mapping[str, Any], attempt: int) -> None:
        await delivery.run_delivery(node, payload, attempt)

    table: dict[str, jobs.JobHandler] = {INBOX_JOB: inbox, delivery.FANOUT: fanout, delivery.DELIVER: deliver}
    table.update(policy_jobs.job_handlers(node))
    table.update(moderation_jobs.job_handlers(node))
    table.update(forum_subscriptions.job_handlers(node))
    table.update(opportunity_jobs.job_handlers(node))
    table.update(opportunity_answers.job_handlers(node))
    table.update(guide_review.job_handlers(node))
    for feature in (mailing_jobs, bounce_jobs, newsletter_jobs, poll_jobs, assembly_jobs):
        table.update(feature.job_handlers(node))
    return table


async def start_node(settings: Settings, transport: httpx2.AsyncBaseTransport | None = None) -> Node:
    ctx = await open_database(settings)
    urls = Urls(settings.base_url)
    node = Node(settings=settings, ctx=ctx, client=make_client(settings, transport), urls=urls)

    async def policy_check(url: str) -> str | None:
        with activate(ctx):
            return await policy.client_check(node, url)

    node.client.policy_check = policy_check  # every outgoing request asks the federation policy first
    try:
        with activate(ctx):
            node.instance_signer = signer_for(await ensure_instance_actor(urls))
            await policy_jobs.ensure_refresh_jobs(node)
            await bounce_jobs.ensure_mailbox_job(node)  # the bounce mailbox's chain, when one is set
            await mailing_jobs.ensure_jobs(node)  # the mailing list's scan and digest chains
    except BaseException:
        await stop_node(node)
        raise
    worker = jobs.Worker(
        job_handlers(node),
        ctx=ctx,
        concurrency=settings.worker.concurrency,
        lease_seconds=settings.worker.lease_seconds,
        poll_interval=settings.worker.poll_interval,
        heartbeat_seconds=settings.worker.heartbeat_seconds,
        retry_max_delay=settings.worker.database_retry_max_seconds,
    )
    node.extra["worker"] = worker
    return node


async def stop_node(node: Node) -> None:
    await node.ld.close()
    await node.client.aclose()
    with activate(node.ctx):
        await node.ctx.close_connections()


def middleware_stack(settings: Settings, holder: dict[str, Any]) -> list[Middleware]:
    """Outermost first: compression, the cheap refusals and /healthz, proxies, the database context,
    rate limits, sessions (none on federation requests), the federation policy."""
    return [
        Middleware(Compression),  # gzip (node/web/compression.py)
        Middleware(RefuseNulMiddleware),
        Middleware(health_routes.HealthzMiddleware),  # GET /healthz, ahead of sessions and policy
        Middleware(ForwardedHeadersMiddleware, trusted=settings.trusted_proxies),
        Middleware(TortoiseContextMiddleware, holder=holder),
        Middleware(RateLimitMiddleware, settings=settings),
        Middleware(
            auth.Sessions,  # no session work on federation requests (node/web/auth.py)
            secret_key=settings.secret_key or "development-only-secret",
            session_cookie="agora_session",
            same_site="lax",
            https_only=settings.base_url.startswith("https://"),
            max_age=14 * 24 * 3600,
        ),
        Middleware(PolicyMiddleware, settings=settings, holder=holder),
    ]


def create_app(
    settings: Settings,
    *,
    transport: httpx2.AsyncBaseTransport | None = None,
    run_worker: bool | None = None,
    node: Node | None = None,
) -> Starlette:
    """The node as an ASGI app. `transport` routes outgoing HTTP (tests); `run_worker` overrides the
    config; a `node` already started (tests) is used as it is and its lifetime left to the caller."""
    holder: dict[str, Any] = {"ctx": node.ctx if node else None}
    in_process = settings.worker.in_process if run_worker is None else run_worker

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if node is not None:
            yield
            return
        running = await start_node(settings, transport)
        app.state.node = running
        holder["ctx"] = running.ctx
        stop = asyncio.Event()
        task = None
        if in_process:
            with activate(running.ctx):
                task = asyncio.create_task(supervise.run_worker(running, stop))
        try:
            yield
        finally:
            stop.set()
            if task is not None:
                await task
            await stop_node(running)

    middleware = middleware_stack(settings, holder)
    federation = ap_routes(post_pages.post_page, event_pages.event_page, initiative_pages.initiative_page)
    # The router tries routes in order: the hot federation paths (WebFinger, NodeInfo, actors, inboxes),
    # which no other route matches, go first; the rest of the table keeps its order.
    hot = [r for r in federation if getattr(r, "path", "").startswith(HOT_PREFIXES)]
    app = Starlette(
        routes=[
            *hot,
            # Fixed paths under /events (/events/new, /events/{slug}.ics...) before /events/{slug}.
            *public.routes(),  # before pages.routes(): it owns "/"
            *account.routes(),
            *leaving_pages.routes(),
            *forum_email_pages.routes(),
            *comment_pages.routes(),
            *forum_feeds.routes(),
            *media_routes.routes(),
            *language.routes(),
            *admin.routes(),
            *policy_pages.routes(),
            *moderation_pages.routes(),
            *event_pages.routes(),
            *initiative_pages.routes(), *opportunity_routes.routes(), *guide_pages.routes(),
            *ical_routes.routes(),
            *forum_web.routes(),
            *mailing_pages.routes(), *routes_bounces.routes(), *newsletter_pages.routes(), *poll_pages.routes(), *assembly_pages.routes(),
            *(r for r in federation if r not in hot),
            *post_pages.routes(),
            *login_pages.routes(),
            Mount("/static", app=static.static_files(), name="static"),  # hashed names cached a year
        ],
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={PageRefusal: pages.refused, 404: pages.not_found, Exception: pages.server_error},
    )
    if node is not None:
        app.state.node = node
    return app
