"""`agora serve --workers 2`: a supervisor and two server processes on one socket; one job worker; a
server process that dies is started again; SIGTERM stops them all, and killing the supervisor takes
its children with it."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.core.agora_process import free_port, start_agora, write_config

WAIT = 60.0


def children(pid: int) -> set[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return {int(p) for p in path.read_text().split()} if path.exists() else set()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"


def until(check: object, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if callable(check) and check():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {WAIT:.0f} s: {what}")


def answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/.well-known/nodeinfo", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int, Path]]:
    port = free_port()
    data = tmp_path / "data"
    data.mkdir()
    config = write_config(data, port, None)
    config.write_text(config.read_text().replace('log_level = "warning"', 'log_level = "info"'))
    log = tmp_path / "serve.log"
    process = start_agora(config, log, "serve", "--port", str(port), "--workers", "2")
    try:
        until(lambda: answers(port) and len(children(process.pid)) == 2, "two server processes answering")
        yield process, port, log
    finally:
        pids = children(process.pid)
        if process.poll() is None:
            process.kill()
            process.wait(10)
        for pid in pids:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_two_processes_one_job_worker_restarted_and_stopped(served: tuple[subprocess.Popen[bytes], int, Path]) -> None:
    process, port, log = served
    first = children(process.pid)
    until(lambda: "worker" in log.read_text() and " running" in log.read_text(), "the job worker started")
    time.sleep(1.0)  # a second worker, if one were started, would have logged by now too
    assert sum(1 for line in log.read_text().splitlines() if "agora.jobs" in line and " running" in line) == 1
    victim = min(first)
    os.kill(victim, signal.SIGKILL)
    until(lambda: len(children(process.pid)) == 2 and victim not in children(process.pid), "a new server process")
    until(lambda: answers(port), "answers after the restart")
    assert "starting it again" in log.read_text()
    process.send_signal(signal.SIGTERM)
    assert process.wait(WAIT) == 0
    survivors = children(process.pid) | (first - {victim})
    until(lambda: not any(alive(pid) for pid in survivors), "the server processes stopped")
    assert not answers(port)


def test_killing_the_supervisor_takes_its_children(served: tuple[subprocess.Popen[bytes], int, Path]) -> None:
    process, port, _ = served
    pids = children(process.pid)
    process.kill()
    process.wait(10)
    until(lambda: not any(alive(pid) for pid in pids), "the children died with their parent")
    assert not answers(port)


# A supervisor whose server processes miss the first SIGTERM (one still starting, without its handlers
# yet): the supervisor asks again each second, and they stop.
DEAF_CHILDREN = """
import signal, sys, time
from node.web.serving import Supervisor, listening_socket

def run_child(index, sock):
    heard = []
    signal.signal(signal.SIGTERM, lambda *a: heard.append(1))  # the first one is missed
    print("child", index, "up", flush=True)
    while len(heard) < 2:
        time.sleep(0.01)
    sys.exit(0)

Supervisor(run_child, 2, listening_socket("127.0.0.1", 0)).run()
print("supervisor done", flush=True)
"""


def test_server_processes_that_miss_the_first_stop_are_asked_again(tmp_path: Path) -> None:
    script = tmp_path / "deaf.py"
    script.write_text(DEAF_CHILDREN)
    proc = subprocess.Popen([os.sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        lines = [proc.stdout.readline() for _ in range(2)] if proc.stdout else []
        assert sorted(lines) == ["child 0 up\n", "child 1 up\n"]
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
        assert 0.5 < time.monotonic() - started < 5  # stopped by the second request, a second later
        assert proc.stdout is not None and proc.stdout.read() == "supervisor done\n"
    finally:
        proc.kill()
