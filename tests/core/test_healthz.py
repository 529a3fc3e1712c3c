"""`/healthz`: the database, the newest worker heartbeat and the oldest due job; 503 when no worker
is alive or the database is gone; no login needed, nothing else in it."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime, timedelta

import httpx2

from node.app import create_app
from node.core import heartbeat, jobs, supervise
from node.core.db import activate, open_database
from node.core.jobs import utcnow
from node.core.runtime import Node, make_client
from node.core.urls import Urls
from node.policy import modes
from tests import helpers
from tests.conftest import Federation, client_for, node_settings


async def test_healthz_is_503_until_a_worker_beats_then_200(federation: Federation) -> None:
    node = await federation.add_node("a.test")
    async with client_for(node) as http:
        answer = await http.get("/healthz")
        assert answer.status_code == 503
        body = answer.json()
        assert body["database"] == "ok" and body["worker"] == {"last_heartbeat": None, "age_seconds": None,
                                                               "alive": False}
        assert body["queue"] == {"oldest_due": None, "due": 0}
        with activate(node.ctx):
            await heartbeat.beat("worker-one", utcnow())
        answer = await http.get("/healthz")
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["status"] == "ok" and body["worker"]["alive"] is True and body["worker"]["age_seconds"] < 5
        assert datetime.fromisoformat(body["worker"]["last_heartbeat"]) > utcnow() - timedelta(seconds=5)
        assert set(body) == {"status", "database", "worker", "queue"}  # no worker names, versions, hosts
        assert answer.headers["cache-control"] == "no-store"
        assert (await http.post("/healthz")).status_code == 405


async def test_a_running_worker_keeps_healthz_at_200(federation: Federation) -> None:
    node = await federation.add_node("a.test")
    stop = asyncio.Event()
    task = asyncio.create_task(supervise.run_worker(node, stop))
    try:
        async with client_for(node) as http:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 30  # the worker's start and first heartbeat, on a loaded machine too
            while (answer := await http.get("/healthz")).status_code != 200 and loop.time() < deadline:
                await asyncio.sleep(0.05)
            assert answer.status_code == 200, answer.text
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


async def test_healthz_reports_a_stale_worker_and_the_oldest_due_job(federation: Federation) -> None:
    node = await federation.add_node("a.test")
    stale = node.settings.worker.stale_after_seconds
    three_minutes_ago = utcnow() - timedelta(minutes=3)
    with activate(node.ctx):
        await heartbeat.beat("worker-one", utcnow() - timedelta(seconds=stale + 5))
        await jobs.enqueue("no-such-kind", {}, run_at=three_minutes_ago)
        await jobs.enqueue("no-such-kind", {}, run_at=utcnow() - timedelta(minutes=1))
        await jobs.enqueue("no-such-kind", {}, run_at=utcnow() + timedelta(hours=1))  # not due
    async with client_for(node) as http:
        answer = await http.get("/healthz")
    assert answer.status_code == 503
    body = answer.json()
    assert body["database"] == "ok"
    assert body["worker"]["alive"] is False and body["worker"]["age_seconds"] > stale
    assert body["queue"]["due"] == 2
    assert abs((datetime.fromisoformat(body["queue"]["oldest_due"]) - three_minutes_ago).total_seconds()) < 1


async def test_healthz_needs_no_login_even_in_limited_federation(federation: Federation) -> None:
    node = await federation.add_node("a.test")
    with activate(node.ctx):
        await modes.set_flag(node, "limited_federation", True, by="cli")
        await heartbeat.beat("worker-one", utcnow())
    async with client_for(node) as http:
        assert (await http.get("/")).status_code == 401  # the site's pages are for members
        answer = await http.get("/healthz")
    assert answer.status_code == 200 and answer.json()["database"] == "ok"


async def test_healthz_says_the_database_is_down(federation: Federation) -> None:
    settings = node_settings(federation.tmp_path, "down.test", database_url="postgres://agora@127.0.0.1:1/gone")
    settings = dataclasses.replace(settings, data_dir=str(federation.tmp_path / "down"))
    ctx = await open_database(settings)  # nothing listens there: every query is refused
    node = Node(settings=settings, ctx=ctx, client=make_client(settings), urls=Urls(settings.base_url))
    app = create_app(settings, node=node)
    try:
        async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url=settings.base_url) as http:
            answer = await http.get("/healthz")
        assert answer.status_code == 503
        assert answer.json() == {"status": "failing", "database": "down",
                                 "worker": {"last_heartbeat": None, "age_seconds": None, "alive": False},
                                 "queue": {"oldest_due": None, "due": None}}
    finally:
        await node.client.aclose()
        with activate(ctx):
            await ctx.close_connections()


async def test_the_admin_console_shows_the_same_health(federation: Federation) -> None:
    node = await federation.add_node("a.test")
    with activate(node.ctx):
        await jobs.enqueue("no-such-kind", {}, run_at=utcnow() - timedelta(minutes=3))
    async with helpers.logged_in(node, "root", "admin", password_changed=True) as http:
        page = await http.get("/admin/delivery")
        assert page.status_code == 200
        assert "Node health" in page.text and "no heartbeat" in page.text and "1 job due" in page.text
        with activate(node.ctx):
            await heartbeat.beat("worker-one", utcnow())
        page = await http.get("/admin/delivery")
        assert "no heartbeat" not in page.text and "alive" in page.text
