"""Agora benchmark: signing rate, delivery fan-out, inbox throughput and memory, NodeInfo latency while
costly Linked Data signatures arrive, reads against snac2 (actor documents, WebFinger) and the weight
of an event page on a phone, in one run.

Run from the repository root (`make bench`):

    .venv/bin/python tests/bench/bench.py                        # print the figures
    .venv/bin/python tests/bench/bench.py --write BENCHMARKS.md  # ... and rewrite the table there

Everything runs on loopback (127.0.0.1) in a temporary directory that is removed afterwards; nothing is
written into the repository except with --write. Child processes (the peer helper and `agora serve`)
are always stopped, on errors and on Ctrl-C too. See BENCHMARKS.md for the method.

Adding a phase: a module next to this one with an `async def run(...)` returning its results, and a
`rows(result) -> [(figure, measured, target, ok)]` / `details(result) -> [str]` pair (tests/bench/reads.py
is the model); call it from `run_phases` under a name of `--only`, and add its rows and details in
`report`. The hook for the fan-out on PostgreSQL (1 and 2 worker processes) is `fanout_pg` below.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import pageweight
import reads
import uvicorn
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from federation import vocab
from federation.client import FetchError
from federation.client.pool import KeepAlivePool  # part C: the inbox load generator's client
from federation.signatures import generate_key_pair, sign_cavage
from node.accounts.actors import local_actor
from node.app import create_app, start_node, stop_node
from node.core.runtime import run_async
from node.posts.content import Draft, create_post
from node.core.models import Actor, Follow, Job
from node.core.settings import Settings, load_settings

HERE = Path(__file__).resolve().parent
PEER_SCRIPT = HERE / "peer.py"
HANDLE = "asso"
MARK_BEGIN = "<!-- bench:begin -->"
MARK_END = "<!-- bench:end -->"

# HOOK (fan-out on PostgreSQL, issue 15 part B): tests/bench/fanout_pg.py, when present, is run as the
# phase "fanout_pg": `await fanout_pg.run(workdir, children, args)` measures the fan-out with 1 and 2
# `agora worker` processes and returns its result; `fanout_pg.rows(result)` gives
# [(figure, measured, target, ok)] and `fanout_pg.details(result)` [str] for the report.
try:
    import fanout_pg  # type: ignore[import-not-found, unused-ignore]
except ImportError:  # not written yet
    fanout_pg = None

# HOOK (newsletters, issue 14): tests/bench/mail.py is the phase "mail": `await mail_bench.run(workdir,
# children, args)` sends a newsletter to a local aiosmtpd server (emails queued and sent per second);
# `mail_bench.rows(result)` and `mail_bench.details(result)` as above.
try:
    import mail as mail_bench  # type: ignore[import-not-found, unused-ignore]
except ImportError:  # not written yet
    mail_bench = None

# Targets (from the performance issues; issue 15's table).
TARGET_FANOUT_RATIO = 0.50  # deliveries/s >= 50 % of the raw signing rate
TARGET_INBOX_ACCEPTED = 1500.0  # signed POSTs answered 202 per second
TARGET_INBOX_PROCESSED = 500.0  # inbox activities processed per second
TARGET_IDLE_RSS_MB = 80.0  # at most

# Environment variables that would point a node somewhere else than the benchmark's temp dir.
_AGORA_LOCATION_VARS = (
    "AGORA_CONFIG", "AGORA_BASE_URL", "AGORA_DATA_DIR", "AGORA_DATABASE_URL",
    "AGORA_ALLOW_PRIVATE_ADDRESSES", "AGORA_HOST", "AGORA_PORT",
)  # fmt: skip


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class BenchError(Exception):
    """The benchmark could not run (not a slow result: a broken set-up)."""


# ---------------------------------------------------------------------------------------------------
# processes


@contextlib.contextmanager
def database(ctx: Any) -> Iterator[None]:
    """Make a node's Tortoise context current in this task (node.db.activate; `with ctx:` would keep its
    reset token on the shared context object and break when the worker or a request enters it too)."""
    try:
        from node.core.db import activate
    except ImportError:  # an older tree without node.db.activate
        with ctx:
            yield
        return
    with activate(ctx):
        yield


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _AGORA_LOCATION_VARS}
    env["PYTHONUNBUFFERED"] = "1"
    # The benchmark measures capacity: every request comes from 127.0.0.1, which the per-IP rate limits
    # would cut at 1,200 inbox POSTs a minute (they are tested in tests/core/test_ratelimit.py).
    for name in ("INBOX_PER_IP", "INBOX_PER_HOST", "LOGIN_PER_IP", "FORMS_PER_IP"):
        env[f"AGORA_LIMITS_{name}_PER_MINUTE"] = "0"
    # As in config/production.example.toml: behind a proxy, the proxy keeps the access log.
    env["AGORA_SERVER_ACCESS_LOG"] = "false"
    return env


def agora_command() -> list[str]:
    script = Path(sys.executable).with_name("agora")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from node.cli.main import main; sys.exit(main())"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def proc_cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc/PID/stat."""
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def system_busy_seconds() -> float:
    """CPU time spent by the whole machine (all cores, every process), from /proc/stat."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields)
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


class CpuWatch:
    """CPU used by this process and the given children during a phase, and by everything else."""

    def __init__(self, *children: subprocess.Popen[bytes]) -> None:
        self.children = children
        self.wall = time.perf_counter()
        self.system = system_busy_seconds()
        self.own = time.process_time()
        self.child = [proc_cpu_seconds(c.pid) for c in children]

    def stop(self) -> tuple[float, float, list[float]]:
        """(seconds of wall time, CPU seconds used by other processes, CPU seconds of each child)."""
        wall = time.perf_counter() - self.wall
        child = [proc_cpu_seconds(c.pid) - before for c, before in zip(self.children, self.child)]
        own = time.process_time() - self.own
        other = system_busy_seconds() - self.system - own - sum(child)
        return wall, max(other, 0.0), child


def proc_status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise BenchError(f"{key} not in /proc/{pid}/status")


class Children:
    """Every child process the benchmark starts; stop_all() ends each one by its pid."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.procs: list[tuple[str, subprocess.Popen[bytes], Path]] = []

    def start(self, name: str, argv: Sequence[str]) -> subprocess.Popen[bytes]:
        log_path = self.workdir / f"{name}.log"
        with log_path.open("wb") as out:
            proc = subprocess.Popen(
                list(argv), stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=child_env(), start_new_session=True,  # Ctrl-C reaches us only; we stop them
            )  # fmt: skip
        self.procs.append((name, proc, log_path))
        return proc

    def log_tail(self, proc: subprocess.Popen[bytes], lines: int = 25) -> str:
        for _, p, path in self.procs:
            if p is proc and path.exists():
                return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def stop(self, proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)

    def stop_all(self) -> None:
        for _, proc, _ in reversed(self.procs):
            with contextlib.suppress(Exception):
                self.stop(proc)


def run_cli(args: Sequence[str], workdir: Path) -> str:
    result = subprocess.run(
        agora_command() + list(args), capture_output=True, text=True, env=child_env(), cwd=workdir,
        timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    if result.returncode != 0:
        raise BenchError(f"agora {' '.join(args[:2])} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def init_node(data_dir: Path, port: int) -> Path:
    """`agora init --dev` in data_dir for http://127.0.0.1:port; returns the config path."""
    run_cli(
        [
            "init", "--dev", "--base-url", f"http://127.0.0.1:{port}", "--handle", HANDLE,
            "--name", "Benchmark association", "--admin-email", "bench@example.org",
            "--data-dir", str(data_dir),
        ],
        data_dir.parent,
    )  # fmt: skip
    return data_dir / "agora.toml"


def node_settings(config: Path) -> Settings:
    return load_settings(config, env=child_env())


async def wait_http(client: httpx2.AsyncClient, url: str, proc: subprocess.Popen[bytes] | None,
                    children: Children, timeout: float = 30.0) -> None:  # fmt: skip
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise BenchError(f"{url}: the process exited ({proc.returncode}):\n{children.log_tail(proc)}")
        with contextlib.suppress(httpx2.TransportError):
            if (await client.get(url)).status_code < 500:
                return
        await asyncio.sleep(0.05)
    raise BenchError(f"{url} did not answer within {timeout:.0f} s")


def start_peer(children: Children, port: int, key_file: Path | None = None) -> subprocess.Popen[bytes]:
    argv = [sys.executable, str(PEER_SCRIPT), "--port", str(port)]
    if key_file is not None:
        argv += ["--key", str(key_file)]
    return children.start(f"peer-{port}", argv)


# ---------------------------------------------------------------------------------------------------
# 1. signing


@dataclass
class SigningResult:
    raw_sign_per_s: float
    raw_verify_per_s: float
    cavage_per_s: float
    body_bytes: int
    wall: float = 0.0
    other_cpu: float = 0.0


def _rate(fn: Any, seconds: float, slices: int = 4) -> float:
    """Calls per second: the best of `slices` equal slices (a busy neighbour only lowers some of them)."""
    fn()  # warm
    best = 0.0
    for _ in range(slices):
        count, start = 0, time.perf_counter()
        while True:
            for _ in range(10):
                fn()
            count += 10
            elapsed = time.perf_counter() - start
            if elapsed >= seconds / slices:
                best = max(best, count / elapsed)
                break
    return best


def typical_post_body() -> bytes:
    """A Create{Note} of ordinary size, as the node sends it (compact JSON)."""
    remote = "https://remote.example/users/bob"
    note_id, author = "https://asso.example/posts/18f3a2b4c5d6e7", "https://asso.example/users/asso"
    to, cc = [vocab.PUBLIC], [f"{author}/followers", remote]
    note: dict[str, Any] = {
        "id": note_id,
        "type": "Note",
        "attributedTo": author,
        "content": "<p>" + "Assemblée générale samedi à 14 h, salle des fêtes. " * 8 + "</p>",
        "published": "2025-01-01T12:00:00Z",
        "to": to,
        "cc": cc,
        "tag": [{"type": "Mention", "href": remote, "name": "@bob@remote.example"}],
    }
    doc = vocab.activity("Create", f"{note_id}/activity", author, note, to=to, cc=cc)
    return json.dumps(doc, separators=(",", ":")).encode()


def bench_signing(seconds: float) -> SigningResult:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key()
    data = b"(request-target): post /users/bob/inbox\nhost: remote.example\ndate: x\ndigest: y" * 3
    pkcs1, sha256 = padding.PKCS1v15(), hashes.SHA256()
    raw = _rate(lambda: key.sign(data, pkcs1, sha256), seconds)
    signature = key.sign(data, pkcs1, sha256)
    verify = _rate(lambda: public.verify(signature, data, pkcs1, sha256), seconds / 2)
    private_pem, _ = generate_key_pair()
    body = typical_post_body()
    headers = {"User-Agent": "Agora/0.1.0", "Accept": "application/activity+json", "Content-Type": "application/activity+json"}
    url = "https://remote.example/users/bob/inbox"
    key_id = "https://asso.example/users/asso#main-key"
    cavage = _rate(lambda: sign_cavage("POST", url, headers, body, key_id, private_pem), seconds)
    return SigningResult(raw, verify, cavage, len(body))


# ---------------------------------------------------------------------------------------------------
# 2. fan-out


@dataclass
class FanoutRound:
    seconds: float
    node_cpu: float
    sink_cpu: float
    other_cpu: float
    first_delivery: float | None
    signers_cpu: float = 0.0  # part C: the node's signing worker processes (not counted in other_cpu)


def signer_cpu(node: Any) -> dict[int, float]:
    """Part C: CPU seconds of each of the node's signing worker processes (none on an older tree)."""
    return {pid: proc_cpu_seconds(pid) for pid in getattr(getattr(node.client, "signing", None), "pids", [])}


@dataclass
class FanoutResult:
    followers: int
    concurrency: int
    rounds: list[FanoutRound]
    sink_verified: int
    sink_key_fetches: int
    jobs: dict[str, int]
    retried: int

    @property
    def median(self) -> FanoutRound:
        """The round of median duration (the figure reported)."""
        return sorted(self.rounds, key=lambda r: r.seconds)[len(self.rounds) // 2]

    @property
    def seconds(self) -> float:
        return self.median.seconds

    @property
    def node_cpu(self) -> float:
        return self.median.node_cpu

    @property
    def sink_cpu(self) -> float:
        return self.median.sink_cpu

    @property
    def other_cpu(self) -> float:
        return self.median.other_cpu

    @property
    def rate(self) -> float:
        return self.followers / self.seconds


class _NoSignalServer(uvicorn.Server):
    """uvicorn inside the benchmark's own loop: Ctrl-C must reach the benchmark, not the server."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def add_followers(node_peer: str, target: Actor, count: int) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    domain = node_peer.removeprefix("http://")
    actors = [
        Actor(
            uri=f"{node_peer}/users/f{i}", local=False, kind="Person", username=f"f{i}", domain=domain,
            name=f"Follower {i}", inbox=f"{node_peer}/inbox/{i}", shared_inbox=None, fetched_at=now,
        )  # fmt: skip
        for i in range(count)
    ]
    await Actor.bulk_create(actors, batch_size=500)
    ids = await Actor.filter(domain=domain, local=False).values_list("id", flat=True)
    follows = [
        Follow(uri=f"{node_peer}/follows/{n}", follower_id=actor_id, target_id=target.id, state="accepted")
        for n, actor_id in enumerate(ids)
    ]
    await Follow.bulk_create(follows, batch_size=500)
    if len(ids) != count:
        raise BenchError(f"stored {len(ids)} followers, expected {count}")


async def fanout_round(node: Any, author: Actor, http: httpx2.AsyncClient, peer: subprocess.Popen[bytes],
                       peer_base: str, followers: int, timeout: float, n: int) -> FanoutRound:  # fmt: skip
    """Publish one post; wait until the sink has verified every delivery and no job is left."""
    watch = CpuWatch(peer)
    signers = signer_cpu(node)
    start, wall_start = time.perf_counter(), time.time()
    with database(node.ctx):
        await create_post(node, author, Draft(text=f"Assemblée générale n° {n + 1} samedi à 14 h. " * 6))
    deadline = start + timeout
    while True:
        stats = (await http.get(f"{peer_base}/stats")).json()
        if stats["failed"]:
            raise BenchError(f"the sink refused {stats['failed']} deliveries: {stats['reasons']}")
        if stats["verified"] >= followers:
            with database(node.ctx):
                busy = await Job.filter(status__in=("queued", "running"), run_at__lte=dt.datetime.now(dt.timezone.utc)).count()
            if busy == 0:
                break
        if time.perf_counter() > deadline:
            raise BenchError(f"fan-out not done after {timeout:.0f} s: sink {stats}")
        await asyncio.sleep(0.02)
    elapsed = time.perf_counter() - start
    _, other_cpu, (sink_cpu,) = watch.stop()
    signers_cpu = sum(cpu - signers.get(pid, 0.0) for pid, cpu in signer_cpu(node).items())
    first = stats["first_at"] - wall_start if stats["first_at"] else None
    log(f"fan-out: round {n + 1}: {followers} delivered in {elapsed:.2f} s ({followers / elapsed:,.0f}/s)")
    return FanoutRound(elapsed, time.process_time() - watch.own, sink_cpu, max(other_cpu - signers_cpu, 0.0), first,
                       signers_cpu)  # fmt: skip


async def bench_fanout(workdir: Path, children: Children, followers: int, rounds: int, timeout: float) -> FanoutResult:
    node_port, peer_port = free_port(), free_port()
    data_dir = workdir / "fanout"
    log(f"fan-out: agora init --dev (node on :{node_port}), sink on :{peer_port}")
    config = init_node(data_dir, node_port)
    peer = start_peer(children, peer_port)
    peer_base = f"http://127.0.0.1:{peer_port}"
    settings = node_settings(config)
    node = await start_node(settings)
    stop = asyncio.Event()
    worker_task: asyncio.Task[None] | None = None
    serve_task: asyncio.Task[None] | None = None
    server = _NoSignalServer(
        uvicorn.Config(create_app(settings, node=node), host="127.0.0.1", port=node_port,
                       log_level="warning", access_log=False, lifespan="off")
    )  # fmt: skip
    try:
        serve_task = asyncio.create_task(server.serve())  # serves the actor document: the sink fetches the key
        async with httpx2.AsyncClient(timeout=10.0, trust_env=False) as http:
            await wait_http(http, f"{peer_base}/stats", peer, children)
            while not server.started:
                if serve_task.done():
                    serve_task.result()
                await asyncio.sleep(0.02)
            with database(node.ctx):
                author = await local_actor(HANDLE)
                if author is None:
                    raise BenchError("the association actor is missing")
                await add_followers(peer_base, author, followers)
                worker_task = asyncio.create_task(node.extra["worker"].run_forever(stop))
            log(f"fan-out: {followers} followers stored; {rounds} round(s) of publishing one post "
                f"(worker concurrency {settings.worker.concurrency})")  # fmt: skip
            results = []
            for n in range(rounds):
                await asyncio.sleep(0.3)  # the worker is idle and waiting, as in a running node
                await http.post(f"{peer_base}/reset")
                results.append(await fanout_round(node, author, http, peer, peer_base, followers, timeout, n))
            stats = (await http.get(f"{peer_base}/stats")).json()
            with database(node.ctx):
                jobs = {s: await Job.filter(kind="deliver", status=s).count() for s in ("queued", "running", "done", "dead")}
                retried = await Job.filter(kind="deliver", attempts__gt=1).count()
        return FanoutResult(
            followers=followers, concurrency=settings.worker.concurrency, rounds=results,
            sink_verified=stats["verified"], sink_key_fetches=stats["key_fetches"], jobs=jobs, retried=retried,
        )  # fmt: skip
    finally:
        stop.set()
        if worker_task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(worker_task, 30)
        server.should_exit = True
        if serve_task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(serve_task, 10)
        await stop_node(node)
        children.stop(peer)


# ---------------------------------------------------------------------------------------------------
# 3. inbox and 4. memory


@dataclass
class InboxResult:
    requests: int
    concurrency: int
    actors: int
    accept_seconds: float
    process_seconds: float
    statuses: dict[int, int]
    backlog_at_accept_end: int
    node_cpu_accept: float
    node_cpu_total: float
    loadgen_cpu: float
    idle_rss_mb: float
    idle_hwm_mb: float
    loaded_rss_mb: float
    peak_rss_mb: float
    other_cpu: float
    checks: dict[str, int] = field(default_factory=dict)

    @property
    def accepted(self) -> int:
        return self.statuses.get(202, 0)

    @property
    def accepted_rate(self) -> float:
        return self.accepted / self.accept_seconds

    @property
    def failed(self) -> int:
        return self.requests - self.accepted

    @property
    def processed_rate(self) -> float:
        return self.accepted / self.process_seconds


@dataclass
class Signed:
    path: str
    headers: dict[str, str]
    body: bytes


class RemoteActors:
    """Senders living on the peer helper (one shared RSA key, one keyId per actor)."""

    def __init__(self, peer_base: str, count: int, private_pem: str, node_base: str, post_uris: list[str]) -> None:
        self.peer_base = peer_base
        self.count = count
        self.private_pem = private_pem
        self.node_base = node_base
        self.assoc = f"{node_base}/users/{HANDLE}"
        self.post_uris = post_uris

    def actor(self, i: int) -> str:
        return f"{self.peer_base}/users/a{i}"

    def create(self, i: int, serial: str) -> tuple[str, dict[str, Any]]:
        actor = self.actor(i)
        note_id = f"{actor}/statuses/{serial}"
        now = vocab.iso(dt.datetime.now(dt.timezone.utc))
        host = self.node_base.removeprefix("http://")
        note = {
            "id": note_id, "type": "Note", "attributedTo": actor, "url": note_id, "published": now,
            "content": f'<p><span class="h-card"><a href="{self.assoc}" class="u-url mention">@asso</a></span> '
            + "Merci pour l'invitation, nous serons là avec les enfants ! " * 4 + "</p>",
            "to": [vocab.PUBLIC], "cc": [f"{actor}/followers", self.assoc],
            "tag": [{"type": "Mention", "href": self.assoc, "name": f"@{HANDLE}@{host}"}],
        }  # fmt: skip
        doc = vocab.activity("Create", f"{note_id}/activity", actor, note, to=note["to"], cc=note["cc"], published=now)
        return "/inbox", doc

    def like(self, i: int, post_index: int, serial: str) -> tuple[str, dict[str, Any]]:
        actor = self.actor(i)
        doc = {"@context": vocab.AS2, "id": f"{actor}/likes/{serial}", "type": "Like", "actor": actor,
               "object": self.post_uris[post_index % len(self.post_uris)]}  # fmt: skip
        return f"/users/{HANDLE}/inbox", doc

    def sign(self, i: int, path: str, doc: dict[str, Any]) -> Signed:
        body = json.dumps(doc, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/activity+json", "Accept": "application/activity+json"}
        headers.update(sign_cavage("POST", self.node_base + path, headers, body, f"{self.actor(i)}#main-key", self.private_pem))
        return Signed(path, headers, body)

    def workload(self, n: int) -> list[Signed]:
        """n distinct activities, half Like (personal inbox), half Create (shared inbox)."""
        out = []
        for k in range(n):
            i = (k // 2) % self.count
            if k % 2 == 0:
                path, doc = self.like(i, (k // 2) // self.count, f"b{k}")
            else:
                path, doc = self.create(i, f"b{k}")
            out.append(self.sign(i, path, doc))
        return out


async def post_all(http: httpx2.AsyncClient, base: str, items: list[Signed], concurrency: int) -> Counter[int]:
    """POST every item, `concurrency` at a time. Part C: through federation's keep-alive pool (about
    20 us of CPU per request here, against about 500 us for httpx2, which alone capped the load
    generator near 1,100 POSTs/s on one core); `http` is kept for the callers' signature."""
    statuses: Counter[int] = Counter()
    feed = iter(items)
    host, _, port = base.removeprefix("http://").partition(":")
    pool = KeepAlivePool(ssl_context=ssl.create_default_context(), max_idle_per_origin=concurrency)

    async def client() -> None:
        for item in feed:
            try:
                async with asyncio.timeout(60):
                    answer = await pool.request("POST", "http", host, int(port), item.path, list(item.headers.items()),
                                                item.body, addresses=(host,), keep=4096, limit=1 << 20)  # fmt: skip
                statuses[answer.status] += 1
            except (FetchError, OSError, TimeoutError):
                statuses[0] += 1

    try:
        await asyncio.gather(*(client() for _ in range(concurrency)))
    finally:
        await pool.aclose()
    return statuses


class JobsReader:
    """Read-only look at the node's SQLite jobs table (WAL: readers do not block the node)."""

    def __init__(self, db_path: Path) -> None:
        self.conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5.0)

    def pending_inbox(self) -> int:
        row = self.conn.execute("SELECT count(*) FROM jobs WHERE kind = 'inbox' AND status IN ('queued', 'running')").fetchone()
        return int(row[0])

    def count(self, sql: str) -> int:
        return int(self.conn.execute(sql).fetchone()[0])

    async def wait_idle(self, timeout: float) -> float:
        deadline = time.perf_counter() + timeout
        while self.pending_inbox():
            if time.perf_counter() > deadline:
                raise BenchError(f"inbox jobs still pending after {timeout:.0f} s ({self.pending_inbox()})")
            await asyncio.sleep(0.02)
        return time.perf_counter()

    def close(self) -> None:
        self.conn.close()


async def local_posts(config: Path, count: int) -> list[str]:
    """Posts of the association for the remote actors to like (written before the server starts)."""
    node = await start_node(node_settings(config))
    try:
        with database(node.ctx):
            author = await local_actor(HANDLE)
            assert author is not None
            return [(await create_post(node, author, Draft(text=f"Post {n} of the benchmark"))).uri for n in range(count)]
    finally:
        await stop_node(node)


async def few_requests(http: httpx2.AsyncClient, base: str, post_uri: str) -> None:
    as2 = {"Accept": "application/activity+json"}
    host = base.removeprefix("http://")
    for url, headers in [
        (f"{base}/.well-known/webfinger?resource=acct:{HANDLE}@{host}", {}),
        (f"{base}/users/{HANDLE}", as2), (f"{base}/actor", as2), (f"{base}/.well-known/nodeinfo", {}),
        (f"{base}/nodeinfo/2.1", {}), (f"{base}/", {}), (f"{base}/@{HANDLE}", {}), (post_uri, {}), (post_uri, as2),
        (f"{base}/users/{HANDLE}/outbox?page=1", as2), (f"{base}/users/{HANDLE}/followers", as2),
    ]:  # fmt: skip
        response = await http.get(url, headers=headers)
        if response.status_code >= 400:
            raise BenchError(f"GET {url}: HTTP {response.status_code}")


async def bench_inbox(workdir: Path, children: Children, n: int, concurrency: int, actor_count: int,
                      timeout: float) -> InboxResult:  # fmt: skip
    node_port, peer_port = free_port(), free_port()
    data_dir = workdir / "inbox"
    base, peer_base = f"http://127.0.0.1:{node_port}", f"http://127.0.0.1:{peer_port}"
    log(f"inbox: agora init --dev (node on :{node_port}), remote actors on :{peer_port}")
    config = init_node(data_dir, node_port)
    settings = node_settings(config)
    post_count = max(1, -(-n // (2 * actor_count)))  # enough posts for every Like to be distinct
    post_uris = await local_posts(config, post_count)
    private_pem, public_pem = generate_key_pair()
    key_file = workdir / "remote-public.pem"
    key_file.write_text(public_pem)
    peer = start_peer(children, peer_port, key_file)
    # One server process (which runs the worker): its CPU and memory are those of one pid.
    serve = children.start("agora-serve", agora_command() + ["--config", str(config), "serve", "--host", "127.0.0.1",
                                                             "--port", str(node_port), "--workers", "1"])
    remote = RemoteActors(peer_base, actor_count, private_pem, base, post_uris)
    db_path = Path(settings.resolved_database_url.removeprefix("sqlite://").split("?", 1)[0])
    limits = httpx2.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    try:
        async with httpx2.AsyncClient(timeout=60.0, trust_env=False, limits=limits) as http:
            await wait_http(http, f"{peer_base}/stats", peer, children)
            await wait_http(http, f"{base}/.well-known/nodeinfo", serve, children)
            log(f"inbox: agora serve is up (pid {serve.pid}); a few requests, then idle memory")
            await few_requests(http, base, post_uris[0])
            warm = remote.sign(0, *remote.create(0, "warm-0"))
            response = await http.post(base + warm.path, content=warm.body, headers=warm.headers)
            if response.status_code != 202:
                raise BenchError(f"a signed POST got HTTP {response.status_code}: {response.text[:200]}")
            jobs = JobsReader(db_path)
            await jobs.wait_idle(30)
            await asyncio.sleep(2.0)
            idle_rss = proc_status_kb(serve.pid, "VmRSS") / 1024
            idle_hwm = proc_status_kb(serve.pid, "VmHWM") / 1024
            log(f"inbox: idle VmRSS {idle_rss:.1f} MB; warm-up: one signed Create from each of {actor_count} actors")
            warmups = [remote.sign(i, *remote.create(i, f"warm-{i}")) for i in range(1, actor_count)]
            statuses = await post_all(http, base, warmups, concurrency)
            if statuses.get(202, 0) != len(warmups):  # resend one by one (a duplicate is answered 202 too)
                log(f"inbox: warm-up answered {dict(statuses)}; sending again one at a time")
                statuses = await post_all(http, base, warmups, 1)
                if statuses.get(202, 0) != len(warmups):
                    raise BenchError(f"warm-up answered {dict(statuses)}")
            await jobs.wait_idle(60)
            log(f"inbox: signing {n} distinct activities (Like and Create, not timed)")
            items = remote.workload(n)
            await asyncio.sleep(0.5)
            log(f"inbox: posting {n} activities, {concurrency} at a time")
            watch = CpuWatch(serve, peer)
            node_cpu0, loadgen_cpu0 = watch.child[0], watch.own
            start = time.perf_counter()
            statuses = await post_all(http, base, items, concurrency)
            accepted_at = time.perf_counter()
            node_cpu_accept = proc_cpu_seconds(serve.pid) - node_cpu0
            loadgen_cpu = time.process_time() - loadgen_cpu0
            backlog = jobs.pending_inbox()
            log(f"inbox: {dict(statuses)} in {accepted_at - start:.1f} s; waiting for the worker ({backlog} queued)")
            done_at = await jobs.wait_idle(timeout)
            _, other_cpu, (node_cpu_total, _) = watch.stop()
            loaded_rss = proc_status_kb(serve.pid, "VmRSS") / 1024
            peak_rss = proc_status_kb(serve.pid, "VmHWM") / 1024
            checks = {
                "activities received": jobs.count("SELECT count(*) FROM activities WHERE outgoing = 0"),
                "likes stored": jobs.count("SELECT count(*) FROM interactions WHERE kind = 'Like'"),
                "remote notes stored": jobs.count("SELECT count(*) FROM posts WHERE local = 0"),
                "inbox jobs dead": jobs.count("SELECT count(*) FROM jobs WHERE kind = 'inbox' AND status = 'dead'"),
                "inbox jobs retried": jobs.count("SELECT count(*) FROM jobs WHERE kind = 'inbox' AND attempts > 1"),
            }
            jobs.close()
        return InboxResult(
            requests=n, concurrency=concurrency, actors=actor_count, accept_seconds=accepted_at - start,
            process_seconds=done_at - start, statuses=dict(statuses), backlog_at_accept_end=backlog,
            node_cpu_accept=node_cpu_accept, node_cpu_total=node_cpu_total, loadgen_cpu=loadgen_cpu,
            other_cpu=other_cpu, idle_rss_mb=idle_rss, idle_hwm_mb=idle_hwm, loaded_rss_mb=loaded_rss, peak_rss_mb=peak_rss, checks=checks,
        )  # fmt: skip
    finally:
        children.stop(serve, timeout=15)
        children.stop(peer)


# ---------------------------------------------------------------------------------------------------
# 5. a probe answered while costly LD signatures arrive


@dataclass
class LdLoadResult:
    posts: int
    concurrency: int
    sizes: list[int]
    statuses: dict[int, int]
    seconds: float
    idle_ms: list[float]  # NodeInfo latencies before the load
    loaded_ms: list[float]  # ... while the forwarded activities arrive
    node_cpu: float
    ld_worker_cpu: float
    forwarded_stored: int
    other_cpu: float

    @property
    def p99(self) -> float:
        return percentile(self.loaded_ms, 0.99)


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


LD_SIZES = (16_000, 60_000, 120_000, 300_000, 950_000)  # up to the 1 MB body limit


def costly_forward(remote: RemoteActors, n: int, size: int) -> dict[str, Any]:
    """A Create by remote actor a0 whose Note is padded with nested blank nodes (the shape whose
    canonicalization grows fastest), with an RsaSignature2017 by a0's key that proves nothing."""
    actor = remote.actor(0)
    tag = {"type": "Note", "tag": {"type": "Note", "tag": {"type": "Hashtag"}}}
    note_id = f"{actor}/statuses/ld-{n}"
    note = {"id": note_id, "type": "Note", "attributedTo": actor, "content": "<p>relayed</p>",
            "to": [vocab.PUBLIC], "published": vocab.iso(dt.datetime.now(dt.timezone.utc)),
            "tag": [tag] * max(1, size // 61)}  # fmt: skip
    doc = vocab.activity("Create", f"{note_id}/activity", actor, note, to=[vocab.PUBLIC])
    doc["@context"] = [vocab.AS2, "https://w3id.org/security/v1"]
    doc["signature"] = {"type": "RsaSignature2017", "creator": f"{actor}#main-key", "created": note["published"],
                        "signatureValue": "AAAA" * 86 + "AA=="}  # fmt: skip
    return doc


def probe_thread(url: str, stop: threading.Event, out: list[float], interval: float = 0.05) -> threading.Thread:
    """GET url every `interval` seconds from a thread of its own (a blocking client, off the load
    generator's event loop), appending each latency in ms to `out`."""

    def run() -> None:
        with httpx2.Client(timeout=60.0, trust_env=False) as http:
            while not stop.is_set():
                start = time.perf_counter()
                if http.get(url).status_code != 200:
                    raise BenchError(f"GET {url} did not answer 200")
                out.append((time.perf_counter() - start) * 1000)
                stop.wait(interval)

    thread = threading.Thread(target=run, name="nodeinfo-probe", daemon=True)
    thread.start()
    return thread


def children_cpu_seconds(pid: int) -> float:
    """CPU of a process's children: those it waited for (cutime + cstime) and those still running."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    reaped = (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")
    running = 0.0
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            with contextlib.suppress(OSError):
                running += proc_cpu_seconds(int(child))
    return reaped + running


async def bench_ld(workdir: Path, children: Children, posts: int, concurrency: int) -> LdLoadResult:
    node_port, peer_port = free_port(), free_port()
    data_dir = workdir / "ld"
    base, peer_base = f"http://127.0.0.1:{node_port}", f"http://127.0.0.1:{peer_port}"
    log(f"LD load: agora init --dev (node on :{node_port}), remote actors and relay on :{peer_port}")
    config = init_node(data_dir, node_port)
    settings = node_settings(config)
    private_pem, public_pem = generate_key_pair()
    key_file = workdir / "ld-remote-public.pem"
    key_file.write_text(public_pem)
    peer = start_peer(children, peer_port, key_file)
    serve = children.start("agora-serve-ld", agora_command() + ["--config", str(config), "serve", "--host", "127.0.0.1",
                                                                "--port", str(node_port), "--workers", "1"])
    remote = RemoteActors(peer_base, 2, private_pem, base, [])
    sizes = [LD_SIZES[n % len(LD_SIZES)] for n in range(posts)]
    items = [remote.sign(1, "/inbox", costly_forward(remote, n, size)) for n, size in enumerate(sizes)]  # a1 relays a0
    db_path = Path(settings.resolved_database_url.removeprefix("sqlite://").split("?", 1)[0])
    probe_url = f"{base}/.well-known/nodeinfo"
    try:
        async with httpx2.AsyncClient(timeout=120.0, trust_env=False) as http:
            await wait_http(http, f"{peer_base}/stats", peer, children)
            await wait_http(http, probe_url, serve, children)
            idle: list[float] = []
            stop = threading.Event()
            thread = probe_thread(probe_url, stop, idle)
            await asyncio.sleep(2.0)
            stop.set()
            await asyncio.to_thread(thread.join)
            log(f"LD load: {posts} forwarded Creates with a bogus RsaSignature2017, {min(sizes)}-{max(sizes)} B, {concurrency} at a time")
            loaded: list[float] = []
            stop = threading.Event()
            watch = CpuWatch(serve)
            ld_cpu0 = children_cpu_seconds(serve.pid)
            thread = probe_thread(probe_url, stop, loaded)
            statuses = await post_all(http, base, items, concurrency)
            stop.set()
            await asyncio.to_thread(thread.join)
            seconds, other_cpu, (node_cpu,) = watch.stop()
            ld_cpu = children_cpu_seconds(serve.pid) - ld_cpu0
        jobs = JobsReader(db_path)
        forwarded = jobs.count("SELECT count(*) FROM activities WHERE outgoing = 0 AND uri LIKE '%#forwarded'")
        jobs.close()
    finally:
        children.stop(serve, timeout=15)
        children.stop(peer)
    return LdLoadResult(posts, concurrency, sizes, dict(statuses), seconds, idle, loaded, node_cpu, ld_cpu, forwarded, other_cpu)


def ld_rows(ld: LdLoadResult | None) -> list[Row]:
    if ld is None:
        return []
    return [
        Row(f"NodeInfo latency while {ld.posts} forwarded activities (to {max(ld.sizes) // 1000} KB, bogus LD signature) arrive, p50 / p99",
            f"{percentile(ld.loaded_ms, 0.5):.0f} ms / {ld.p99:.0f} ms", "p99 < 200 ms", ld.p99 < 200.0),
        Row("  NodeInfo latency idle, p50 / p99",
            f"{percentile(ld.idle_ms, 0.5):.0f} ms / {percentile(ld.idle_ms, 0.99):.0f} ms"),
    ]  # fmt: skip


def ld_details(ld: LdLoadResult | None) -> list[str]:
    if ld is None:
        return []
    return [
        f"LD load: {ld.posts} forwarded Creates ({', '.join(f'{s // 1000} KB' for s in sorted(set(ld.sizes)))} in turn), {ld.concurrency} "
        f"at a time, statuses {ld.statuses} in {ld.seconds:.1f} s; {len(ld.loaded_ms)} NodeInfo probes, max "
        f"{max(ld.loaded_ms, default=0):.0f} ms; node CPU {ld.node_cpu:.1f} s, LD worker process CPU "
        f"{ld.ld_worker_cpu:.1f} s; {ld.forwarded_stored} stored unverified, to be refetched from their origin"
    ]


# ---------------------------------------------------------------------------------------------------
# report


@dataclass
class Row:
    figure: str
    value: str
    target: str = ""
    ok: bool | None = None

    @property
    def mark(self) -> str:
        return "" if self.ok is None else ("PASS" if self.ok else "FAIL")


def machine() -> dict[str, str]:
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "machine": f"{os.cpu_count()} × {model} (nproc {len(os.sched_getaffinity(0))})",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "os": f"{platform.system()} {platform.release()}",
    }


def rows(sig: SigningResult | None, fan: FanoutResult | None, inbox: InboxResult | None) -> list[Row]:
    out: list[Row] = []
    if sig:
        out.append(Row("RSA-2048 signatures/s (PKCS#1 v1.5 SHA-256, 1 core)", f"{sig.raw_sign_per_s:,.0f}/s"))
        out.append(Row(f"sign_cavage, POST of {sig.body_bytes} B", f"{sig.cavage_per_s:,.0f}/s"))
    if fan:
        out.append(Row(f"Fan-out: 1 post to {fan.followers:,} inboxes, verified (median of {len(fan.rounds)})", f"{fan.rate:,.0f}/s ({fan.seconds:.2f} s)"))
        if sig:
            ratio = fan.rate / sig.raw_sign_per_s
            out.append(Row("Fan-out / raw signing rate", f"{ratio:.1%}", f"≥ {TARGET_FANOUT_RATIO:.0%}", ratio >= TARGET_FANOUT_RATIO))
        out.append(Row("  CPU: node process / sink process", f"{fan.node_cpu:.1f} s / {fan.sink_cpu:.1f} s"))
    if inbox:
        out.append(Row(f"Inbox: signed POSTs accepted (202), {inbox.concurrency} concurrent",
                       f"{inbox.accepted_rate:,.0f}/s", f"≥ {TARGET_INBOX_ACCEPTED:,.0f}/s",
                       inbox.accepted_rate >= TARGET_INBOX_ACCEPTED))  # fmt: skip
        out.append(Row("Inbox: POSTs not answered 202 (errors)", f"{inbox.failed:,} of {inbox.requests:,}", "0", inbox.failed == 0))
        out.append(Row(f"Inbox: processed (all {inbox.accepted:,} jobs done)", f"{inbox.processed_rate:,.0f}/s ({inbox.process_seconds:.1f} s)",
                       f"≥ {TARGET_INBOX_PROCESSED:,.0f}/s", inbox.processed_rate >= TARGET_INBOX_PROCESSED))
        out.append(Row("Idle RSS of agora serve (one process)", f"{inbox.idle_rss_mb:.0f} MB", f"≤ {TARGET_IDLE_RSS_MB:.0f} MB",
                       inbox.idle_rss_mb <= TARGET_IDLE_RSS_MB))
        out.append(Row("  RSS after the inbox run; peak (VmHWM)", f"{inbox.loaded_rss_mb:.0f} MB; {inbox.peak_rss_mb:.0f} MB"))
    return out


BUSY_LIMIT = 0.15  # other processes using more than 15 % of a core during a phase spoil its figures


def background(sig: SigningResult | None, fan: FanoutResult | None, inbox: InboxResult | None) -> list[str]:
    phases = []
    if sig and sig.wall:
        phases.append(("signing", sig.other_cpu, sig.wall))
    if fan:
        phases.append(("fan-out", fan.other_cpu, fan.seconds))
    if inbox:
        phases.append(("inbox", inbox.other_cpu, inbox.process_seconds))
    return [f"{name} {cpu:.1f} s in {wall:.1f} s" for name, cpu, wall in phases if cpu > BUSY_LIMIT * wall]


def text_table(table: list[Row]) -> str:
    headers = ("Figure", "Measured", "Target", "")
    cells = [headers] + [(r.figure, r.value, r.target, r.mark) for r in table]
    widths = [max(len(c[i]) for c in cells) for i in range(4)]
    lines = ["  ".join(c[i].ljust(widths[i]) for i in range(4)).rstrip() for c in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def details(sig: SigningResult | None, fan: FanoutResult | None, inbox: InboxResult | None) -> list[str]:
    out = []
    if sig:
        out.append(f"RSA-2048 verifications/s (1 core): {sig.raw_verify_per_s:,.0f}")
    if fan:
        out.append(
            f"fan-out: worker concurrency {fan.concurrency}; deliver jobs {fan.jobs}, retried {fan.retried}; "
            f"sink verified {fan.sink_verified} in the last round, key fetched {fan.sink_key_fetches}×"
        )
        for n, r in enumerate(fan.rounds, 1):
            out.append(
                f"fan-out round {n}{' (median, reported)' if r is fan.median else ''}: {fan.followers / r.seconds:,.0f}/s "
                f"({r.seconds:.2f} s); "
                + (f"first delivery {r.first_delivery * 1000:.0f} ms after publishing; " if r.first_delivery is not None else "")
                + f"node CPU {r.node_cpu:.2f} s ({r.node_cpu / r.seconds:.0%} of a core), "
                f"sink CPU {r.sink_cpu:.2f} s ({r.sink_cpu / r.seconds:.0%} of a core)"
                + (f", signing workers CPU {r.signers_cpu:.2f} s" if r.signers_cpu else "")
            )
    if inbox:
        out.append(
            f"inbox: {inbox.requests} POSTs from {inbox.actors} actors, statuses {inbox.statuses}, "
            f"accepted in {inbox.accept_seconds:.2f} s with {inbox.backlog_at_accept_end} jobs still queued; "
            f"node CPU {inbox.node_cpu_accept:.1f} s during the POSTs ({inbox.node_cpu_accept / inbox.accept_seconds:.0%} of a core), "
            f"{inbox.node_cpu_total:.1f} s in all; load generator CPU {inbox.loadgen_cpu:.1f} s"
        )
        out.append("inbox checks: " + ", ".join(f"{k} {v}" for k, v in inbox.checks.items()))
        out.append(f"memory: idle VmRSS {inbox.idle_rss_mb:.1f} MB, VmHWM at idle {inbox.idle_hwm_mb:.1f} MB (the peak is reached during start-up)")
    phases = [(n, c, w) for n, c, w in [
        ("signing", sig.other_cpu if sig else None, sig.wall if sig else 0.0),
        ("fan-out", fan.other_cpu if fan else None, fan.seconds if fan else 0.0),
        ("inbox", inbox.other_cpu if inbox else None, inbox.process_seconds if inbox else 0.0),
    ] if c is not None and w]  # fmt: skip
    if phases:
        out.append("CPU used by other processes on the machine: " + ", ".join(f"{n} {c:.1f} s in {w:.1f} s" for n, c, w in phases))
    busy = background(sig, fan, inbox)
    if busy:
        out.append("WARNING: other processes used the CPU during the run (" + "; ".join(busy) + "): "
                   "the figures are lower than this machine can do; run again on a quiet machine.")  # fmt: skip
    return out


def markdown_block(table: list[Row], notes: list[str], info: dict[str, str]) -> str:
    lines = [
        MARK_BEGIN,
        f"Measured {info['date']} on {info['machine']}, {info['os']}, {info['python']}.",
        f"Command: `.venv/bin/python tests/bench/bench.py --write BENCHMARKS.md` (`make bench` prints the same figures).",
        "",
        "| Figure | Measured | Target | |",
        "|---|---|---|---|",
    ]
    for r in table:
        lines.append(f"| {r.figure.strip()} | {r.value} | {r.target} | {r.mark} |")
    lines.append("")
    lines += [f"- {n}" for n in notes]
    lines.append(MARK_END)
    return "\n".join(lines)


def write_markdown(path: Path, block: str) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n\n"
    pattern = re.compile(re.escape(MARK_BEGIN) + r".*?" + re.escape(MARK_END), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


# ---------------------------------------------------------------------------------------------------
# main


# ---------------------------------------------------------------------------------------------------
# 6. reads against snac2 (tests/bench/reads.py), 7. an event page on a phone (tests/bench/pageweight.py)


async def bench_reads(workdir: Path, children: Children, seconds: float, workers: int) -> reads.ReadsResult:
    harness = reads.Harness(workdir=workdir, start=children.start, stop=children.stop, init_node=init_node,
                            agora=agora_command(), log=log)
    try:
        return await reads.run(harness, seconds, workers)
    except reads.ReadsError as exc:
        raise BenchError(f"reads: {exc}") from None


async def bench_page_weight(workdir: Path) -> pageweight.Weight:
    """The event page with its banner on a phone, from a node in this process (ASGI, no sockets)."""
    config = init_node(workdir / "pages", free_port())
    settings = node_settings(config)
    node = await start_node(settings)
    try:
        with database(node.ctx):
            page_url, banner_url = await pageweight.event_with_banner(node)
            transport = httpx2.ASGITransport(app=create_app(settings, node=node))
            async with httpx2.AsyncClient(transport=transport, base_url=settings.base_url) as http:
                weight = await pageweight.event_page_weight(http, settings.base_url, page_url, banner_url)
    except AssertionError as exc:
        raise BenchError(f"pages: {exc}") from None
    finally:
        await stop_node(node)
    log(f"pages: event page on a phone {weight.total:,} B (banner {weight.banner_name})")
    return weight


def page_rows(weight: pageweight.Weight | None) -> list[Row]:
    if weight is None:
        return []
    limit = pageweight.WEIGHT_LIMIT
    return [Row("Event page with its banner, on a phone (360 px, gzip)", f"{weight.total / 1000:.0f} KB",
                f"< {limit // 1000} KB", weight.total < limit)]


def page_details(weight: pageweight.Weight | None) -> list[str]:
    if weight is None:
        return []
    return [f"event page on a phone: HTML {weight.html:,} B and CSS {weight.css:,} B as sent (gzip), banner "
            f"{weight.banner:,} B ({weight.banner_name.rsplit('-', 1)[1]} from the srcset; the largest size "
            f"alone is {weight.largest:,} B)"]


@dataclass
class Results:
    fan: Any = None
    inbox: Any = None
    ld: Any = None
    reads: Any = None
    pages: Any = None
    fanout_pg: Any = None
    mail: Any = None


async def run_phases(args: argparse.Namespace, workdir: Path, children: Children) -> Results:
    out = Results()
    if "fanout" in args.only:
        out.fan = await bench_fanout(workdir, children, args.followers, args.rounds, args.timeout)
    if "inbox" in args.only:
        out.inbox = await bench_inbox(workdir, children, args.inbox, args.concurrency, args.actors, args.timeout)
    if "ld" in args.only:
        out.ld = await bench_ld(workdir, children, args.ld_posts, args.ld_concurrency)
    if "reads" in args.only:
        out.reads = await bench_reads(workdir, children, args.reads_seconds, args.reads_workers)
    if "pages" in args.only:
        out.pages = await bench_page_weight(workdir)
    if "fanout_pg" in args.only and fanout_pg is not None:
        out.fanout_pg = await fanout_pg.run(workdir, children, args)
    if "mail" in args.only and mail_bench is not None:
        out.mail = await mail_bench.run(workdir, children, args)
    return out


def extra_rows(results: Results) -> tuple[list[Row], list[str]]:
    """The rows and notes of the phases after the first four."""
    table = [Row(*r) for r in reads.rows(results.reads)] + page_rows(results.pages)
    notes = reads.details(results.reads) + page_details(results.pages)
    if fanout_pg is not None and results.fanout_pg is not None:
        table += [Row(*r) for r in fanout_pg.rows(results.fanout_pg)]
        notes += fanout_pg.details(results.fanout_pg)
    if mail_bench is not None and results.mail is not None:
        table += [Row(*r) for r in mail_bench.rows(results.mail)]
        notes += mail_bench.details(results.mail)
    return table, notes


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--write", metavar="FILE", help="rewrite the figures table in FILE (BENCHMARKS.md)")
    p.add_argument("--followers", type=int, default=1000, help="fan-out: remote followers (default 1000)")
    p.add_argument("--rounds", type=int, default=3, help="fan-out: posts published one after the other; the median is reported (default 3)")
    p.add_argument("--inbox", type=int, default=3000, help="inbox: signed POSTs (default 3000)")
    p.add_argument("--concurrency", type=int, default=48, help="inbox: concurrent requests (default 48)")
    p.add_argument("--actors", type=int, default=64, help="inbox: distinct remote senders (default 64)")
    p.add_argument("--sign-seconds", type=float, default=2.0, help="duration of each signing measurement")
    p.add_argument("--timeout", type=float, default=240.0, help="give up on a phase after this many seconds")
    p.add_argument("--ld-posts", type=int, default=60, help="LD load: forwarded activities with a bogus LD signature (default 60)")
    p.add_argument("--ld-concurrency", type=int, default=4, help="LD load: concurrent requests (default 4)")
    p.add_argument("--reads-seconds", type=float, default=5.0, help="reads: seconds of each wrk round (default 5)")
    p.add_argument("--reads-workers", type=int, default=len(os.sched_getaffinity(0)),
                   help="reads: agora serve --workers (default: the number of cores)")
    p.add_argument("--only", default="sign,fanout,inbox,ld,reads,pages,fanout_pg,mail", type=lambda s: set(s.split(",")),
                   help="phases to run (comma-separated: sign,fanout,inbox,ld,reads,pages,fanout_pg,mail)")  # fmt: skip
    p.add_argument("--strict", action="store_true", help="exit with status 3 when a target is missed")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, databases)")
    args = p.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="agora-bench-"))
    children = Children(workdir)

    def on_term(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    default_hook = threading.excepthook

    def quiet_orphans(hook_args: Any) -> None:
        # Interrupted while a database was opening: its thread outlives the closed loop; not worth a trace.
        if not (isinstance(hook_args.exc_value, RuntimeError) and "Event loop is closed" in str(hook_args.exc_value)):
            default_hook(hook_args)

    threading.excepthook = quiet_orphans

    signal.signal(signal.SIGTERM, on_term)
    started = time.perf_counter()
    status = 0
    try:
        sig = None
        if "sign" in args.only:  # outside the event loop, so that Ctrl-C interrupts it at once
            log(f"signing: {args.sign_seconds:.0f} s per measurement")
            watch = CpuWatch()
            sig = bench_signing(args.sign_seconds)
            sig.wall, sig.other_cpu, _ = watch.stop()
        results = run_async(run_phases(args, workdir, children))  # uvloop, as in production
        fan, inbox, ld = results.fan, results.inbox, results.ld
    except KeyboardInterrupt:
        log("interrupted")
        status = 130
    except BenchError as exc:
        log(f"error: {exc}")
        status = 1
    except Exception:  # a bug of the benchmark or of the node: show it, still clean up
        log("error:\n" + traceback.format_exc())
        status = 1
    finally:
        children.stop_all()
        if args.keep or status not in (0, 130):
            log(f"logs and databases kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if status:
        return status
    info = machine()
    more_rows, more_notes = extra_rows(results)
    table = rows(sig, fan, inbox) + ld_rows(ld) + more_rows
    notes = details(sig, fan, inbox) + ld_details(ld) + more_notes
    print()
    print(f"Agora benchmark — {info['date']} — {info['machine']} — {info['python']}")
    print(text_table(table))
    print()
    for note in notes:
        print(note)
    print(f"(run time {time.perf_counter() - started:.0f} s)")
    if args.write:
        write_markdown(Path(args.write), markdown_block(table, notes, info))
        print(f"wrote the figures into {args.write}")
    missed = [r.figure.strip() for r in table if r.ok is False]
    if missed:
        print("missed target(s): " + "; ".join(missed))
    return 3 if missed and args.strict else 0  # by default a missed target is a result, not an error


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # A database thread left behind by an interrupted phase must not keep the process alive.
    os._exit(code)
