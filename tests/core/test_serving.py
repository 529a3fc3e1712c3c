"""`agora serve` against clients that hang up, dawdle or crowd in: one real server process on a
loopback port (made with `agora init --dev`, short deadlines and a small cap set by AGORA_SERVER_*),
driven through raw sockets, its log read back."""

from __future__ import annotations

import os
import re
import select
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from node.core.settings import ServerSettings, SettingsError, load_settings
from node.web.serving import server_config

AGORA = Path(sys.executable).parent / "agora"
REPO = Path(__file__).resolve().parents[2]
HEADER_TIMEOUT = 2.0
BODY_TIMEOUT = 2.0
MAX_CONNECTIONS = 12
HUNG_UP = "the client hung up before its body arrived"
FORM = "application/x-www-form-urlencoded"
AS2 = "application/activity+json"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    port: int
    log_path: Path
    process: subprocess.Popen[bytes]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=10)

    def wait_for_log(self, pattern: str, count: int, start: int, timeout: float = 20.0) -> str:
        """The log written since `start`, once it holds `count` lines matching `pattern`."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.log()[start:]
            if len(re.findall(pattern, text)) >= count or time.monotonic() > deadline:
                return text
            time.sleep(0.02)


def agora_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGORA_")}
    env.update(PYTHONUNBUFFERED="1", AGORA_LIMITS_FORMS_PER_IP_PER_MINUTE="10000",
               AGORA_LIMITS_LOGIN_PER_IP_PER_MINUTE="10000", AGORA_LIMITS_INBOX_PER_IP_PER_MINUTE="10000",
               AGORA_SERVER_HEADER_TIMEOUT=str(HEADER_TIMEOUT), AGORA_SERVER_BODY_TIMEOUT=str(BODY_TIMEOUT),
               AGORA_SERVER_MAX_CONNECTIONS=str(MAX_CONNECTIONS))
    return env


def wait_ready(served: Served, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if served.process.poll() is not None:
            raise AssertionError(f"agora serve exited with {served.process.returncode}:\n{served.log()}")
        try:
            if exchange(served, b"GET /.well-known/nodeinfo HTTP/1.1\r\nHost: x\r\n\r\n").startswith(b"HTTP/1.1 200"):
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"agora serve did not answer in {timeout} s:\n{served.log()}")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("serving")
    port = free_port()
    env = agora_env()
    done = subprocess.run(
        [str(AGORA), "init", "--dev", "--base-url", f"http://127.0.0.1:{port}", "--handle", "asso", "--name", "Asso",
         "--admin-email", "admin@example.org", "--data-dir", str(root / "data")],
        cwd=root, env=env, capture_output=True, text=True, timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    log_path = root / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            # one server process: the connection cap holds per process (node/web/serving.py)
            [str(AGORA), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"], cwd=REPO,
            env={**env, "AGORA_CONFIG": str(root / "data" / "agora.toml")}, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    served = Served(port, log_path, process)
    try:
        wait_ready(served)
        yield served
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def read_all(sock: socket.socket, timeout: float = 10.0) -> bytes:
    """What the server sends until it closes the connection (or `timeout` passes)."""
    sock.settimeout(timeout)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except OSError:
        pass
    return data


def read_response(sock: socket.socket) -> bytes:
    """One whole response (its Content-Length) on a kept-alive connection."""
    sock.settimeout(10)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed after {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?i)\r\ncontent-length: *(\d+)", head).group(1))  # type: ignore[union-attr]
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed mid-body"
        body += chunk
    return head + b"\r\n\r\n" + body


def exchange(served: Served, request: bytes) -> bytes:
    """One request on its own connection (Connection: close), the whole answer."""
    with served.connect() as sock:
        sock.sendall(request.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1))
        return read_all(sock)


def post_head(path: str, content_type: str, length: int) -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {length}\r\n\r\n").encode()


def closed_after(sock: socket.socket, trickle: bytes, limit: float) -> float:
    """Send `trickle` a byte every 0.2 s until the server closes the connection; the seconds that took
    (`limit` when it never did)."""
    start = time.monotonic()
    for index in range(10_000):
        elapsed = time.monotonic() - start
        if elapsed > limit:
            return limit
        try:
            sock.sendall(trickle[index % len(trickle): index % len(trickle) + 1])
        except OSError:
            return time.monotonic() - start
        readable, _, _ = select.select([sock], [], [], 0.2)
        if readable:
            try:
                if sock.recv(65536) == b"":
                    return time.monotonic() - start
            except OSError:
                return time.monotonic() - start
    return limit


def test_clients_that_hang_up_mid_body_get_one_log_line_and_no_traceback(served: Served) -> None:
    start = len(served.log())
    for n, (path, content_type) in enumerate([("/login", FORM)] * 50 + [("/inbox", AS2)] * 50):
        with served.connect() as sock:
            sock.sendall(post_head(path, content_type, 2000) + b"a" * 1000)
        text = served.wait_for_log(HUNG_UP, n + 1, start, timeout=10)  # one at a time: the cap is small here
        assert text.count(HUNG_UP) == n + 1, text[-3000:]
    text = served.wait_for_log(HUNG_UP, 100, start)
    assert "Traceback" not in text and "ERROR" not in text, text[:3000]
    lines = [line for line in text.splitlines() if HUNG_UP in line]
    assert len([line for line in lines if "POST /login from 127.0.0.1" in line]) == 50, text[:3000]
    assert len([line for line in lines if "POST /inbox from 127.0.0.1" in line]) == 50, text[:3000]
    received = [int(m.group(1)) for line in lines if (m := re.search(r"\((\d+) of 2000 bytes\)", line))]
    assert len(received) == 100 and all(n <= 1000 for n in received), lines  # what arrived before the hang-up
    assert " 500 " not in text


def test_slow_headers_are_cut_at_the_deadline(served: Served) -> None:
    start = len(served.log())
    with served.connect() as sock:
        elapsed = closed_after(sock, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"z" * 200, limit=20)
    assert HEADER_TIMEOUT * 0.9 <= elapsed < HEADER_TIMEOUT + 6, elapsed
    text = served.wait_for_log("no complete request headers within 2 s", 1, start)
    assert "closed the connection from 127.0.0.1: no complete request headers within 2 s" in text


def test_the_next_request_on_a_kept_alive_connection_has_its_own_header_deadline(served: Served) -> None:
    with served.connect() as sock:
        sock.sendall(b"GET /.well-known/nodeinfo HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert read_response(sock).startswith(b"HTTP/1.1 200")
        elapsed = closed_after(sock, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"z" * 200, limit=20)
    assert elapsed < HEADER_TIMEOUT + 6, elapsed


@pytest.mark.parametrize(("path", "content_type"), [("/login", FORM), ("/inbox", AS2)])
def test_a_slow_body_gets_408_at_the_deadline(served: Served, path: str, content_type: str) -> None:
    start = len(served.log())
    with served.connect() as sock:
        sock.sendall(post_head(path, content_type, 5000) + b"a" * 100)
        began = time.monotonic()
        sock.settimeout(0.3)
        answer = b""
        while not answer and time.monotonic() - began < 20:
            try:
                sock.sendall(b"a")  # a byte now and then: the body never completes in time
                answer = sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
        elapsed = time.monotonic() - began
        answer += read_all(sock)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"connection: close" in answer.lower()
    assert BODY_TIMEOUT * 0.9 <= elapsed < BODY_TIMEOUT + 6, elapsed
    text = served.wait_for_log("did not arrive within", 1, start)
    assert f"POST {path} from 127.0.0.1: the body did not arrive within 2 s (408)" in text
    time.sleep(0.3)
    text = served.log()[start:]
    assert HUNG_UP not in text and "Traceback" not in text, text  # one line for it, nothing else


def test_normal_requests_still_work(served: Served) -> None:
    form = b"username=nobody&password=wrong&csrf=stale"
    answer = exchange(served, post_head("/login", FORM, len(form)) + form)
    assert answer.split(b"\r\n", 1)[0] in (b"HTTP/1.1 403 Forbidden", b"HTTP/1.1 303 See Other"), answer[:300]
    big = b'{"id": "' + b"x" * 400_000 + b'"}'
    answer = exchange(served, post_head("/inbox", AS2, len(big)) + big)
    assert answer.startswith(b"HTTP/1.1 400"), answer[:300]  # read in full, then refused for what it says
    with served.connect() as sock:  # keep-alive: two requests on one connection
        for _ in range(2):
            sock.sendall(b"GET /.well-known/nodeinfo HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert read_response(sock).startswith(b"HTTP/1.1 200")


def test_connections_beyond_the_cap_get_503(served: Served) -> None:
    time.sleep(0.5)  # the connections of earlier tests are gone
    held = [served.connect() for _ in range(MAX_CONNECTIONS - 1)]
    try:
        time.sleep(0.3)
        last = b"GET /.well-known/nodeinfo HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        assert exchange(served, last).startswith(b"HTTP/1.1 200")  # the cap's own connection is served
        held.append(served.connect())
        time.sleep(0.3)
        assert exchange(served, last).startswith(b"HTTP/1.1 503")
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.5)
    assert exchange(served, b"GET /.well-known/nodeinfo HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").startswith(b"HTTP/1.1 200")


def test_server_settings_have_sane_defaults_and_are_checked() -> None:
    settings = load_settings(env={})
    assert settings.server == ServerSettings(header_timeout=10.0, body_timeout=60.0, keep_alive_timeout=5,
                                             max_connections=1000, access_log=True)
    assert load_settings(env={"AGORA_SERVER_HEADER_TIMEOUT": "3"}).server.header_timeout == 3.0
    for name in ("HEADER_TIMEOUT", "BODY_TIMEOUT", "KEEP_ALIVE_TIMEOUT", "MAX_CONNECTIONS"):
        with pytest.raises(SettingsError, match="must be positive"):
            load_settings(env={f"AGORA_SERVER_{name}": "0"})


def test_the_access_log_can_be_turned_off_for_a_node_behind_a_proxy_that_keeps_one() -> None:
    on = load_settings(env={}).server
    off = load_settings(env={"AGORA_SERVER_ACCESS_LOG": "false"}).server
    assert server_config(lambda *a: None, on, host="127.0.0.1", port=1, log_level="info").access_log is True
    assert server_config(lambda *a: None, off, host="127.0.0.1", port=1, log_level="info").access_log is False
