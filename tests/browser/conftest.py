"""Browser tests in real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright's Python
package), against real `agora serve` processes.

Two nodes run for the whole package, each made the documented way (`agora init --dev`, then
`agora serve`) on its own free port and temporary data dir: node A (the association under test, with an
admin and an editor) and node B (the "remote" server of the remote-follow flow, with a member
`someone`). A fake remote actor served from this process signs ActivityPub activities to node A's inbox
(the XSS corpus). Screenshots go to test-artifacts/screenshots/<name>.png and the servers' logs to
test-artifacts/browser-logs/.

Nothing here is skipped: without Chromium or axe-core the tests fail and say to run `make browser-deps`
(`make test` runs it first)."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from federation.signatures import generate_key_pair, sign_cavage

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CHROMIUM = Path("/usr/bin/chromium")
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = REPO / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
LOGS = ARTIFACTS / "browser-logs"
AGORA = Path(sys.executable).parent / "agora"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PASSWORD = "browser-tests-password-1"
ADMIN, EDITOR, REMOTE_MEMBER = "alice", "edith", "someone"
TIMEOUT_MS = 15_000
AS2 = "application/activity+json"


def missing_dependency() -> str | None:
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is missing: run `make browser-deps` (it installs Debian's chromium)"
    if not AXE.is_file():
        return f"{AXE} is missing: run `make browser-deps` (it runs npm ci in tests/browser)"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_get(url: str, accept: str = "text/html", timeout: float = 5.0) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


# ------------------------------------------------------------------ Agora servers


@dataclass
class AgoraServer:
    """One `agora serve` process on 127.0.0.1:port with its own data dir."""

    name: str
    handle: str
    port: int
    data_dir: Path
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    env: dict[str, str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def config(self) -> Path:
        return self.data_dir / "agora.toml"

    def url(self, path: str) -> str:
        return self.base_url + path

    def actor_uri(self, username: str) -> str:
        """The actor id, as WebFinger gives it (not guessed from the URL layout)."""
        status, body = http_get(self.url(f"/.well-known/webfinger?resource=acct:{username}@{self.host}"), "application/jrd+json")
        assert status == 200, f"WebFinger of {username}@{self.host} answered {status}"
        links = json.loads(body)["links"]
        return next(link["href"] for link in links if link.get("rel") == "self")

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def prepare(self, users: list[tuple[str, str]]) -> None:
        """`agora init --dev` (its own code, in tests/browser/seed.py), then members with known passwords."""
        specs = [f"{username}:{role}:{PASSWORD}" for username, role in users]
        done = subprocess.run(
            [sys.executable, "-m", "tests.browser.seed", str(self.data_dir), self.base_url, self.handle,
             f"{self.name} Association", *specs],
            cwd=REPO, env=self.env, capture_output=True, text=True, timeout=180,
        )
        with self.log_path.open("a") as log:
            log.write(f"$ agora init --dev ... (tests/browser/seed.py)\n{done.stdout}{done.stderr}\n")
        if done.returncode != 0:
            raise AssertionError(f"making node {self.name} failed:\n{done.stdout}{done.stderr}")

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [str(AGORA), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=REPO, env={**self.env, "AGORA_CONFIG": str(self.config)}, stdout=log, stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,
        )
        log.close()

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"agora serve ({self.name}) exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                status, _ = http_get(self.url("/.well-known/nodeinfo"), "application/json", timeout=2)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"agora serve ({self.name}) did not answer in {timeout} s:\n{self.log_tail()}")

    def cpu_seconds(self) -> float:
        """CPU time the server used so far (Linux /proc), written to its log at the end."""
        assert self.process is not None
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return float("nan")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with self.log_path.open("a") as log:
            log.write(f"browser tests: agora serve used {self.cpu_seconds():.1f} s of CPU\n")
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def die_with_parent() -> None:
    """In the server's process before exec: its own session, and SIGTERM when the thread that started
    it ends (pytest killed), so that no server outlives the tests. Linux's prctl(PR_SET_PDEATHSIG)."""
    import ctypes
    import signal

    os.setsid()
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGORA_")}
    env.update(
        PYTHONPATH=str(REPO),
        # Test conditions: the worker polls often, and the whole suite logs in from one address.
        AGORA_WORKER_POLL_INTERVAL="0.1",
        AGORA_LIMITS_LOGIN_PER_IP_PER_MINUTE="1000",
        AGORA_LIMITS_FORMS_PER_IP_PER_MINUTE="1000",
    )
    return env


@dataclass
class Servers:
    local: AgoraServer
    remote: AgoraServer


@pytest.fixture(scope="package")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    problem = missing_dependency()
    if problem:
        pytest.fail(problem, pytrace=False)
    LOGS.mkdir(parents=True, exist_ok=True)
    root = tmp_path_factory.mktemp("agora-browser")
    env = clean_env()
    made = []
    for name, handle in (("Local", "asso"), ("Remote", "remoteasso")):
        log_path = LOGS / f"{name.lower()}-node.log"
        log_path.write_text("")
        made.append(AgoraServer(name, handle, free_port(), root / name.lower(), log_path, env=env))
    local, remote = made
    users = {local.name: [(ADMIN, "admin"), (EDITOR, "editor")], remote.name: [(REMOTE_MEMBER, "member")]}
    try:
        with ThreadPoolExecutor(2) as pool:  # both nodes are made side by side
            list(pool.map(lambda s: s.prepare(users[s.name]), made))
        for server in made:
            server.start()  # from the main thread: see die_with_parent
        for server in made:
            server.wait_ready()
        yield Servers(local, remote)
    finally:
        for server in made:
            server.stop()


@pytest.fixture(scope="package")
def agora(servers: Servers) -> AgoraServer:
    return servers.local


SERVER_ERROR = re.compile(r'HTTP/1\.[01]" 5\d\d|unhandled error on ')


@pytest.fixture(autouse=True)
def no_server_error(servers: Servers) -> Iterator[None]:
    """Whatever a test does, neither node answers 500: their logs are read after each test."""
    marks = {server.name: server.log_path.stat().st_size for server in (servers.local, servers.remote)}
    yield
    found = []
    for server in (servers.local, servers.remote):
        with server.log_path.open("rb") as log:
            log.seek(marks[server.name])
            text = log.read().decode("utf-8", "replace")
        found += [f"{server.name}: {line}" for line in text.splitlines() if SERVER_ERROR.search(line)]
    assert not found, "a node failed with a server error (see test-artifacts/browser-logs/):\n" + "\n".join(found[:20])


# ------------------------------------------------------------------ a fake remote actor


class FakeRemote:
    """A remote Fediverse actor served from this process: node A fetches its key from here, and the
    tests sign activities with it exactly as a real server would (draft-cavage HTTP signatures)."""

    def __init__(self, name: str = "mallory", display_name: str = "Mallory") -> None:
        self.private_pem, self.public_pem = generate_key_pair()
        self.username = name
        self.display_name = display_name
        self.received: list[dict[str, Any]] = []
        remote = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                path = self.path.split("?", 1)[0]
                if path == f"/users/{remote.username}":
                    body, kind = json.dumps(remote.actor_document()).encode(), AS2
                elif path == "/.well-known/webfinger":
                    body = json.dumps({
                        "subject": f"acct:{remote.username}@{remote.host}",
                        "links": [{"rel": "self", "type": AS2, "href": remote.actor_uri}],
                    }).encode()
                    kind = "application/jrd+json"
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length)
                try:
                    remote.received.append(json.loads(data))
                except ValueError:
                    pass
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def actor_uri(self) -> str:
        return f"http://{self.host}/users/{self.username}"

    @property
    def key_id(self) -> str:
        return f"{self.actor_uri}#main-key"

    def actor_document(self) -> dict[str, Any]:
        return {
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": self.actor_uri,
            "type": "Person",
            "preferredUsername": self.username,
            "name": self.display_name,
            "summary": self.display_name,
            "url": "javascript:window.__xss=1",
            "inbox": f"{self.actor_uri}/inbox",
            "followers": f"{self.actor_uri}/followers",
            "publicKey": {"id": self.key_id, "owner": self.actor_uri, "publicKeyPem": self.public_pem},
        }

    def post_to(self, inbox_url: str, doc: dict[str, Any]) -> int:
        """Signs and POSTs an activity; the JSON escapes <, > and & as \\u003c... as Rails (Mastodon) does."""
        text = json.dumps(doc, separators=(",", ":"))
        body = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").encode()
        headers = {"Content-Type": AS2, "Accept": AS2}
        headers.update(sign_cavage("POST", inbox_url, headers, body, self.key_id, self.private_pem))
        request = urllib.request.Request(inbox_url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)

    def __enter__(self) -> FakeRemote:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


def utc_iso(delta: timedelta = timedelta()) -> str:
    return (datetime.now(timezone.utc) + delta).strftime("%Y-%m-%dT%H:%M:%SZ")


# ------------------------------------------------------------------ Playwright


@pytest.fixture(scope="package")
def browser(servers: Servers) -> Iterator[Browser]:
    problem = missing_dependency()
    if problem:
        pytest.fail(problem, pytrace=False)
    if SCREENSHOTS.exists():
        shutil.rmtree(SCREENSHOTS)  # no stale picture from an earlier run
    SCREENSHOTS.mkdir(parents=True)
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()


ContextFactory = Callable[..., BrowserContext]


def make_context(browser: Browser, base_url: str, state: dict[str, Any] | None = None, **options: Any) -> BrowserContext:
    options.setdefault("locale", "en-US")
    options.setdefault("viewport", {"width": 1024, "height": 768})
    context = browser.new_context(base_url=base_url, storage_state=state, **options)  # type: ignore[arg-type]
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    return context


def log_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """Through the login form, as a member does."""
    page.goto("/login")
    form = page.locator('form[action="/login"]')
    form.locator("#login").fill(username)
    form.locator("#password").fill(password)
    with page.expect_navigation():
        form.locator('button[type="submit"]').click()
    logout = page.locator('form[action="/logout"]')
    assert logout.count() == 1, f"{username} is not logged in after the login form; page: {page.url}\n{page.inner_text('main')[:500]}"


@pytest.fixture(scope="package")
def sessions(browser: Browser, agora: AgoraServer) -> dict[str, dict[str, Any]]:
    """Storage states (session cookies) of the admin and the editor, each logged in once by the form."""
    states: dict[str, dict[str, Any]] = {}
    for username in (ADMIN, EDITOR):
        context = make_context(browser, agora.base_url)
        try:
            log_in(context.new_page(), username)
            states[username] = dict(context.storage_state())
        finally:
            context.close()
    return states


@pytest.fixture
def new_context(browser: Browser, agora: AgoraServer, sessions: dict[str, dict[str, Any]]) -> Iterator[ContextFactory]:
    """new_context(as_user=None, **playwright options): a fresh context on node A, closed after the test."""
    made: list[BrowserContext] = []

    def factory(as_user: str | None = None, base_url: str | None = None, **options: Any) -> BrowserContext:
        state = sessions[as_user] if as_user else None
        context = make_context(browser, base_url or agora.base_url, state, **options)
        made.append(context)
        return context

    yield factory
    for context in made:
        context.close()


SharedPage = Callable[..., Page]


@pytest.fixture(scope="package")
def shared_page(browser: Browser, agora: AgoraServer, sessions: dict[str, dict[str, Any]]) -> Iterator[SharedPage]:
    """shared_page(as_user=None, language="en", bypass_csp=False): one tab per kind of visitor, kept for
    the whole package, for checks that only load pages (a new tab costs a renderer process each time).
    A language other than English is chosen once through the switcher's link."""
    made: dict[tuple[str | None, str, bool], tuple[BrowserContext, Page]] = {}

    def factory(as_user: str | None = None, language: str = "en", bypass_csp: bool = False) -> Page:
        key = (as_user, language, bypass_csp)
        if key not in made:
            context = make_context(browser, agora.base_url, sessions[as_user] if as_user else None, bypass_csp=bypass_csp)
            tab = context.new_page()
            if language != "en":
                tab.goto(f"/language?lang={language}&next=/")
                assert tab.evaluate("document.documentElement.lang") == language, f"the switcher did not set {language}"
            made[key] = (context, tab)
        return made[key][1]

    yield factory
    for context, _ in made.values():
        context.close()


@pytest.fixture
def page(new_context: ContextFactory) -> Page:
    return new_context().new_page()


def screenshot(page: Page, name: str, full_page: bool = True) -> Path:
    """A (full-page) screenshot in test-artifacts/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    assert path.stat().st_size > 1000, f"the screenshot {path} is empty"
    return path


# ------------------------------------------------------------------ content made through the forms


IMAGE_ALT = "Volunteers carrying crates of mangoes at the harvest festival"
EVENT_ZONE = "Europe/Paris"


@dataclass
class Made:
    """Something an editor published through a form: its page and what was typed."""

    url: str
    title: str
    details: dict[str, Any] = field(default_factory=dict)


def make_photo(path: Path) -> Path:
    """A JPEG photo with EXIF data, as a phone makes one."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (1200, 800), (250, 200, 80))
    draw = ImageDraw.Draw(image)
    for i in range(0, 1200, 60):
        draw.rectangle((i, 500 + (i % 120), i + 40, 800), fill=(40 + i % 200, 120, 60))
    draw.ellipse((850, 80, 1050, 280), fill=(255, 240, 120))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    image.save(path, "JPEG", quality=85, exif=exif)
    return path


def submit(page: Page, form_selector: str, label: str) -> None:
    """Clicks the form's submit button whose text starts with `label`, and waits for the next page."""

    button = page.locator(form_selector).locator('button[type="submit"], input[type="submit"]').filter(
        has_text=re.compile(rf"^\s*{re.escape(label)}", re.I)
    )
    assert button.count() >= 1, f"no {label!r} button in {form_selector} on {page.url}"
    with page.expect_navigation():
        button.first.click()


def form_error(page: Page) -> str:
    errors = page.locator('.error, [role="alert"]')
    return errors.first.inner_text() if errors.count() else page.inner_text("main")[:800]


@pytest.fixture(scope="package")
def editor_context(browser: Browser, agora: AgoraServer, sessions: dict[str, dict[str, Any]]) -> Iterator[BrowserContext]:
    context = make_context(browser, agora.base_url, sessions[EDITOR])
    yield context
    context.close()


@pytest.fixture(scope="package")
def image_post(editor_context: BrowserContext, tmp_path_factory: pytest.TempPathFactory) -> Made:
    """The editor writes a post with a photo and its alt text at /compose."""
    photo = make_photo(tmp_path_factory.mktemp("photos") / "harvest.jpg")
    page = editor_context.new_page()
    page.goto("/compose")
    form = page.locator('form[action="/compose"]')
    text = "Our harvest festival was a joy: thank you to every volunteer! #harvest"
    form.locator("#text").fill(text)
    files = form.locator('input[type="file"]')
    assert files.count() >= 1, "the compose form (templates/compose.html) has no image upload field"
    files.first.set_input_files(str(photo))
    alt = form.locator('input[name*="alt"], textarea[name*="alt"]')
    assert alt.count() >= 1, "the compose form (templates/compose.html) has no alt text field"
    alt.first.fill(IMAGE_ALT)
    submit(page, 'form[action="/compose"]', "Publish")
    assert "/posts/" in page.url, f"publishing did not lead to the post (at {page.url}): {form_error(page)}"
    url = page.url
    page.close()
    return Made(url=url, title=text, details={"alt": IMAGE_ALT})


@pytest.fixture(scope="package")
def event(editor_context: BrowserContext) -> Made:
    """The editor creates an event at /events/new."""
    from zoneinfo import ZoneInfo

    day = (datetime.now(ZoneInfo(EVENT_ZONE)) + timedelta(days=12)).date()
    title = "Community dinner and film night"
    page = editor_context.new_page()
    page.goto("/events/new")
    form = page.locator("form.event-form")
    form.locator("#title").fill(title)
    form.locator("#description").fill("A shared dinner, then the documentary *Return to the Village*. Bring a dish! #cinema")
    form.locator("#start_date").fill(day.isoformat())
    form.locator("#start_time").fill("18:30")
    form.locator("#end_time").fill("22:00")
    form.locator("#timezone").select_option(EVENT_ZONE)
    form.locator("#place_name").fill("Salle des fêtes")
    form.locator("#place_street").fill("12 rue de la République")
    form.locator("#place_locality").fill("Montreuil")
    form.locator("#place_country").fill("France")
    form.locator("#capacity").fill("80")
    submit(page, "form.event-form", "Publish")
    assert "/events/" in page.url and not page.url.endswith("/events/new"), (
        f"creating the event did not lead to its page (at {page.url}): {form_error(page)}"
    )
    url = page.url
    page.close()
    start = datetime(day.year, day.month, day.day, 18, 30, tzinfo=ZoneInfo(EVENT_ZONE))
    return Made(url=url, title=title, details={"start": start, "place": "Salle des fêtes", "locality": "Montreuil"})


@pytest.fixture(scope="package")
def initiative(editor_context: BrowserContext) -> Made:
    """The editor creates an initiative with a money need at /initiatives/new."""
    title = "Rebuild the school of Kaédi"
    page = editor_context.new_page()
    page.goto("/initiatives/new")
    form = page.locator("form.initiative-form")
    form.locator("#title").fill(title)
    form.locator("#kind").select_option("development")
    form.locator("#summary").fill("New classrooms and a well for the primary school of our home town.")
    form.locator("#description").fill("The school lost its roof in the floods. **Together** we rebuild it. #education")
    form.locator("#there_name").fill("École primaire de Kaédi")
    form.locator("#there_locality").fill("Kaédi")
    form.locator("#there_country").fill("Mauritania")
    form.locator("#need0_kind").select_option("money")
    form.locator("#need0_title").fill("Roof and walls")
    form.locator("#need0_goal").fill("4500")
    form.locator("#need0_currency").fill("EUR")
    submit(page, "form.initiative-form", "Publish")
    assert "/initiatives/" in page.url and not page.url.endswith("/initiatives/new"), (
        f"creating the initiative did not lead to its page (at {page.url}): {form_error(page)}"
    )
    url = page.url
    page.close()
    return Made(url=url, title=title, details={"need": "Roof and walls", "place": "Kaédi"})
