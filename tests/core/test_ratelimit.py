"""Rate limits: token buckets per IP and per remote host on the inbox, per IP on login and forms,
answered with 429 and Retry-After; GET pages are not limited; memory stays bounded."""

from __future__ import annotations

import dataclasses

import httpx2
import pytest

from node.app import create_app
from node.core.runtime import Node
from node.core.settings import LimitSettings
from node.web.ratelimit import Charge, Limiter, charges_for, key_host
from tests.conftest import Federation
from tests.activitypub.test_inbox import encode, like, remote_b, signed


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def charge(key: str, per_minute: int) -> Charge:
    return Charge(("test", key), per_minute, f"limit of {key}")


# ------------------------------------------------------------------ the limiter


def test_a_bucket_allows_a_burst_then_refills_at_the_steady_rate() -> None:
    clock = Clock()
    limiter = Limiter(clock=clock)
    for _ in range(6):
        assert limiter.take([charge("ip", 6)]) is None
    refused = limiter.take([charge("ip", 6)])
    assert refused is not None
    wait, reason = refused
    assert wait == pytest.approx(10.0) and reason == "limit of ip"  # 6 per minute: one every 10 s
    clock.now += 9.9
    assert limiter.take([charge("ip", 6)]) is not None
    clock.now += 0.2
    assert limiter.take([charge("ip", 6)]) is None
    assert limiter.take([charge("other", 6)]) is None  # another key has its own bucket


def test_several_buckets_are_taken_all_or_nothing() -> None:
    limiter = Limiter(clock=Clock())
    assert limiter.take([charge("ip", 1)]) is None
    assert limiter.take([charge("host", 5), charge("ip", 1)]) is not None
    for _ in range(5):  # the refused request did not spend the host's tokens
        assert limiter.take([charge("host", 5)]) is None


def test_a_limit_of_zero_turns_it_off() -> None:
    limiter = Limiter(clock=Clock())
    for _ in range(1000):
        assert limiter.take([charge("ip", 0)]) is None
    assert len(limiter) == 0


def test_memory_is_bounded_and_the_oldest_keys_go_first() -> None:
    clock = Clock()
    limiter = Limiter(max_keys=100, clock=clock)
    assert limiter.take([charge("early", 1)]) is None
    for n in range(10_000):
        limiter.take([charge(f"ip{n}", 1)])
    assert len(limiter) == 100
    assert limiter.take([charge("early", 1)]) is None  # evicted, so forgiven
    assert limiter.take([charge("ip9999", 1)]) is not None  # recent, still counted


@pytest.mark.parametrize(
    ("headers", "host"),
    [
        ([(b"signature", b'keyId="https://Mastodon.Example/users/a#main-key",algorithm="rsa-sha256"')],
         "mastodon.example"),
        ([(b"signature-input", b'sig1=("@method" "@target-uri");created=1;keyid="https://b.test:8443/k"')],
         "b.test"),
        ([(b"signature", b'keyId="not a url"')], None),
        ([(b"signature", b'keyId="http://[::1"')], None),
        ([(b"content-type", b"application/activity+json")], None),
    ],
)
def test_the_host_is_read_from_the_key_id(headers: list[tuple[bytes, bytes]], host: str | None) -> None:
    assert key_host(headers) == host


def scope(method: str, path: str, headers: list[tuple[bytes, bytes]] | None = None) -> dict[str, object]:
    return {"type": "http", "method": method, "path": path, "client": ("203.0.113.9", 1), "headers": headers or []}


def test_what_is_counted() -> None:
    limits = LimitSettings()
    assert charges_for(scope("GET", "/login"), limits) == []
    assert charges_for(scope("GET", "/"), limits) == []
    assert [c.key for c in charges_for(scope("POST", "/login"), limits)] == [("login", "203.0.113.9")]
    for path in ("/password/forgot", "/invite/abc", "/report", "/events/x/register", "/media"):
        assert [c.key for c in charges_for(scope("POST", path), limits)] == [("forms", "203.0.113.9")]
    signature = [(b"signature", b'keyId="https://b.test/users/bob#main-key"')]
    for path in ("/inbox", "/actor/inbox", "/users/asso/inbox"):
        keys = [c.key for c in charges_for(scope("POST", path, signature), limits)]
        assert keys == [("inbox-ip", "203.0.113.9"), ("inbox-host", "b.test")]
    assert [c.key for c in charges_for(scope("POST", "/inbox"), limits)] == [("inbox-ip", "203.0.113.9")]


# ------------------------------------------------------------------ in the app


@pytest.fixture
async def a(federation: Federation) -> Node:
    return await federation.add_node("a.test")


def app_with(node: Node, **limits: int) -> object:
    base = LimitSettings(login_per_ip_per_minute=1000, forms_per_ip_per_minute=1000,
                         inbox_per_ip_per_minute=1000, inbox_per_host_per_minute=1000)
    return create_app(dataclasses.replace(node.settings, limits=dataclasses.replace(base, **limits)), node=node)


def http_from(app: object, node: Node, ip: str) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app, client=(ip, 40000)),  # type: ignore[arg-type]
                              base_url=node.settings.base_url)


async def test_login_posts_are_limited_per_ip(a: Node) -> None:
    app = app_with(a, login_per_ip_per_minute=3)
    async with http_from(app, a, "198.51.100.1") as first, http_from(app, a, "198.51.100.2") as second:
        for _ in range(3):
            assert (await first.post("/login", data={"login": "x", "password": "y"})).status_code == 403  # no csrf
        refused = await first.post("/login", data={"login": "x", "password": "y"})
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 20
        assert "too many login attempts" in refused.text.lower()
        assert (await first.get("/login")).status_code == 200  # pages are still served
        assert (await second.post("/login", data={"login": "x"})).status_code == 403  # another address


async def test_form_posts_are_limited_per_ip(a: Node) -> None:
    app = app_with(a, forms_per_ip_per_minute=2)
    async with http_from(app, a, "198.51.100.7") as http:
        statuses = [(await http.post(path, data={"email": "a@example.org"})).status_code
                    for path in ("/password/forgot", "/report", "/password/forgot")]
    assert 429 not in statuses[:2] and statuses[2] == 429


async def test_a_forwarded_address_from_an_untrusted_client_is_not_believed(a: Node) -> None:
    app = app_with(a, login_per_ip_per_minute=1)
    async with http_from(app, a, "198.51.100.3") as http:
        await http.post("/login", headers={"X-Forwarded-For": "192.0.2.1"})
        refused = await http.post("/login", headers={"X-Forwarded-For": "192.0.2.2"})
    assert refused.status_code == 429


async def test_a_trusted_proxy_s_forwarded_address_is_the_one_counted(a: Node) -> None:
    app = app_with(a, login_per_ip_per_minute=1)
    async with http_from(app, a, "127.0.0.1") as proxy:
        assert (await proxy.post("/login", headers={"X-Forwarded-For": "192.0.2.1"})).status_code != 429
        assert (await proxy.post("/login", headers={"X-Forwarded-For": "192.0.2.2"})).status_code != 429
        assert (await proxy.post("/login", headers={"X-Forwarded-For": "192.0.2.1"})).status_code == 429


async def test_the_inbox_is_limited_per_remote_host_across_addresses(federation: Federation, a: Node) -> None:
    b = await remote_b(federation)
    app = app_with(a, inbox_per_host_per_minute=3)
    statuses = []
    for n in range(4):
        body = encode(like(b.bob, n))
        async with http_from(app, a, f"198.51.100.{10 + n}") as http:  # four different addresses
            statuses.append((await http.post("/inbox", content=body, headers=signed(b.bob, body))).status_code)
    assert statuses[:3] == [202, 202, 202] and statuses[3] == 429
    body = encode(like(b.asso, 9))  # the same sender through the personal inbox: same host budget
    async with http_from(app, a, "198.51.100.50") as http:
        refused = await http.post("/users/asso/inbox", content=body,
                                  headers=signed(b.asso, body, url="http://a.test/users/asso/inbox"))
    assert refused.status_code == 429 and "b.test" in refused.text and refused.headers["retry-after"]


async def test_the_inbox_is_limited_per_ip_whatever_key_id_is_claimed(federation: Federation, a: Node) -> None:
    app = app_with(a, inbox_per_ip_per_minute=2)
    statuses = []
    async with http_from(app, a, "198.51.100.20") as http:
        for n in range(3):
            headers = {"Content-Type": "application/activity+json",
                       "Signature": f'keyId="https://fake{n}.example/k",signature="AAAA"'}
            statuses.append((await http.post("/inbox", content=b"{}", headers=headers)).status_code)
    assert 429 not in statuses[:2] and statuses[2] == 429
