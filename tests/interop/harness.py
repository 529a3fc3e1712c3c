"""Helpers for the interop lane: HTTP without proxies, polling, and thin
clients for the peers (snac2, the Fedify peer) and for Agora nodes.

Everything talks to 127.0.0.1 only.  Paths and ports come from the
environment prepared by tests/interop/run.sh.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, TypeVar

AP_ACCEPT = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
DEFAULT_TIMEOUT = float(os.environ.get("INTEROP_TIMEOUT", "20"))

T = TypeVar("T")

# Loopback only: never go through a proxy configured in the environment.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:  # noqa: D401
        return None


_opener_noredirect = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    url: str = ""

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.body)

    def __str__(self) -> str:
        excerpt = self.text[:1500]
        return f"HTTP {self.status} from {self.url}\n{excerpt}"


def http(
    method: str,
    url: str,
    *,
    body: bytes | str | dict | None = None,
    headers: dict[str, str] | None = None,
    accept: str | None = None,
    follow_redirects: bool = True,
    timeout: float = 15,
) -> Reply:
    hdrs = dict(headers or {})
    data: bytes | None
    if isinstance(body, dict):
        data = json.dumps(body).encode()
        hdrs.setdefault("Content-Type", "application/json")
    elif isinstance(body, str):
        data = body.encode()
    else:
        data = body
    if accept:
        hdrs["Accept"] = accept
    req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
    opener = _opener if follow_redirects else _opener_noredirect
    try:
        with opener.open(req, timeout=timeout) as resp:
            return Reply(resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read(), url)
    except urllib.error.HTTPError as err:
        return Reply(err.code, {k.lower(): v for k, v in (err.headers or {}).items()}, err.read(), url)


def get_ap(url: str) -> Reply:
    return http("GET", url, accept=AP_ACCEPT)


def wait_for(
    probe: Callable[[], T | None],
    what: str,
    timeout: float = DEFAULT_TIMEOUT,
    interval: float = 0.3,
    diagnose: Callable[[], str] | None = None,
) -> T:
    """Poll ``probe`` until it returns something truthy; fail after ``timeout``.

    Exceptions raised by the probe are remembered and reported on timeout.
    """
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            last = probe()
            if last:
                return last
        except Exception as exc:  # noqa: BLE001 - reported below
            last = exc
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    extra = ""
    if diagnose is not None:
        try:
            extra = "\n" + diagnose()
        except Exception as exc:  # noqa: BLE001
            extra = f"\n(diagnose failed: {exc!r})"
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for: {what}\nlast probe result: {last!r}{extra}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ids_of(items: Any) -> list[str]:
    """Ids from a list of AP items that may be plain ids or embedded objects."""
    if items is None:
        return []
    if not isinstance(items, list):
        items = [items]
    out = []
    for it in items:
        if isinstance(it, str):
            out.append(it)
        elif isinstance(it, dict) and isinstance(it.get("id"), str):
            out.append(it["id"])
    return out


def collection_items(collection: Any, max_pages: int = 5) -> list[Any]:
    """All items of an AS2 (Ordered)Collection, following ``first``/``next``."""
    if isinstance(collection, str):
        r = get_ap(collection)
        assert r.status == 200, str(r)
        collection = r.json()
    items: list[Any] = list(collection.get("orderedItems") or collection.get("items") or [])
    page: Any = collection.get("first")
    for _ in range(max_pages):
        if page is None:
            break
        if isinstance(page, str):
            r = get_ap(page)
            assert r.status == 200, str(r)
            page = r.json()
        items.extend(page.get("orderedItems") or page.get("items") or [])
        page = page.get("next")
    return items


def tail(path: Path, lines: int = 60) -> str:
    try:
        content = path.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return f"({path} missing)"
    return f"--- {path.name} (last {lines} lines) ---\n" + "\n".join(content[-lines:])


# ------------------------------------------------------------------ Fedify


@dataclass
class FedifyPeer:
    url: str
    log_path: Path

    @property
    def actor(self) -> str:
        return f"{self.url}/users/alice"

    def control(self, method: str, path: str, body: dict | None = None, timeout: float = 30) -> Reply:
        return http(method, f"{self.url}/_control/{path}", body=body, timeout=timeout)

    def call(self, method: str, path: str, body: dict | None = None) -> Any:
        r = self.control(method, path, body)
        assert 200 <= r.status < 300, f"fedify control {method} {path} {body!r} failed:\n{r}\n{self.diagnose()}"
        return r.json()

    def received(self, type_: str | None = None) -> list[dict]:
        path = "received" + (f"?type={type_}" if type_ else "")
        return self.call("GET", path)

    def find_received(self, type_: str, **match: Any) -> dict | None:
        for entry in self.received(type_):
            if all(entry.get(k) == v for k, v in match.items()):
                return entry
        return None

    def knocks(self) -> dict:
        return self.call("GET", "knocks")

    def diagnose(self) -> str:
        return tail(self.log_path, 40)


# -------------------------------------------------------------------- snac


@dataclass
class SnacPeer:
    bin: str
    data: Path
    user: str
    password: str
    url: str
    log_path: Path

    @property
    def actor(self) -> str:
        return f"{self.url}/{self.user}"

    def cli(self, *args: str, check: bool = True, timeout: float = 60) -> str:
        proc = subprocess.run(
            [self.bin, args[0], str(self.data), *args[1:]],
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, "DEBUG": "1"},
        )
        out = proc.stdout + proc.stderr
        if check and proc.returncode != 0:
            raise AssertionError(f"snac {' '.join(args)} exited {proc.returncode}:\n{out}")
        return out

    def webfinger(self, handle: str) -> dict[str, str]:
        out = self.cli("webfinger", handle)
        return dict(
            (m.group(1), m.group(2).strip()) for m in re.finditer(r"^(status|actor|uid): (.*)$", out, re.M)
        )

    @staticmethod
    def _md5(s: str) -> str:
        return hashlib.md5(s.encode()).hexdigest()

    def object(self, obj_id: str) -> dict | None:
        h = self._md5(obj_id)
        path = self.data / "object" / h[:2] / f"{h}.json"
        try:
            return json.loads(path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def in_timeline(self, obj_id: str) -> bool:
        """The object is in the user's private timeline (what snac shows)."""
        return (self.data / "user" / self.user / "private" / f"{self._md5(obj_id)}.json").exists()

    def following(self, actor: str) -> dict | None:
        """The stored Follow (pending) or Accept (confirmed) for ``actor``."""
        path = self.data / "user" / self.user / "following" / f"{self._md5(actor)}.json"
        try:
            return json.loads(path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def is_follower(self, actor: str) -> bool:
        return (self.data / "user" / self.user / "followers" / f"{self._md5(actor)}.json").exists()

    def timeline_ids(self) -> list[str]:
        idx = self.data / "user" / self.user / "private.idx"
        out = []
        try:
            md5s = [ln.strip() for ln in idx.read_text().splitlines() if ln.strip() and not ln.startswith("-")]
        except FileNotFoundError:
            return []
        for h in md5s:
            try:
                out.append(json.loads((self.data / "object" / h[:2] / f"{h}.json").read_text()).get("id"))
            except (FileNotFoundError, json.JSONDecodeError):
                pass
        return out

    def post_form(self, **fields: str) -> Reply:
        """Post the web UI's note form (the CLI cannot reply to a post)."""
        token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        return http(
            "POST",
            f"{self.url}/{self.user}/admin/note",
            body=urllib.parse.urlencode(fields),
            headers={"Authorization": f"Basic {token}", "Content-Type": "application/x-www-form-urlencoded"},
            follow_redirects=False,
        )

    def log_since(self, offset: int) -> str:
        try:
            with open(self.log_path, "rb") as f:
                f.seek(offset)
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def log_size(self) -> int:
        try:
            return self.log_path.stat().st_size
        except FileNotFoundError:
            return 0

    def diagnose(self) -> str:
        return tail(self.log_path, 40)


# ------------------------------------------------------------------- Agora


@dataclass
class AgoraNode:
    """One Agora node (own data dir, port and log), started by the tests."""

    bin: str
    run_dir: Path
    name: str
    handle: str = "asso"
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def actor(self) -> str:
        return f"{self.url}/users/{self.handle}"

    @property
    def acct(self) -> str:
        return f"{self.handle}@{self.host}"

    @property
    def data_dir(self) -> Path:
        return self.run_dir / f"agora-{self.name}"

    @property
    def config(self) -> Path:
        return self.data_dir / "agora.toml"

    @property
    def log_path(self) -> Path:
        return self.run_dir / f"agora-{self.name}.log"

    @property
    def cli_log_path(self) -> Path:
        return self.run_dir / f"agora-{self.name}-cli.log"

    def _env(self) -> dict[str, str]:
        # debug: the inbox's line per verified activity names the signature scheme (test_fedify reads it)
        return {**os.environ, "AGORA_CONFIG": str(self.config), "PYTHONUNBUFFERED": "1", "AGORA_LOG_LEVEL": "debug"}

    def cli(self, *args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [self.bin, *args], capture_output=True, text=True, timeout=timeout, env=self._env(), stdin=subprocess.DEVNULL
        )
        with open(self.cli_log_path, "a") as f:
            f.write(f"$ agora {' '.join(args)}  -> exit {proc.returncode}\n{proc.stdout}{proc.stderr}\n")
        if check and proc.returncode != 0:
            raise AssertionError(
                f"agora {' '.join(args)} exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
            )
        return proc

    def start(self, timeout: float = 45) -> None:
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        self.cli(
            "init",
            "--base-url", self.url,
            "--handle", self.handle,
            "--name", "Interop Association",
            "--admin-email", "admin@example.org",
            "--data-dir", str(self.data_dir),
            "--dev",
        )  # fmt: skip
        assert self.config.exists(), f"agora init did not write {self.config}"
        self.cli("migrate")
        logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [self.bin, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=self._env(),
            stdout=logf,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        logf.close()
        (self.run_dir / f"agora-{self.name}.pid").write_text(str(self.proc.pid))

        def up() -> bool:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"agora serve exited with {self.proc.returncode}")
            r = http("GET", f"{self.url}/.well-known/webfinger?resource=acct:{self.acct}", timeout=3)
            return r.status == 200

        try:
            wait_for(up, f"agora node {self.name} to serve WebFinger", timeout=timeout, diagnose=self.diagnose)
        except Exception:
            self.stop()
            raise

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        (self.run_dir / f"agora-{self.name}.pid").unlink(missing_ok=True)

    # -- actions -----------------------------------------------------------

    def post(self, text: str) -> str:
        out = self.cli("post", "--as", self.handle, text).stdout
        lines = [ln.strip() for ln in out.splitlines() if ln.strip()]
        assert lines, "agora post printed nothing"
        url = lines[-1]
        assert url.startswith(self.url + "/"), f"agora post: last line is not a local URL: {url!r}"
        return url

    def edit(self, url: str, text: str) -> None:
        self.cli("post", "--edit", url, text)

    def delete(self, url: str) -> None:
        self.cli("post", "--delete", url)

    # -- reading -----------------------------------------------------------

    def get_json(self, url: str) -> dict:
        r = get_ap(url)
        assert r.status == 200, f"GET {url} (AP):\n{r}"
        return r.json()

    def followers(self) -> tuple[int, list[str]]:
        coll = self.get_json(f"{self.actor}/followers")
        total = coll.get("totalItems")
        return (int(total) if total is not None else -1, ids_of(collection_items(coll)))

    def replies_of(self, note_url: str) -> list[str]:
        note = self.get_json(note_url)
        replies = note.get("replies")
        if replies is None:
            return []
        return ids_of(collection_items(replies))

    def likes_of(self, note_url: str) -> int:
        note = self.get_json(note_url)
        likes = note.get("likes")
        if isinstance(likes, str):
            likes = self.get_json(likes)
        if not isinstance(likes, dict):
            return 0
        return int(likes.get("totalItems") or 0)

    def html(self, url: str) -> Reply:
        return http("GET", url, accept="text/html")

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def diagnose(self) -> str:
        return tail(self.log_path, 60)
