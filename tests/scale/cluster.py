"""One node run as separate processes on PostgreSQL: `agora init` into a private database, then any
number of `agora serve` (each on its own port, all with the node's one base_url, as behind a load
balancer) and `agora worker` processes, each with its own data directory (as on separate machines).
Every process is stopped by its pid; the database is dropped at the end."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx2

from tests.scale.services import PG_ADMIN_URL, free_port

HANDLE = "asso"
_LOCATION_VARS = ("AGORA_CONFIG", "AGORA_BASE_URL", "AGORA_DATA_DIR", "AGORA_DATABASE_URL", "AGORA_HOST",
                  "AGORA_PORT")


class ClusterError(Exception):
    """A process of the cluster could not start or answer; the message carries its log."""


def agora_command() -> list[str]:
    script = Path(sys.executable).with_name("agora")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from node.cli.main import main; sys.exit(main())"]


async def check_postgres() -> None:
    """Raise ClusterError with a clear message when PostgreSQL does not answer."""
    try:
        conn = await asyncpg.connect(PG_ADMIN_URL, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        raise ClusterError(f"PostgreSQL is not reachable at {PG_ADMIN_URL} ({exc}): the multi-process test needs "
                           "it (trust auth, user postgres); start it (pg_ctlcluster 15 main start)") from None
    await conn.close()


async def create_database() -> str:
    name = f"agora_scale_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name


async def drop_database(name: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    port: int | None = None
    stopped: bool = False  # stopped on purpose (not a crash)

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:]) if self.log.exists() else ""


@dataclass
class Cluster:
    workdir: Path
    database: str
    base_port: int
    config: Path = field(init=False)
    admin_password: str = ""
    procs: list[Proc] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.config = self.workdir / "init" / "agora.toml"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.base_port}"

    @property
    def database_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:5432/{self.database}"

    def env(self, data_dir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in _LOCATION_VARS}
        env.update({"PYTHONUNBUFFERED": "1", "AGORA_CONFIG": str(self.config), "AGORA_DATA_DIR": str(data_dir)})
        env.update(extra or {})
        return env

    def init(self, settings_toml: str) -> None:
        """`agora init --dev` into the private database, then the given settings appended to its config."""
        argv = agora_command() + [
            "init", "--dev", "--base-url", self.base_url, "--handle", HANDLE, "--name", "Scale association",
            "--admin-email", "admin@example.org", "--data-dir", str(self.config.parent),
            "--database-url", self.database_url,
        ]
        env = {k: v for k, v in os.environ.items() if k not in _LOCATION_VARS}
        done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=180, stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            raise ClusterError(f"agora init failed:\n{done.stdout}{done.stderr}")
        found = re.search(r"one-time password: (\S+)", done.stdout)
        self.admin_password = found.group(1) if found else ""
        with self.config.open("a", encoding="utf-8") as fh:
            fh.write("\n" + settings_toml)

    def start(self, name: str, args: Sequence[str], port: int | None = None,
              extra: dict[str, str] | None = None) -> Proc:
        data_dir = self.workdir / name
        data_dir.mkdir(mode=0o700, exist_ok=True)
        log = self.workdir / f"{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(agora_command() + list(args), stdout=out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=self.env(data_dir, extra), cwd=self.workdir,
                                     start_new_session=True)
        proc = Proc(name, popen, log, port)
        self.procs.append(proc)
        return proc

    def serve(self, name: str, port: int | None = None, extra: dict[str, str] | None = None) -> Proc:
        port = port or free_port()
        return self.start(name, ["serve", "--host", "127.0.0.1", "--port", str(port)], port, extra)

    def worker(self, name: str, extra: dict[str, str] | None = None) -> Proc:
        return self.start(name, ["worker"], None, extra)

    def wait_ready(self, proc: Proc, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.popen.poll() is not None:
                raise ClusterError(f"{proc.name} exited ({proc.popen.returncode}):\n{proc.tail()}")
            if proc.port is None:
                if re.search(r"worker \S+ running", proc.log.read_text(errors="replace")):
                    return
            else:
                with contextlib.suppress(httpx2.TransportError):
                    if httpx2.get(f"http://127.0.0.1:{proc.port}/healthz", timeout=5).status_code < 600:
                        return
            time.sleep(0.1)
        raise ClusterError(f"{proc.name} not ready within {timeout:.0f} s:\n{proc.tail()}")

    def stop(self, proc: Proc) -> None:
        proc.stopped = True
        if proc.popen.poll() is None:
            proc.popen.terminate()
            try:
                proc.popen.wait(15)
            except subprocess.TimeoutExpired:
                proc.popen.kill()
                proc.popen.wait(5)

    def stop_all(self) -> None:
        for proc in reversed(self.procs):
            with contextlib.suppress(Exception):
                self.stop(proc)

    def check_alive(self) -> None:
        for proc in self.procs:
            if not proc.stopped and proc.popen.poll() is not None:
                raise ClusterError(f"{proc.name} exited ({proc.popen.returncode}):\n{proc.tail()}")


def start_sink(cluster: Cluster, key_file: Path, port: int) -> Proc:
    log = cluster.workdir / "sink.log"
    script = Path(__file__).resolve().parent / "sink.py"
    env = {k: v for k, v in os.environ.items() if k not in _LOCATION_VARS}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    with log.open("wb") as out:
        popen = subprocess.Popen([sys.executable, str(script), "--port", str(port), "--key", str(key_file)],
                                 stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                 start_new_session=True)
    proc = Proc("sink", popen, log, port)
    cluster.procs.append(proc)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if popen.poll() is not None:
            raise ClusterError(f"the sink exited:\n{proc.tail()}")
        with contextlib.suppress(httpx2.TransportError):
            if httpx2.get(f"http://127.0.0.1:{port}/stats", timeout=5).status_code == 200:
                return proc
        time.sleep(0.1)
    raise ClusterError(f"the sink did not answer:\n{proc.tail()}")


@contextlib.contextmanager
def running(cluster: Cluster) -> Iterator[Cluster]:
    try:
        yield cluster
    finally:
        cluster.stop_all()
