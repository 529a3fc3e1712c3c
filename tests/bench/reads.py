"""The reads phase of `make bench`: actor document (AS2) and WebFinger requests per second of Agora and
of snac2 (the C server of the interop lane), started side by side in the same run and loaded the same
way with wrk (`wrk -t2 -c32`).

- Agora: a node made by `agora init --dev` (SQLite), run as `agora serve --workers N` (N: the number of
  cores unless --reads-workers says otherwise), settings as written by init (log level info, access log
  on).
- snac2: the binary the interop lane unpacks (interop-work/snac2, or $SNAC_BIN), `snac init` answered as
  tests/interop/run.sh answers it, one user, `snac httpd`.
- wrk and snac2 are installed by scripts/bench-deps.sh when missing (Debian's wrk package; snac2 from
  the machine's own Debian mirror), as scripts/browser-deps.sh installs chromium.

Each URL is checked once (200, the right document) and then loaded for `seconds`, Agora and snac2 in
turn, twice (A, S, S, A): the better round of each is reported, so a neighbour's burst of CPU spoils at
most one round. snac2 closes every connection after its answer: wrk counts those closes as read errors,
which are printed, not held against it. The memory of the N-process server (PSS: shared pages counted
once) is printed too."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx2

REPO = Path(__file__).resolve().parents[2]
DEPS_SCRIPT = REPO / "scripts" / "bench-deps.sh"
SNAC_USER = "bob"
TARGET_RATIO = 0.5  # Agora's req/s >= 50 % of snac2's, same run
AS2 = "Accept: application/activity+json"


class ReadsError(Exception):
    """The reads phase could not run (a missing tool, a server that did not start)."""


@dataclass
class Harness:
    """What bench.py lends this phase: its process bookkeeping and helpers."""

    workdir: Path
    start: Callable[[str, list[str]], subprocess.Popen[bytes]]
    stop: Callable[[subprocess.Popen[bytes]], None]
    init_node: Callable[[Path, int], Path]
    agora: list[str]
    log: Callable[[str], None]


@dataclass
class Wrk:
    rate: float
    requests: int
    non_2xx: int
    socket_errors: int


@dataclass
class Pair:
    """One figure (actor document, WebFinger): the best round of each server."""

    name: str
    agora: list[Wrk] = field(default_factory=list)
    snac: list[Wrk] = field(default_factory=list)

    @property
    def agora_rate(self) -> float:
        return max(w.rate for w in self.agora)

    @property
    def snac_rate(self) -> float:
        return max(w.rate for w in self.snac)

    @property
    def ratio(self) -> float:
        return self.agora_rate / self.snac_rate if self.snac_rate else 0.0


@dataclass
class ReadsResult:
    workers: int
    seconds: float
    pairs: list[Pair]
    snac_version: str
    pss_mb: float  # the N-process agora serve, idle, shared pages counted once
    processes: int


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def snac_binary() -> Path:
    return Path(os.environ.get("SNAC_BIN") or REPO / "interop-work" / "snac2" / "root" / "usr" / "bin" / "snac")


def snac_version(binary: Path) -> str:
    """`snac` without arguments prints its version first ("snac 2.75"); '' when it does not run."""
    if not binary.exists():
        return ""
    done = subprocess.run([str(binary)], capture_output=True, text=True, timeout=10)
    first = (done.stdout or done.stderr).strip().splitlines()[:1]
    return first[0] if first and first[0].startswith("snac ") else ""


def ensure_tools(log: Callable[[str], None]) -> str:
    """wrk and snac2, installed by scripts/bench-deps.sh when missing; snac2's version."""
    if shutil.which("wrk") is None or not snac_version(snac_binary()):
        log("reads: installing wrk and/or snac2 (scripts/bench-deps.sh)")
        done = subprocess.run(["bash", str(DEPS_SCRIPT)], capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            raise ReadsError(f"scripts/bench-deps.sh failed:\n{done.stdout}{done.stderr}")
    version = snac_version(snac_binary())
    if shutil.which("wrk") is None or not version:
        raise ReadsError("wrk or snac2 is still missing after scripts/bench-deps.sh")
    return version


def run_wrk(url: str, seconds: float, headers: tuple[str, ...] = ()) -> Wrk:
    argv = ["wrk", "-t2", "-c32", f"-d{max(1, round(seconds))}s", "--timeout", "5s"]
    for header in headers:
        argv += ["-H", header]
    done = subprocess.run(argv + [url], capture_output=True, text=True, timeout=seconds + 60)
    text = done.stdout
    rate = re.search(r"Requests/sec:\s+([0-9.]+)", text)
    total = re.search(r"([0-9]+) requests in", text)
    if done.returncode != 0 or rate is None or total is None:
        raise ReadsError(f"wrk {url} failed:\n{text}{done.stderr}")
    non_2xx = re.search(r"Non-2xx or 3xx responses: ([0-9]+)", text)
    errors = re.search(r"Socket errors: connect ([0-9]+), read ([0-9]+), write ([0-9]+), timeout ([0-9]+)", text)
    return Wrk(float(rate.group(1)), int(total.group(1)), int(non_2xx.group(1)) if non_2xx else 0,
               sum(int(g) for g in errors.groups()) if errors else 0)


def start_snac(h: Harness, binary: Path, port: int) -> subprocess.Popen[bytes]:
    """`snac init` with the interop lane's answers, its settings for loopback, one user, `snac httpd`."""
    data = h.workdir / "snac"
    answers = f"127.0.0.1\n{port}\n127.0.0.1:{port}\n\n\n"
    done = subprocess.run([str(binary), "init", str(data)], input=answers, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise ReadsError(f"snac init failed:\n{done.stdout}{done.stderr}")
    config_path = data / "server.json"
    config = json.loads(config_path.read_text())
    config.update({"protocol": "http", "address": "127.0.0.1", "disable_sandbox": True,
                   "disable_email_notifications": True, "disable_inbox_collection": True, "dbglevel": 0})
    config_path.write_text(json.dumps(config, indent=4))
    done = subprocess.run([str(binary), "adduser", str(data), SNAC_USER], capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise ReadsError(f"snac adduser failed:\n{done.stdout}{done.stderr}")
    return h.start("snac", [str(binary), "httpd", str(data)])


async def wait_ok(url: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    async with httpx2.AsyncClient(timeout=5.0, trust_env=False) as http:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise ReadsError(f"{url}: the server exited ({proc.returncode})")
            try:
                if (await http.get(url)).status_code == 200:
                    return
            except httpx2.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise ReadsError(f"{url} did not answer within {timeout:.0f} s")


async def check_document(url: str, expected_id: str | None, accept: str | None) -> None:
    """One GET before the load: 200 and the document asked for (not an error page at high speed)."""
    async with httpx2.AsyncClient(timeout=10.0, trust_env=False) as http:
        response = await http.get(url, headers={"Accept": accept} if accept else {})
    if response.status_code != 200:
        raise ReadsError(f"GET {url}: HTTP {response.status_code}")
    doc = response.json()
    if expected_id is not None and doc.get("id") != expected_id:
        raise ReadsError(f"GET {url}: id {doc.get('id')!r}, expected {expected_id!r}")
    if expected_id is None and not doc.get("subject", "").startswith("acct:"):
        raise ReadsError(f"GET {url}: not a WebFinger record")


def pss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def process_tree(pid: int) -> list[int]:
    """pid and its descendants (the server processes, the LD worker processes)."""
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        path = Path(f"/proc/{current}/task/{current}/children")
        if path.exists():
            todo += [int(p) for p in path.read_text().split()]
    return out


async def load_pairs(agora_base: str, snac_base: str, host: str, snac_host: str, seconds: float,
                     log: Callable[[str], None]) -> list[Pair]:
    actor = Pair("actor document GET, AS2")
    webfinger = Pair("WebFinger")
    targets = [
        (actor, f"{agora_base}/users/asso", f"{snac_base}/{SNAC_USER}", (AS2,)),
        (webfinger, f"{agora_base}/.well-known/webfinger?resource=acct:asso@{host}",
         f"{snac_base}/.well-known/webfinger?resource=acct:{SNAC_USER}@{snac_host}", ()),
    ]
    for pair, agora_url, snac_url, headers in targets:
        await check_document(agora_url, f"{agora_base}/users/asso" if headers else None, "application/activity+json" if headers else None)
        await check_document(snac_url, f"{snac_base}/{SNAC_USER}" if headers else None, "application/activity+json" if headers else None)
        for order in (("agora", "snac"), ("snac", "agora")):
            for who in order:
                url = agora_url if who == "agora" else snac_url
                result = await asyncio.to_thread(run_wrk, url, seconds, headers)
                (pair.agora if who == "agora" else pair.snac).append(result)
                log(f"reads: {pair.name}, {who}: {result.rate:,.0f} req/s ({result.requests:,} requests, "
                    f"non-2xx {result.non_2xx}, socket errors {result.socket_errors})")
    return [actor, webfinger]


async def run(h: Harness, seconds: float, workers: int) -> ReadsResult:
    version = ensure_tools(h.log)
    agora_port, snac_port = free_port(), free_port()
    config = h.init_node(h.workdir / "reads", agora_port)
    agora_base, snac_base = f"http://127.0.0.1:{agora_port}", f"http://127.0.0.1:{snac_port}"
    h.log(f"reads: agora serve --workers {workers} on :{agora_port}, {version} on :{snac_port}")
    serve = h.start("agora-serve-reads", h.agora + ["--config", str(config), "serve", "--host", "127.0.0.1",
                                                     "--port", str(agora_port), "--workers", str(workers)])
    snac = start_snac(h, snac_binary(), snac_port)
    try:
        await wait_ok(f"{agora_base}/.well-known/nodeinfo", serve)
        await wait_ok(f"{snac_base}/.well-known/webfinger?resource=acct:{SNAC_USER}@127.0.0.1:{snac_port}", snac)
        await asyncio.sleep(1.0)
        tree = process_tree(serve.pid)
        pss = sum(pss_kb(pid) for pid in tree) / 1024
        pairs = await load_pairs(agora_base, snac_base, f"127.0.0.1:{agora_port}", f"127.0.0.1:{snac_port}",
                                 seconds, h.log)
    finally:
        h.stop(serve)
        h.stop(snac)
    return ReadsResult(workers, seconds, pairs, version, pss, len(tree))


def rows(result: ReadsResult | None) -> list[tuple[str, str, str, bool | None]]:
    """(figure, measured, target, ok) for bench.py's table."""
    if result is None:
        return []
    out: list[tuple[str, str, str, bool | None]] = []
    for pair in result.pairs:
        out.append((f"{pair.name}: Agora ({result.workers} processes) / snac2, req/s",
                    f"{pair.agora_rate:,.0f} / {pair.snac_rate:,.0f} = {pair.ratio:.0%}",
                    f"≥ {TARGET_RATIO:.0%} of snac2", pair.ratio >= TARGET_RATIO))
    return out


def details(result: ReadsResult | None) -> list[str]:
    if result is None:
        return []
    out = [f"reads: wrk -t2 -c32, {result.seconds:.0f} s per round, rounds Agora, snac2, snac2, Agora, the better "
           f"round of each reported; {result.snac_version}; agora serve --workers {result.workers}: "
           f"{result.processes} processes, {result.pss_mb:.0f} MB PSS in all at idle"]
    for pair in result.pairs:
        rounds = ", ".join(f"{w.rate:,.0f}" for w in pair.agora)
        snac_rounds = ", ".join(f"{w.rate:,.0f}" for w in pair.snac)
        errors = sum(w.non_2xx for w in pair.agora)
        out.append(f"reads: {pair.name}: Agora rounds {rounds} req/s (non-2xx {errors}); snac2 rounds {snac_rounds} "
                   f"req/s (socket errors {sum(w.socket_errors for w in pair.snac):,}: it closes each connection)")
    return out
