"""Fan-out on PostgreSQL with 1 and 2 `agora worker` processes: deliveries per second of one post to
`--followers` remote inboxes (each its own inbox, no shared inbox), measured against the loopback sink
of tests/scale/sink.py, which verifies every signature.

The node is `agora init --dev` into a private PostgreSQL database (dropped afterwards), one `agora serve`
(the sink fetches the node's key from it) and N `agora worker` processes; this process stores the
followers and publishes each post (one transaction: the post, its activity, the fan-out job), then waits
until the sink has verified every delivery and no job is left. Each worker count gets `--rounds` posts;
the median round is reported, and the ratio of the two rates, measured in the same run.

    .venv/bin/python tests/bench/fanout_pg.py [--followers 1000] [--rounds 3]

bench.py runs it as its phase "fanout_pg" (`run`, `rows`, `details`)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script: tests.scale is imported from the repository
    sys.path.insert(0, str(ROOT))

import httpx2  # noqa: E402

from federation.signatures import generate_key_pair  # noqa: E402
from node.accounts.actors import local_actor  # noqa: E402
from node.app import start_node, stop_node  # noqa: E402
from node.core.db import activate  # noqa: E402
from node.core.models import Actor, Follow, Job  # noqa: E402
from node.core.settings import load_settings  # noqa: E402
from node.posts.content import Draft, create_post  # noqa: E402
from tests.scale.cluster import HANDLE, Cluster, check_postgres, create_database, drop_database, start_sink  # noqa: E402
from tests.scale.services import free_port  # noqa: E402

SETTINGS = """[worker]
in_process = false
poll_interval = 0.1

[limits]
inbox_per_host_per_minute = 0
inbox_per_ip_per_minute = 0
login_per_ip_per_minute = 0
forms_per_ip_per_minute = 0
"""


@dataclass
class FanoutPg:
    followers: int
    concurrency: int
    seconds: dict[int, list[float]] = field(default_factory=dict)  # worker processes -> round durations

    def rate(self, workers: int) -> float:
        return self.followers / statistics.median(self.seconds[workers])

    @property
    def ratio(self) -> float:
        return self.rate(2) / self.rate(1)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] fan-out pg: {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def database(ctx: Any) -> Iterator[None]:
    with activate(ctx):
        yield


async def add_followers(sink: str, target: Actor, count: int) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    domain = sink.removeprefix("http://")
    await Actor.bulk_create([
        Actor(uri=f"{sink}/users/f{i}", local=False, kind="Person", username=f"f{i}", domain=domain,
              name=f"Follower {i}", inbox=f"{sink}/inbox/f{i}", shared_inbox=None, fetched_at=now)
        for i in range(count)
    ], batch_size=500)
    ids = await Actor.filter(domain=domain, local=False).values_list("id", flat=True)
    await Follow.bulk_create([Follow(uri=f"{sink}/follows/{n}", follower_id=actor_id, target_id=target.id,
                                     state="accepted") for n, actor_id in enumerate(ids)], batch_size=500)


async def one_round(node: Any, author: Actor, http: httpx2.AsyncClient, sink: str, followers: int,
                    cluster: Cluster, timeout: float, label: str) -> float:
    await http.post(f"{sink}/reset")
    await asyncio.sleep(0.5)  # the workers are idle and polling, as in a running node
    start = time.perf_counter()
    with database(node.ctx):
        await create_post(node, author, Draft(text=f"Assemblée générale ({label}) samedi à 14 h. " * 6))
    while True:
        stats = (await http.get(f"{sink}/stats")).json()
        if stats["failed"]:
            raise RuntimeError(f"the sink refused {stats['failed']} deliveries: {stats['reasons']}")
        if stats["verified"] >= followers:
            with database(node.ctx):
                busy = await Job.filter(status__in=("queued", "running"),
                                        run_at__lte=dt.datetime.now(dt.timezone.utc)).count()
            if busy == 0:
                break
        cluster.check_alive()
        if time.perf_counter() - start > timeout:
            raise RuntimeError(f"fan-out not done after {timeout:.0f} s: sink {stats['verified']}/{followers}")
        await asyncio.sleep(0.02)
    elapsed = time.perf_counter() - start
    log(f"{label}: {followers} delivered in {elapsed:.2f} s ({followers / elapsed:,.0f}/s)")
    return elapsed


async def measure(workdir: Path, followers: int = 1000, rounds: int = 3, timeout: float = 240.0) -> FanoutPg:
    """The figures, in a node set up under `workdir` (removed by the caller)."""
    await check_postgres()
    name = await create_database()
    cluster = Cluster(workdir / "fanout-pg", name, free_port())
    cluster.workdir.mkdir(parents=True, exist_ok=True)
    node = None
    try:
        cluster.init(SETTINGS)
        private_pem, public_pem = generate_key_pair()
        (cluster.workdir / "remote.pem").write_text(public_pem)
        sink_port = free_port()
        start_sink(cluster, cluster.workdir / "remote.pem", sink_port)
        sink = f"http://127.0.0.1:{sink_port}"
        cluster.wait_ready(cluster.serve("serve", cluster.base_port))
        settings = load_settings(cluster.config, env={})
        node = await start_node(settings)
        with database(node.ctx):
            author = await local_actor(HANDLE)
            assert author is not None
            await add_followers(sink, author, followers)
        result = FanoutPg(followers, settings.worker.concurrency)
        async with httpx2.AsyncClient(timeout=10.0, trust_env=False) as http:
            for count in (1, 2):
                workers = [cluster.worker(f"worker-{count}-{n}") for n in range(count)]
                for proc in workers:
                    cluster.wait_ready(proc)
                log(f"{count} worker process(es), {followers} followers, {rounds} round(s)")
                result.seconds[count] = [await one_round(node, author, http, sink, followers, cluster, timeout,
                                                         f"{count} workers, round {r + 1}") for r in range(rounds)]
                for proc in workers:
                    cluster.stop(proc)
        return result
    finally:
        cluster.stop_all()
        if node is not None:
            await stop_node(node)
        await drop_database(name)


async def run(workdir: Path, children: Any, args: argparse.Namespace) -> FanoutPg:
    """bench.py's phase "fanout_pg" (its processes are this module's own, stopped before it returns)."""
    return await measure(workdir, args.followers, args.rounds, args.timeout)


def rows(result: FanoutPg | None) -> list[tuple[str, str, str, bool | None]]:
    if result is None:
        return []
    return [
        ("fan-out on PostgreSQL, 1 `agora worker`, deliveries/s", f"{result.rate(1):,.0f}/s", "", None),
        ("fan-out on PostgreSQL, 2 `agora worker`, deliveries/s",
         f"{result.rate(2):,.0f}/s ({result.ratio:.2f}x of 1)", "", None),
    ]


def details(result: FanoutPg | None) -> list[str]:
    if result is None:
        return []
    rounds = "; ".join(f"{n} worker(s): " + ", ".join(f"{result.followers / s:,.0f}/s" for s in times)
                       for n, times in sorted(result.seconds.items()))
    return [f"fan-out on PostgreSQL: {result.followers} followers (one inbox each), worker concurrency "
            f"{result.concurrency} per process, median of the rounds; rounds: {rounds}. On a 2-core machine the "
            "second worker shares the cores with the first, the sink and PostgreSQL."]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--followers", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=240.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="agora-fanout-pg-") as folder:
        result = asyncio.run(measure(Path(folder), args.followers, args.rounds, args.timeout))
    for figure, measured, _, _ in rows(result):
        print(f"{figure}: {measured}")
    for line in details(result):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
