"""The federation console (/admin/federation, /admin/relays), limited federation (pages for members
only) and `agora federation ...` on the command line."""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import httpx2
import pytest

from node.policy import modes, policy
from node.app import create_app
from node.cli.main import main
from node.core.db import run_migrations
from node.core.models import AuditEntry
from node.policy.models import DomainPolicy, Relay
from node.policy.snapshot import snapshot
from node.core.runtime import Node, run_async
from node.core.settings import LimitSettings, load_settings
from tests import helpers
from tests.conftest import Federation
from tests.helpers import CSRF

LIMITS = LimitSettings(login_per_ip_per_minute=1000, forms_per_ip_per_minute=1000)


def client(node: Node) -> httpx2.AsyncClient:
    node.settings = dataclasses.replace(node.settings, limits=LIMITS)
    return httpx2.AsyncClient(transport=httpx2.ASGITransport(app=create_app(node.settings, node=node)),
                              base_url=node.settings.base_url)


# Logging in through the app made by client(), with its rate limits.
logged_in = functools.partial(helpers.logged_in, client=client)


async def csrf(http: httpx2.AsyncClient, path: str = "/admin/federation") -> str:
    page = await http.get(path)
    assert page.status_code == 200, page.text
    token = CSRF.search(page.text)
    assert token
    return token.group(1)


async def test_only_admins_use_the_console(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with client(a) as anonymous:
        assert (await anonymous.get("/admin/federation")).status_code == 303
    async with logged_in(a, "mod", "moderator") as http:
        assert (await http.get("/admin/federation")).status_code == 403
        assert (await http.get("/admin/relays")).status_code == 403
        assert (await http.get("/admin/federation/export.csv")).status_code == 403


async def test_the_console_changes_the_policy_and_audits_it(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with logged_in(a, "amina", "admin") as http:
        token = await csrf(http)
        added = await http.post("/admin/federation/rules", data={
            "csrf": token, "domain": "Spam.Example", "action": "suspend", "reject_media": "on",
            "public_comment": "spam", "private_comment": "seen by Amina"})
        assert added.status_code == 303
        page = (await http.get("/admin/federation")).text
        assert "spam.example" in page and "seen by Amina" in page
        with a.ctx:
            rule = await DomainPolicy.get(domain="spam.example")
            assert await policy.is_blocked(a, "https://spam.example/users/x")
        edit = await http.get(f"/admin/federation/rules/{rule.id}")
        assert edit.status_code == 200 and 'value="spam"' in edit.text
        assert (await http.post(f"/admin/federation/rules/{rule.id}", data={
            "csrf": token, "action": "silence", "public_comment": "noisy"})).status_code == 303
        with a.ctx:
            assert not await policy.is_blocked(a, "https://spam.example/users/x")
            assert await policy.is_silenced(a, "https://spam.example/users/x")
        bad = await http.post("/admin/federation/rules", data={"csrf": token, "domain": "not a domain",
                                                               "action": "suspend"})
        assert bad.status_code == 400 and "not a domain" in bad.text
        assert (await http.post("/admin/federation/rules", data={"csrf": "forged", "domain": "x.example",
                                                                 "action": "suspend"})).status_code == 403
        assert (await http.post("/admin/federation/mode", data={"csrf": token, "mode": "allowlist"})).status_code == 303
        assert "The allow list is empty" in (await http.get("/admin/federation")).text
        assert (await http.post("/admin/federation/settings", data={"csrf": token, "authorized_fetch": "on"})).status_code == 303
        assert (await http.post("/admin/federation/accounts", data={
            "csrf": token, "uri": "https://ok.example/users/troll", "action": "silence", "reason": "rude"})).status_code == 303
        with a.ctx:
            assert await policy.mode(a) == "allowlist"
            snap = await snapshot(a)
            assert snap.authorized_fetch and not snap.limited_federation
            assert await policy.is_silenced(a, "https://ok.example/users/troll")
        assert (await http.post(f"/admin/federation/rules/{rule.id}/delete", data={"csrf": token})).status_code == 303
        with a.ctx:
            actions = [e.action for e in await AuditEntry.all().order_by("id")]
            assert actions == ["domain.suspend", "domain.silence", "policy.mode", "policy.authorized_fetch",
                               "actor.silence", "domain.unblock"]
            assert (await AuditEntry.first()).by == "amina"  # type: ignore[union-attr]


async def test_import_export_and_drafts_in_the_console(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    csv_text = "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\nspam.example,suspend,false,false,spam,false\n"
    async with logged_in(a, "amina", "admin") as http:
        token = await csrf(http)
        bad = await http.post("/admin/federation/import", data={"csrf": token, "kind": "block"},
                              files={"file": ("blocks.csv", csv_text + "bad.example,banish,,,,\n", "text/csv")})
        assert bad.status_code == 400 and "Nothing was imported" in bad.text and "line 3" in bad.text
        ok = await http.post("/admin/federation/import", data={"csrf": token, "kind": "block"},
                             files={"file": ("blocks.csv", csv_text, "text/csv")})
        assert ok.status_code == 303
        pasted = await http.post("/admin/federation/import", data={"csrf": token, "kind": "allow",
                                                                   "text": "friends.example\n"})
        assert pasted.status_code == 303
        export = await http.get("/admin/federation/export.csv?kind=block")
        assert export.headers["content-type"].startswith("text/csv")
        assert export.text == csv_text
        assert "friends.example" in (await http.get("/admin/federation/export.csv?kind=allow")).text
        with a.ctx:
            draft = await DomainPolicy.create(domain="draft.example", action="suspend", state="draft")
        assert "draft.example" in (await http.get("/admin/federation")).text
        assert (await http.post("/admin/federation/drafts", data={"csrf": token, "rule": str(draft.id),
                                                                  "decision": "approve"})).status_code == 303
        with a.ctx:
            assert await policy.is_blocked(a, "draft.example")


async def test_relays_in_the_console(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with logged_in(a, "amina", "admin") as http:
        token = await csrf(http, "/admin/relays")
        assert (await http.post("/admin/relays", data={"csrf": token, "inbox_url": "not a url"})).status_code == 400
        assert (await http.post("/admin/relays", data={"csrf": token,
                                                       "inbox_url": "http://relay.test/inbox"})).status_code == 303
        page = (await http.get("/admin/relays")).text
        assert "http://relay.test/inbox" in page and "Waiting for the relay" in page
        with a.ctx:
            relay = await Relay.get()
        assert (await http.post(f"/admin/relays/{relay.id}/delete", data={"csrf": token})).status_code == 303
        with a.ctx:
            assert not await Relay.exists()


async def test_limited_federation_hides_the_pages_from_visitors(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    with a.ctx:
        await modes.set_flag(a, "limited_federation", True, by="cli")
    async with client(a) as anonymous:
        for path in ("/", "/@asso", "/events", "/initiatives", "/tags/news", "/search?q=x"):
            page = await anonymous.get(path)
            assert page.status_code == 401, path
            assert 'action="/login"' in page.text, path
        for path in ("/feed.rss", "/events.ics"):
            assert (await anonymous.get(path)).status_code == 401, path
        assert (await anonymous.get("/login")).status_code == 200
        assert (await anonymous.get("/.well-known/webfinger", params={"resource": "acct:asso@a.test"})).status_code == 200
        assert (await anonymous.get("/.well-known/nodeinfo")).status_code == 200
        assert (await anonymous.get("/actor", headers={"Accept": "application/activity+json"})).status_code == 200
        assert (await anonymous.get("/static/agora.css")).status_code == 200
    async with logged_in(a, "bob", "member") as http:
        assert (await http.get("/")).status_code == 200
        assert (await http.get("/@asso")).status_code == 200


def cli(config: Path, *args: str) -> int:
    return main(["--config", str(config), "federation", *args])


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "agora.toml"
    path.write_text(f'base_url = "http://a.test"\ndata_dir = "{tmp_path}"\nsecret_key = "x"\n'
                    'allow_private_addresses = true\n[association]\nhandle = "asso"\n')
    return path


async def _migrate(config: Path) -> None:
    await run_migrations(load_settings(config))


def test_the_command_line(config: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    run_async(_migrate(config))
    assert cli(config, "block", "Spam.Example", "--severity", "silence", "--reject-media", "--reason", "spam") == 0
    assert "silence  spam.example" in capsys.readouterr().out
    assert cli(config, "allow", "friends.example") == 0
    assert cli(config, "mode", "allowlist") == 0
    lists = tmp_path / "blocks.csv"
    lists.write_text("#domain,#severity\nhate.example,suspend\n")
    assert cli(config, "import", str(lists)) == 0
    assert "imported 1 block rules" in capsys.readouterr().out
    assert cli(config, "export") == 0
    exported = capsys.readouterr().out
    assert "hate.example,suspend,false,false,,false" in exported and "spam.example,silence,true" in exported
    assert cli(config, "list") == 0
    listing = capsys.readouterr().out
    assert "mode: allowlist (authorized fetch)" in listing and "allow    friends.example" in listing
    assert cli(config, "unblock", "hate.example") == 0
    assert cli(config, "disallow", "friends.example") == 0
    assert cli(config, "relay", "list") == 0
    capsys.readouterr()
    lists.write_text("#domain,#severity\nhate.example,banish\n")
    for args, message in (
        (("import", str(lists)), "line 2"),
        (("import", str(tmp_path / "missing.csv")), "cannot read"),
        (("unblock", "nobody.example"), "no active block rule"),
        (("block", "not a domain"), "not a domain"),
        (("subscribe", "ftp://x.example/list"), "http(s) URL"),
        (("relay", "add"), "inbox URL"),
    ):
        with pytest.raises(SystemExit) as stopped:
            cli(config, *args)
        assert stopped.value.code == 2
        error = capsys.readouterr().err
        assert error.startswith("agora: error:") and message in error and error.count("\n") == 1, error
