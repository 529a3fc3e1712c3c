"""Login lockout with backoff: consecutive wrong passwords lock the login, doubling up to a day; the
answers are the same whether or not the account exists; success and password resets clear the count;
disabled members cannot log in."""

from __future__ import annotations

import dataclasses
import html
import re
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx2
import pytest

from node.app import create_app
from node.core.models import User
from node.core.runtime import Node
from node.core.settings import LimitSettings
from node.accounts import passwords
from tests.conftest import Federation, member

LIMITS = LimitSettings(login_per_ip_per_minute=1000, forms_per_ip_per_minute=1000,
                       lockout_after_failures=3, lockout_base_seconds=60)


@pytest.fixture
async def a(federation: Federation) -> Node:
    return await federation.add_node("a.test")


def client(node: Node, limits: LimitSettings = LIMITS) -> httpx2.AsyncClient:
    node.settings = dataclasses.replace(node.settings, limits=limits)
    app = create_app(node.settings, node=node)
    return httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url=node.settings.base_url)


async def login(http: httpx2.AsyncClient, name: str, password: str) -> httpx2.Response:
    page = await http.get("/login")
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match, page.text
    return await http.post("/login", data={"csrf": match.group(1), "login": name, "password": password})


def error_of(response: httpx2.Response) -> str:
    match = re.search(r'<p class="error" role="alert">(.*?)</p>', response.text, re.S)
    return html.unescape(match.group(1)).strip() if match else ""


async def user(node: Node, name: str) -> User:
    with node.ctx:
        return await User.get(username=name)


async def expire_lock(node: Node, name: str) -> None:
    with node.ctx:
        await User.filter(username=name).update(locked_until=datetime.now(timezone.utc) - timedelta(seconds=1))


def test_lock_durations_double_up_to_a_day() -> None:
    limits = LimitSettings(lockout_after_failures=5, lockout_base_seconds=60)
    assert [passwords.lock_duration(n, limits) for n in range(5)] == [None] * 5
    assert passwords.lock_duration(5, limits) == timedelta(seconds=60)
    assert passwords.lock_duration(6, limits) == timedelta(seconds=120)
    assert passwords.lock_duration(7, limits) == timedelta(seconds=240)
    assert passwords.lock_duration(16, limits) == timedelta(hours=24)  # 60 * 2**11 s is more than a day
    assert passwords.lock_duration(10_000, limits) == timedelta(hours=24)


async def test_wrong_passwords_lock_the_account_and_even_the_right_password_waits(a: Node) -> None:
    _, password = await member(a, "alice")
    async with client(a) as http:
        for _ in range(2):
            response = await login(http, "alice", "wrong")
            assert response.status_code == 400 and error_of(response) == "Wrong email or password."
        third = await login(http, "alice@example.org", "wrong")
        assert third.status_code == 429
        assert "locked" in error_of(third) and "1 minute" in error_of(third)
        refused = await login(http, "alice", password)  # the right password, during the lock
        assert refused.status_code == 429
        assert 55 <= int(refused.headers["retry-after"]) <= 61
        assert "uid" not in str(http.cookies)
    alice = await user(a, "alice")
    assert alice.failed_logins == 3 and alice.locked_until is not None
    assert alice.last_login_at is None


async def test_each_failure_after_the_lock_doubles_it(a: Node) -> None:
    await member(a, "bea")
    async with client(a) as http:
        for _ in range(3):
            await login(http, "bea", "wrong")
        durations = []
        for _ in range(3):
            await expire_lock(a, "bea")
            started = datetime.now(timezone.utc)
            response = await login(http, "bea", "wrong")
            assert response.status_code == 429
            until = (await user(a, "bea")).locked_until
            assert until is not None
            durations.append(round((until - started).total_seconds() / 60))
    assert durations == [2, 4, 8]
    assert (await user(a, "bea")).failed_logins == 6


async def test_attempts_during_a_lock_do_not_lengthen_it(a: Node) -> None:
    await member(a, "cleo")
    async with client(a) as http:
        for _ in range(3):
            await login(http, "cleo", "wrong")
        first = (await user(a, "cleo")).locked_until
        for _ in range(5):
            assert (await login(http, "cleo", "wrong")).status_code == 429
    again = await user(a, "cleo")
    assert again.locked_until == first and again.failed_logins == 3


async def test_success_resets_the_count(a: Node) -> None:
    _, password = await member(a, "dan")
    async with client(a) as http:
        for _ in range(2):
            await login(http, "dan", "wrong")
        assert (await login(http, "dan", password)).status_code == 303
        assert (await user(a, "dan")).failed_logins == 0
        await http.post("/logout")
        for _ in range(2):
            assert (await login(http, "dan", "wrong")).status_code == 400  # counting starts again
    assert (await user(a, "dan")).locked_until is None


async def test_the_lock_ends_after_its_time(a: Node) -> None:
    _, password = await member(a, "eve")
    async with client(a) as http:
        for _ in range(3):
            await login(http, "eve", "wrong")
        await expire_lock(a, "eve")
        assert (await login(http, "eve", password)).status_code == 303
    eve = await user(a, "eve")
    assert eve.failed_logins == 0 and eve.locked_until is None


async def test_an_unknown_account_gets_the_same_answers(a: Node) -> None:
    """Step by step, a real account and a name that is no account are answered alike."""
    await member(a, "fay")
    async with client(a) as http:
        for step in range(5):
            real = await login(http, "fay", "wrong")
            ghost = await login(http, "nobody-here@example.org", "wrong")
            assert (real.status_code, error_of(real)) == (ghost.status_code, error_of(ghost)), step
            assert real.headers.get("retry-after") is not None if step >= 2 else True


async def test_clear_lockout_lifts_the_lock(a: Node) -> None:
    _, password = await member(a, "gus")
    async with client(a) as http:
        for _ in range(3):
            await login(http, "gus", "wrong")
        assert (await login(http, "gus", password)).status_code == 429
        with a.ctx:
            await passwords.clear_lockout(await User.get(username="gus"))
        assert (await login(http, "gus", password)).status_code == 303


async def test_a_disabled_member_cannot_log_in_and_their_session_ends(a: Node) -> None:
    _, password = await member(a, "hal", role="editor")
    async with client(a) as http:
        assert (await login(http, "hal", password)).status_code == 303
        assert (await http.get("/account")).status_code == 200
        with a.ctx:
            await User.filter(username="hal").update(disabled=True)
        assert (await http.get("/account")).status_code == 303  # the open session no longer counts
        refused = await login(http, "hal", password)
        assert refused.status_code == 403 and "disabled" in error_of(refused)
        wrong = await login(http, "hal", "wrong")
        assert wrong.status_code == 400 and error_of(wrong) == "Wrong email or password."


async def test_the_password_hash_is_checked_for_unknown_and_locked_accounts(
    a: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Timing: every attempt pays for one argon2 verification, whether the account exists or is locked."""
    await member(a, "ida")
    calls: list[str] = []
    real = passwords._hasher

    class Counting:
        def hash(self, password: str) -> str:
            return real.hash(password)

        def verify(self, hash_: Any, password: Any) -> bool:
            calls.append(str(hash_)[:9])
            return real.verify(hash_, password)

    monkeypatch.setattr(passwords, "_hasher", Counting())
    with a.ctx:
        await passwords.login_attempt("no-such-person", "x", LIMITS)
        for _ in range(4):
            await passwords.login_attempt("ida", "wrong", LIMITS)  # the fourth is during the lock
    assert len(calls) == 5 and all(c.startswith("$argon2id") for c in calls)


async def test_authenticate_counts_failures_too(a: Node) -> None:
    _, password = await member(a, "jo")
    with a.ctx:
        for _ in range(3):
            assert await passwords.authenticate("jo", "wrong", LIMITS) is None
        assert await passwords.authenticate("jo", password, LIMITS) is None  # locked
        assert (await User.get(username="jo")).failed_logins == 3
