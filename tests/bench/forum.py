"""Forum benchmark (issue 12): a thread of 1,000 posts on SQLite, its page 1 rendered server-side
(requests per second), and the cost of delivering one reply to a category with 1,000 followers.

    .venv/bin/python tests/bench/forum.py            # alone
    from tests.bench import forum; await forum.run(print)   # from tests/bench/bench.py

Page 1 is requested through the app's ASGI interface in this process (no sockets), as a visitor,
`concurrency` requests at a time: served by the visitors' page cache (node/forum/pages_cache.py, a page
rendered at most CACHE_SECONDS ago), then once more with the cache off, which is what a signed-in
member's page costs. The target is judged per CPU-second of this process (the server,
its SQLite thread and the in-process client all count against it), since a machine shared with other
work gives the benchmark only part of a core; the wall-clock rate is printed beside it. The delivery phase
serves the node over loopback (the sink fetches the category's key) and counts the deliveries the sink
(tests/bench/peer.py, its own process) verified; its target is the fan-out one of bench.py, 25 % of this
machine's raw RSA signing rate. Everything lives in a temporary directory, removed afterwards."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import uvicorn
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from node.app import create_app, start_node, stop_node  # noqa: E402
from node.cli.server import bootstrap  # noqa: E402
from node.cli.users import add_user  # noqa: E402
from node.core.db import activate, run_migrations  # noqa: E402
from node.core.models import Actor, Follow, Job  # noqa: E402
from node.core.runtime import Node  # noqa: E402
from node.core.settings import AssociationSettings, LimitSettings, Settings, WorkerSettings  # noqa: E402
from node.forum import pages_cache, threads  # noqa: E402
from node.forum.categories import CategoryInput, create_category  # noqa: E402
from node.forum.models import Category, Topic  # noqa: E402
from node.posts.content import Draft  # noqa: E402

PEER_SCRIPT = Path(__file__).resolve().parent / "peer.py"
THREAD_POSTS = 1000
FOLLOWERS = 1000
TARGET_PAGE_RPS = 200.0
TARGET_DELIVERY_RATIO = 0.25  # deliveries/s >= 25 % of the raw signing rate, as bench.py's fan-out

Report = Callable[[str], Any]


@dataclass
class ForumResult:
    posts: int
    page: PageResult
    rendered: PageResult  # the visitors' page cache off: what each signed-in member's page costs
    followers: int
    delivery_seconds: float
    raw_sign_per_s: float
    build_seconds: float

    @property
    def deliveries_per_s(self) -> float:
        return self.followers / self.delivery_seconds if self.delivery_seconds else 0.0

    def rows(self) -> list[tuple[str, str, str, str]]:
        """(measure, value, target, PASS/FAIL) lines for a report table."""
        delivery_target = TARGET_DELIVERY_RATIO * self.raw_sign_per_s
        return [
            (f"forum thread of {self.posts:,} posts, page 1 (SQLite), per CPU-second", f"{self.page.cpu_rps:,.0f} req/s",
             f">= {TARGET_PAGE_RPS:,.0f} req/s", "PASS" if self.page.cpu_rps >= TARGET_PAGE_RPS else "FAIL"),
            ("forum page 1, per second of wall time (machine load included)", f"{self.page.wall_rps:,.0f} req/s", "-", "-"),
            ("forum page 1 latency, one at a time (p50)", f"{self.page.p50_ms:.1f} ms", "-", "-"),
            ("forum page 1 rendered every time (cache off, as for members), per CPU-second",
             f"{self.rendered.cpu_rps:,.0f} req/s", "-", "-"),
            ("forum page 1 rendered, latency one at a time (p50)", f"{self.rendered.p50_ms:.1f} ms", "-", "-"),
            (f"one reply to a category with {self.followers:,} followers", f"{self.delivery_seconds:.2f} s, "
             f"{self.deliveries_per_s:,.0f} deliveries/s", f">= {delivery_target:,.0f}/s (25 % of raw signing)",
             "PASS" if self.deliveries_per_s >= delivery_target else "FAIL"),
        ]


@contextlib.contextmanager
def database(node: Node) -> Iterator[None]:
    with activate(node.ctx):
        yield


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def settings_for(workdir: Path, port: int) -> Settings:
    return Settings(
        base_url=f"http://127.0.0.1:{port}", data_dir=str(workdir), database_url=f"sqlite://{workdir}/agora.sqlite3",
        secret_key="bench-secret", allow_private_addresses=True,
        association=AssociationSettings(handle="asso", name="Benchmark association"),
        worker=WorkerSettings(in_process=False),
        limits=LimitSettings(login_per_ip_per_minute=0, forms_per_ip_per_minute=0, inbox_per_ip_per_minute=0,
                             inbox_per_host_per_minute=0),
    )


def raw_signing_rate(seconds: float = 1.0) -> float:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    data = b"(request-target): post /inbox\nhost: peer\ndate: x\ndigest: y" * 3
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        count += 1
    return count / (time.perf_counter() - start)


async def build_thread(node: Node, posts: int) -> tuple[Category, Topic, Actor]:
    """A public category and a topic of `posts` posts (the opening one and replies), through the services."""
    with database(node):
        user, _ = await add_user(node, "alice", "alice@example.org", "member")
        alice = await Actor.get(id=user.actor_id)
        category = await create_category(node, "housing", CategoryInput(names={"en": "Housing"}))
        topic = await threads.start_topic(node, alice, category, Draft(
            text="Where do I find a room near the university? " * 5, title="Rooms in Paris"))
        for n in range(posts - 1):
            await threads.reply(node, alice, topic, Draft(text=f"Reply {n + 1}: ask the housing office, **Tuesdays** 9-12. " * 3))
        await Job.filter(status="queued").delete()  # the Announces to no follower: not part of what is measured
        return category, await Topic.get(id=topic.id), alice


@dataclass
class PageResult:
    wall_rps: float  # requests answered per second of wall time (what the machine's load leaves us)
    cpu_rps: float  # requests per CPU-second of this process: server, SQLite thread and client included
    p50_ms: float  # one request at a time
    size: int  # bytes of HTML


async def bench_page(node: Node, topic: Topic, seconds: float = 5.0, concurrency: int = 8) -> PageResult:
    """Page 1 of the thread, as a visitor: requests per second (wall and per CPU-second), the
    one-at-a-time p50 and the page size."""
    app = create_app(node.settings, node=node)
    path = f"/topics/{topic.slug}"
    headers = {"Accept": "text/html"}
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url=node.settings.base_url) as http:
        first = await http.get(path, headers=headers)
        if first.status_code != 200 or "Reply 19:" not in first.text:
            raise RuntimeError(f"page 1 of the thread answered {first.status_code}")
        single = []
        for _ in range(30):
            start = time.perf_counter()
            await http.get(path, headers=headers)
            single.append(time.perf_counter() - start)
        done = 0
        deadline = time.perf_counter() + seconds

        async def client() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                answer = await http.get(path, headers=headers)
                if answer.status_code != 200:
                    raise RuntimeError(f"page 1 answered {answer.status_code}")
                done += 1

        start, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(client() for _ in range(concurrency)))
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    single.sort()
    return PageResult(done / elapsed, done / cpu if cpu else 0.0, single[len(single) // 2] * 1000, len(first.content))


async def add_followers(peer_base: str, group: Actor, count: int) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    domain = peer_base.removeprefix("http://")
    await Actor.bulk_create([
        Actor(uri=f"{peer_base}/users/f{i}", local=False, kind="Person", username=f"f{i}", domain=domain,
              name=f"Follower {i}", inbox=f"{peer_base}/inbox/{i}", fetched_at=now)
        for i in range(count)
    ], batch_size=500)
    ids = await Actor.filter(domain=domain, local=False).values_list("id", flat=True)
    await Follow.bulk_create([
        Follow(uri=f"{peer_base}/follows/{n}", follower_id=i, target_id=group.id, state="accepted")
        for n, i in enumerate(ids)
    ], batch_size=500)


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def _wait(http: httpx2.AsyncClient, url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx2.TransportError):
            if (await http.get(url)).status_code < 500:
                return
        await asyncio.sleep(0.05)
    raise RuntimeError(f"{url} did not answer")


async def bench_delivery(node: Node, category: Category, topic: Topic, author: Actor, followers: int,
                         timeout: float = 300.0) -> float:
    """Seconds from one reply to the sink having verified the category's Announce at every follower."""
    peer_port = free_port()
    peer_base = f"http://127.0.0.1:{peer_port}"
    peer = subprocess.Popen([sys.executable, str(PEER_SCRIPT), "--port", str(peer_port)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    port = int(node.settings.base_url.rsplit(":", 1)[1])
    server = _Server(uvicorn.Config(create_app(node.settings, node=node), host="127.0.0.1", port=port,
                                    log_level="warning", access_log=False, lifespan="off"))
    stop = asyncio.Event()
    serving = asyncio.create_task(server.serve())  # the sink fetches the category's key here
    worker: asyncio.Task[None] | None = None
    try:
        async with httpx2.AsyncClient(timeout=10.0, trust_env=False) as http:
            await _wait(http, f"{peer_base}/stats")
            while not server.started:
                await asyncio.sleep(0.02)
            with database(node):
                group = await Actor.get(id=category.actor_id)
                await add_followers(peer_base, group, followers)
                worker = asyncio.create_task(node.extra["worker"].run_forever(stop))
            await asyncio.sleep(0.3)
            await http.post(f"{peer_base}/reset")
            start = time.perf_counter()
            with database(node):
                await threads.reply(node, author, topic, Draft(text="One more reply: the office moved to room 12."))
            while True:
                stats = (await http.get(f"{peer_base}/stats")).json()
                if stats["failed"]:
                    raise RuntimeError(f"the sink refused {stats['failed']} deliveries: {stats['reasons']}")
                if stats["verified"] >= followers:
                    with database(node):
                        busy = await Job.filter(status__in=("queued", "running"),
                                                run_at__lte=dt.datetime.now(dt.timezone.utc)).count()
                    if busy == 0:
                        return time.perf_counter() - start
                if time.perf_counter() - start > timeout:
                    raise RuntimeError(f"delivery not done after {timeout:.0f} s: {stats}")
                await asyncio.sleep(0.02)
    finally:
        stop.set()
        if worker is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(worker, 30)
        server.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(serving, 10)
        peer.terminate()
        with contextlib.suppress(Exception):
            peer.wait(10)


async def run(report: Report = print, posts: int = THREAD_POSTS, followers: int = FOLLOWERS) -> ForumResult:
    """The forum phase: prints progress and the figures through `report`, returns them."""
    with tempfile.TemporaryDirectory(prefix="agora-bench-forum-") as tmp:
        workdir = Path(tmp)
        settings = settings_for(workdir, free_port())
        await run_migrations(settings)
        node = await start_node(settings)
        try:
            with database(node):
                await bootstrap(node, None, "")
            started = time.perf_counter()
            report(f"forum: building a thread of {posts:,} posts")
            category, topic, alice = await build_thread(node, posts)
            built = time.perf_counter() - started
            report(f"forum: built in {built:.1f} s; page 1, as a visitor")
            page = await bench_page(node, topic)
            report("forum: page 1 again, rendered each time (the visitors' page cache off)")
            kept, pages_cache.CACHE_SECONDS = pages_cache.CACHE_SECONDS, 0.0
            try:
                rendered = await bench_page(node, topic)
            finally:
                pages_cache.CACHE_SECONDS = kept
            report(f"forum: delivering one reply to {followers:,} followers of the category")
            seconds = await bench_delivery(node, category, topic, alice, followers)
        finally:
            await stop_node(node)
    result = ForumResult(posts=posts, page=page, rendered=rendered, followers=followers,
                         delivery_seconds=seconds, raw_sign_per_s=raw_signing_rate(), build_seconds=built)
    for measure, value, target, verdict in result.rows():
        report(f"{measure:<58} {value:>34}   target {target:<34} {verdict}")
    report(f"(page 1 is {result.page.size / 1024:.0f} KB of HTML; raw RSA-2048 signing {result.raw_sign_per_s:,.0f}/s)")
    return result


def main() -> int:
    result = asyncio.run(run(print))
    return 0 if all(row[3] != "FAIL" for row in result.rows()) else 1


if __name__ == "__main__":
    sys.exit(main())
