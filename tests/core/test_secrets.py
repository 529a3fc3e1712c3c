"""Secrets never leave the node: private keys, the session secret, the mail password and session cookies
are absent from every log record of a realistic flow (at DEBUG, SQL included), from command output,
exports and error pages."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import logging
from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from starlette.requests import Request

from node.initiatives import initiatives
from node.core import logredact, mail
from node.cli.main import main as agora
from node.posts.content import Draft, create_post
from node.accounts.actors import local_actor
from node.core.models import Actor
from node.core.runtime import Node
from node.core.settings import MailSettings
from node.web import pages
import tests.conftest as conftest
from tests.conftest import Federation, client_for
from tests.helpers import CSRF, follow_association, logged_in, publish_event, publish_initiative

SECRET_KEY = "sk-Vb7QpN2xR9tL4mWc8dYh"
MAIL_PASSWORD = "mp-Hq3Zs6Kf1Ju8Xe5Ga0"
MAIL_USER = "agora-mailer"


class FakeSmtp:
    """A mail server on loopback that refuses every login (and records what it was told)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.port = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def close(self) -> None:
        if self._server is not None:
            self._server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 fake.example ESMTP\r\n")
        try:
            while line := (await reader.readline()).decode("latin-1").strip():
                self.lines.append(line)
                verb = line.split(" ", 1)[0].upper()
                if verb in ("EHLO", "HELO"):
                    writer.write(b"250-fake.example\r\n250 AUTH PLAIN LOGIN\r\n")
                elif verb == "AUTH":
                    writer.write(b"535 5.7.8 Authentication credentials invalid\r\n")
                elif verb == "QUIT":
                    writer.write(b"221 bye\r\n")
                    break
                else:
                    writer.write(b"500 what\r\n")
                await writer.drain()
        finally:
            writer.close()


@pytest.fixture
async def smtp() -> AsyncIterator[FakeSmtp]:
    server = FakeSmtp()
    await server.start()
    yield server
    server.close()


@pytest.fixture
def secret_nodes(monkeypatch: pytest.MonkeyPatch, smtp: FakeSmtp) -> Iterator[None]:
    """Every node of the test gets a real secret key and a mail server login."""
    original = conftest.node_settings

    def node_settings(tmp: Path, host: str, **kwargs: Any) -> Any:
        settings = original(tmp, host, **kwargs)
        mail_settings = MailSettings(host="127.0.0.1", port=smtp.port, username=MAIL_USER,
                                     password=MAIL_PASSWORD, starttls=False)
        return dataclasses.replace(settings, secret_key=SECRET_KEY, mail=mail_settings)

    monkeypatch.setattr(conftest, "node_settings", node_settings)
    yield


def forbidden_strings(*nodes: Node) -> list[str]:
    """What must never be seen: the secrets, in clear and as the SMTP AUTH encodings, and every line of
    every private key of the nodes."""
    values = [SECRET_KEY, MAIL_PASSWORD, "PRIVATE KEY-----\n",
              base64.b64encode(f"\0{MAIL_USER}\0{MAIL_PASSWORD}".encode()).decode(),
              base64.b64encode(MAIL_PASSWORD.encode()).decode()]
    return values


async def private_key_lines(node: Node) -> list[str]:
    with node.ctx:
        pems = await Actor.filter(local=True).values_list("private_key_pem", flat=True)
    lines = [line for pem in pems if pem for line in str(pem).splitlines() if "-----" not in line]
    assert len(lines) > 20
    return lines


def record_texts(records: list[logging.LogRecord]) -> list[str]:
    return [f"{r.getMessage()}\n{r.exc_text or ''}\n{r.stack_info or ''}" for r in records]


def assert_clean(texts: list[str], forbidden: list[str], where: str) -> None:
    for text in texts:
        for value in forbidden:
            assert value not in text, f"{where}: {value[:20]}... in {text[:300]!r}"


# ------------------------------------------------------------------ logs


async def test_a_realistic_flow_logs_no_secret(
    federation: Federation, secret_nodes: None, smtp: FakeSmtp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    await follow_association(federation, a, b)
    cookies: list[str] = []
    async with client_for(a) as http:  # a wrong password
        token = CSRF.search((await http.get("/login")).text).group(1)  # type: ignore[union-attr]
        response = await http.post("/login", data={"csrf": token, "login": "carla", "password": "nope"})
        assert response.status_code == 400
    async with logged_in(a, "carla", "editor") as http:  # a session, used
        cookies.append(http.cookies["agora_session"])
        assert (await http.get("/account")).status_code == 200
    with pytest.raises(mail.MailError) as refused:  # the mail server refuses the login
        await mail.send_mail(a.settings, "someone@example.org", "Hello", "A message")
    assert any(line.startswith("AUTH") for line in smtp.lines)  # the password was really used
    federation.network.down.add("b.test")  # a delivery that fails
    with a.ctx:
        group = await local_actor("asso")
        assert group is not None
        await create_post(a, group, Draft(text="Hello followers"))
    await federation.settle()
    failures = [r for r in caplog.records if "b.test" in r.getMessage() and r.levelno >= logging.INFO]
    assert failures, "the failing delivery was logged"
    logging.getLogger("agora.test").error("oops %s", {"cookie": f"agora_session={cookies[0]}"},
                                          exc_info=RuntimeError(f"boom with {SECRET_KEY}"))

    forbidden = forbidden_strings(a, b) + cookies + await private_key_lines(a) + await private_key_lines(b)
    texts = record_texts(caplog.records)
    assert len(texts) > 100  # DEBUG: SQL, HTTP, jobs...
    assert_clean(texts, forbidden, "log record")
    assert_clean([caplog.text], forbidden, "formatted log")
    assert_clean([str(refused.value)], forbidden, "mail error")
    # The redaction really had work to do: SQL at DEBUG carries the keys the nodes created.
    assert any("private key redacted]" in text for text in texts)
    assert any(logredact.REDACTED in text for text in texts)


def test_redaction_of_each_kind_of_secret() -> None:
    logredact.add_secrets(["abc", "a-longer-secret-value"])  # too short to be redacted safely: ignored
    pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nAAAA\n-----END RSA PRIVATE KEY-----"
    assert logredact.redact(f"key={pem} done") == "key=[RSA private key redacted] done"
    assert logredact.redact("-----BEGIN PRIVATE KEY-----\nMIIEv (cut") == "[private key redacted]"
    assert logredact.redact("x a-longer-secret-value y abc") == "x [redacted] y abc"
    assert logredact.redact("Cookie: agora_session=eyJ1aWQiOjF9.Zz.abc; other=1") == \
        "Cookie: agora_session=[redacted]; other=1"
    assert logredact.redact("{'cookie': 'agora_session=eyJ.x'}") == "{'cookie': 'agora_session=[redacted]'}"
    assert logredact.redact("-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----").startswith("-----BEGIN PUBLIC")


def test_records_are_redacted_for_handlers_added_later(caplog: pytest.LogCaptureFixture) -> None:
    logredact.install()
    logredact.add_secrets(["late-handler-secret"])
    caplog.set_level(logging.DEBUG)
    log = logging.getLogger("agora.redact.test")
    log.debug("args %s and %r", "late-handler-secret", ["late-handler-secret"])
    try:
        raise ValueError("late-handler-secret")
    except ValueError:
        log.exception("failed")
    assert "late-handler-secret" not in caplog.text
    assert caplog.records[0].getMessage() == "args [redacted] and ['[redacted]']"
    assert "ValueError: [redacted]" in caplog.text


# ------------------------------------------------------------------ pages, exports, command output


async def test_error_pages_show_no_exception_text(
    federation: Federation, secret_nodes: None, caplog: pytest.LogCaptureFixture
) -> None:
    a = await federation.add_node("a.test")
    request = Request({"type": "http", "method": "GET", "path": "/x", "headers": [], "query_string": b"",
                       "app": a.extra["app"]})
    response = await pages.server_error(request, RuntimeError(f"failed with {SECRET_KEY} {MAIL_PASSWORD}"))
    assert response.status_code == 500
    body = bytes(response.body).decode()
    assert SECRET_KEY not in body and MAIL_PASSWORD not in body and "failed with" not in body
    assert_clean(record_texts(caplog.records) + [caplog.text], [SECRET_KEY, MAIL_PASSWORD], "error log")


async def test_public_documents_exports_and_admin_pages_hold_no_secret(
    federation: Federation, secret_nodes: None
) -> None:
    from tests.events.test_event_pages import path_of as event_path
    from tests.initiatives.test_initiative_pages import path_of as initiative_path

    a = await federation.add_node("a.test")
    initiative = await publish_initiative(a)
    with a.ctx:
        await initiatives.add_ledger_entry(a, initiative, direction="received", nature="money",
                                           description="Gift", occurred_on=date(2026, 2, 1), amount="10",
                                           currency="EUR")
    event = await publish_event(a)
    forbidden = forbidden_strings(a) + await private_key_lines(a)
    bodies: dict[str, str] = {}
    async with client_for(a) as visitor:
        for path in ("/users/asso", "/actor", "/.well-known/webfinger?resource=acct:asso@a.test",
                     "/nodeinfo/2.1", f"{initiative_path(initiative)}.json",
                     f"{initiative_path(initiative)}/ledger.csv", "/", "/login", "/no-such-page"):
            response = await visitor.get(path, headers={"Accept": "application/activity+json"}
                                         if path in ("/users/asso", "/actor") else {})
            assert response.status_code in (200, 404), (path, response.status_code)
            bodies[path] = response.text
    assert "publicKeyPem" in bodies["/users/asso"]
    async with logged_in(a, "root", "admin") as admin:
        for path in (f"{event_path(event)}/participants.csv", "/admin", "/admin/settings",
                     "/admin/federation/export.csv", "/admin/federation/export.csv?kind=allow"):
            response = await admin.get(path)
            if response.status_code == 200:
                bodies[path] = response.text
        assert f"{event_path(event)}/participants.csv" in bodies
    for path, text in bodies.items():
        assert_clean([text], forbidden, path)


def test_config_check_and_init_output_hold_no_secret(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "agora.toml"
    config.write_text(
        f'base_url = "https://asso.example"\ndata_dir = "{tmp_path}"\nsecret_key = "{SECRET_KEY}"\n'
        f'[mail]\nhost = "mail.example"\nusername = "{MAIL_USER}"\npassword = "{MAIL_PASSWORD}"\n'
    )
    assert agora(["--config", str(config), "migrate"]) in (0, None)
    assert agora(["--config", str(config), "config", "check"]) in (0, None)
    out = capsys.readouterr()
    assert "ok" in out.out
    assert_clean([out.out, out.err], [SECRET_KEY, MAIL_PASSWORD], "agora config check")
