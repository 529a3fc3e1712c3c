"""Login lock-out with backoff: consecutive wrong passwords from one address lock that address out of
the account, doubling up to a day, while the owner elsewhere still logs in; many failures from any
addresses lock the account for everyone; a reset link signs a locked-out member in; the answers are the
same whether or not the account exists; success and password resets clear the counts; disabled members
cannot log in."""

from __future__ import annotations

import dataclasses
import html
import re
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx2
import pytest
import redis

from node.app import create_app
from node.accounts import lockout, passwords
from node.accounts.models import LoginFailure
from node.accounts.password_reset import reset_link
from node.core.models import User
from node.core.runtime import Node
from node.core.settings import LimitSettings
from tests.conftest import Federation, member

LIMITS = LimitSettings(login_per_ip_per_minute=1000, forms_per_ip_per_minute=1000,
                       lockout_after_failures=3, lockout_base_seconds=60)
HERE = "127.0.0.1"  # the address of the test clients unless told


@pytest.fixture
async def a(federation: Federation) -> Node:
    return await federation.add_node("a.test")


def client(node: Node, limits: LimitSettings = LIMITS, address: str = HERE) -> httpx2.AsyncClient:
    node.settings = dataclasses.replace(node.settings, limits=limits)
    app = create_app(node.settings, node=node)
    transport = httpx2.ASGITransport(app=app, client=(address, 40000))
    return httpx2.AsyncClient(transport=transport, base_url=node.settings.base_url)


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


async def pair(node: Node, name: str, address: str = HERE) -> LoginFailure | None:
    """The count of wrong passwords for this account from this address."""
    with node.ctx:
        owner = await User.get(username=name)
        return await LoginFailure.get_or_none(user_id=owner.id, address=address)


async def expire_lock(node: Node, name: str) -> None:
    past = datetime.now(timezone.utc) - timedelta(seconds=1)
    with node.ctx:
        owner = await User.get(username=name)
        await User.filter(id=owner.id).update(locked_until=past)
        await LoginFailure.filter(user_id=owner.id).update(locked_until=past)


def test_lock_durations_double_up_to_a_day() -> None:
    limits = LimitSettings(lockout_after_failures=5, lockout_base_seconds=60)
    assert [lockout.lock_duration(n, limits) for n in range(5)] == [None] * 5
    assert lockout.lock_duration(5, limits) == timedelta(seconds=60)
    assert lockout.lock_duration(6, limits) == timedelta(seconds=120)
    assert lockout.lock_duration(7, limits) == timedelta(seconds=240)
    assert lockout.lock_duration(16, limits) == timedelta(hours=24)  # 60 * 2**11 s is more than a day
    assert lockout.lock_duration(10_000, limits) == timedelta(hours=24)


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
    counted = await pair(a, "alice")
    assert counted is not None and counted.failures == 3 and counted.locked_until is not None
    assert alice.failed_logins == 3 and alice.locked_until is None  # not locked for everyone
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
            counted = await pair(a, "bea")
            assert counted is not None and counted.locked_until is not None
            durations.append(round((counted.locked_until - started).total_seconds() / 60))
    assert durations == [2, 4, 8]
    assert (await user(a, "bea")).failed_logins == 6


async def test_attempts_during_a_lock_do_not_lengthen_it(a: Node) -> None:
    await member(a, "cleo")
    async with client(a) as http:
        for _ in range(3):
            await login(http, "cleo", "wrong")
        first = await pair(a, "cleo")
        for _ in range(5):
            assert (await login(http, "cleo", "wrong")).status_code == 429
    again = await pair(a, "cleo")
    assert first is not None and again is not None
    assert again.locked_until == first.locked_until and again.failures == 3
    assert (await user(a, "cleo")).failed_logins == 3


async def test_success_resets_the_count(a: Node) -> None:
    _, password = await member(a, "dan")
    async with client(a) as http:
        for _ in range(2):
            await login(http, "dan", "wrong")
        assert (await login(http, "dan", password)).status_code == 303
        assert (await user(a, "dan")).failed_logins == 0 and await pair(a, "dan") is None
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
    assert eve.failed_logins == 0 and eve.locked_until is None and await pair(a, "eve") is None


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
            await lockout.clear_lockout(await User.get(username="gus"))
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
        assert await passwords.authenticate("jo", password, LIMITS, address="192.0.2.9") is not None


ACCOUNT_LIMITS = dataclasses.replace(LIMITS, lockout_account_failures=10, lockout_account_seconds=3600)


def test_addresses_are_counted_by_host_and_ipv6_by_its_block() -> None:
    assert lockout.client_address("203.0.113.7") == "203.0.113.7"
    assert lockout.client_address("2001:db8:1:2:aaaa::1") == lockout.client_address("2001:db8:1:2:bbbb::9")
    assert lockout.client_address("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert lockout.client_address("2001:db8:1:3::1") != lockout.client_address("2001:db8:1:2::1")
    assert lockout.client_address("::ffff:198.51.100.4") == "198.51.100.4"
    assert lockout.client_address(None) == ""


async def test_an_attacker_address_does_not_lock_the_owner_out(a: Node) -> None:
    """Twenty wrong passwords from one address lock that address out, not the owner elsewhere."""
    _, password = await member(a, "admin2", role="admin")
    async with client(a, address="203.0.113.66") as attacker:
        answers = [(await login(attacker, "admin2", "guess")).status_code for _ in range(20)]
        assert answers[:2] == [400, 400] and set(answers[2:]) == {429}
        assert (await login(attacker, "admin2", password)).status_code == 429  # that address waits
    async with client(a, address="198.51.100.20") as owner:
        assert (await login(owner, "admin2", password)).status_code == 303
        assert (await owner.get("/account")).status_code == 200
    async with client(a, address="203.0.113.66") as attacker:  # the owner's login lifts nobody else's lock
        assert (await login(attacker, "admin2", password)).status_code == 429


async def test_many_addresses_lock_the_account_for_everyone(a: Node) -> None:
    """The slow per-account limit: ten failures from ten addresses within the hour lock the account,
    then even the owner's right password from a new address waits the hour."""
    _, password = await member(a, "kim")
    for n in range(9):
        async with client(a, ACCOUNT_LIMITS, address=f"203.0.113.{n + 1}") as http:
            assert (await login(http, "kim", "wrong")).status_code == 400
    async with client(a, ACCOUNT_LIMITS, address="203.0.113.10") as http:
        tenth = await login(http, "kim", "wrong")
        assert tenth.status_code == 429 and "locked" in error_of(tenth)
    async with client(a, ACCOUNT_LIMITS, address="198.51.100.77") as owner:
        refused = await login(owner, "kim", password)
        assert refused.status_code == 429 and 3590 <= int(refused.headers["retry-after"]) <= 3601
        assert "password reset link" in refused.text
    kim = await user(a, "kim")
    assert kim.failed_logins == 10 and kim.locked_until is not None


async def test_failures_older_than_the_window_do_not_count(a: Node) -> None:
    _, password = await member(a, "lou")
    for n in range(9):
        async with client(a, ACCOUNT_LIMITS, address=f"203.0.113.{n + 1}") as http:
            await login(http, "lou", "wrong")
    with a.ctx:  # those nine were more than an hour ago
        await User.filter(username="lou").update(failures_since=datetime.now(timezone.utc) - timedelta(hours=2))
    async with client(a, ACCOUNT_LIMITS, address="203.0.113.50") as http:
        assert (await login(http, "lou", "wrong")).status_code == 400  # a new window: one failure
    async with client(a, ACCOUNT_LIMITS, address="198.51.100.1") as owner:
        assert (await login(owner, "lou", password)).status_code == 303
    assert (await user(a, "lou")).failed_logins == 0


async def test_a_reset_link_signs_a_locked_out_member_in_and_lifts_every_lock(a: Node) -> None:
    await member(a, "max")
    for n in range(10):
        async with client(a, ACCOUNT_LIMITS, address=f"203.0.113.{n + 1}") as http:
            for _ in range(3):
                await login(http, "max", "wrong")
    with a.ctx:
        link = reset_link(a, await User.get(username="max"))
    path = link.removeprefix(a.settings.base_url)
    async with client(a, ACCOUNT_LIMITS, address="198.51.100.5") as owner:
        page = await owner.get(path)
        assert page.status_code == 200
        token = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert token
        done = await owner.post(path, data={"csrf": token.group(1), "password": "a brand new one", "password2": "a brand new one"})
        assert done.status_code == 303 and done.headers["location"] == "/account?saved=password"
        assert (await owner.get("/account")).status_code == 200  # signed in
    with a.ctx:
        owner_row = await User.get(username="max")
        assert owner_row.locked_until is None and owner_row.failed_logins == 0
        assert not await LoginFailure.filter(user_id=owner_row.id).exists()
    async with client(a, ACCOUNT_LIMITS, address="203.0.113.1") as again:  # even from an attacker's address
        assert (await login(again, "max", "a brand new one")).status_code == 303


async def test_unknown_names_are_answered_alike_across_addresses(a: Node) -> None:
    """Per address and per account, a real account and a name that is no account get the same answers."""
    await member(a, "ned")
    for n in range(12):
        async with client(a, ACCOUNT_LIMITS, address=f"203.0.113.{n % 4 + 1}") as http:
            real = await login(http, "ned", "wrong")
            ghost = await login(http, "ghost-of-ned", "wrong")
            assert (real.status_code, error_of(real)) == (ghost.status_code, error_of(ghost)), n
            assert ("retry-after" in real.headers) == ("retry-after" in ghost.headers), n
    async with client(a, ACCOUNT_LIMITS, address="198.51.100.99") as fresh:
        real = await login(fresh, "ned", "wrong")
        ghost = await login(fresh, "ghost-of-ned", "wrong")
        assert real.status_code == ghost.status_code == 429  # ten counted: both locked for everyone


async def test_unknown_names_are_counted_in_the_store_every_process_shares(a: Node) -> None:
    """Two processes (two states) on one Redis: a name that is no account is locked after as many
    failures in all as a real account is (whose counts are in the shared database)."""
    prefix = f"agora-test-{uuid.uuid4().hex[:10]}"
    limits = dataclasses.replace(LIMITS, storage_url="redis://127.0.0.1:6379/0", key_prefix=prefix)
    await member(a, "ona")
    first: dict[str, Any] = {}
    second: dict[str, Any] = {}
    try:
        with a.ctx:
            answers = []
            for n in range(4):
                state = first if n % 2 else second
                real = await passwords.login_attempt("ona", "wrong", limits, state=state, address="203.0.113.8")
                ghost = await passwords.login_attempt("ghost-of-ona", "wrong", limits, state=state,
                                                      address="203.0.113.8")
                answers.append((real.locked_until is not None, ghost.locked_until is not None))
        assert answers == [(False, False), (False, False), (True, True), (True, True)]
        assert lockout.phantom_store(first, limits) is not lockout.phantom_store(second, limits)
    finally:
        client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
        client.close()
