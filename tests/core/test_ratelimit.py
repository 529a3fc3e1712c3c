"""Rate limits: sliding window counters (the `limits` package) per IP and per remote host on the inbox,
per IP on login and forms, answered with 429 and Retry-After; GET pages are not limited; counters kept
in Redis are shared by every process that names the same store, and expire with their window; a store
that does not answer lets requests through."""

from __future__ import annotations

import dataclasses
import logging
import uuid

import httpx2
import pytest
import redis

from node.app import create_app
from node.core.counters import open_storage
from node.core.runtime import Node
from node.core.settings import LimitSettings
from node.web.ratelimit import Charge, Limiter, charges_for, key_host, wait_seconds
from tests.conftest import Federation
from tests.activitypub.test_inbox import encode, like, remote_b, signed

REDIS_URL = "redis://127.0.0.1:6379/0"


def charge(key: str, per_minute: int) -> Charge:
    return Charge(("test", key), per_minute, f"limit of {key}")


def redis_limits() -> LimitSettings:
    """Settings naming the machine's Redis, under a prefix of this test's own."""
    return LimitSettings(storage_url=REDIS_URL, key_prefix=f"agora-test-{uuid.uuid4().hex[:10]}")


@pytest.fixture
def shared() -> LimitSettings:
    limits = redis_limits()
    yield limits
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{limits.key_prefix}:*"):
        client.delete(key)
    client.close()


# ------------------------------------------------------------------ the limiter


async def test_a_counter_allows_a_minute_s_budget_then_refuses_with_the_wait() -> None:
    limiter = Limiter()
    for _ in range(6):
        assert await limiter.take([charge("ip", 6)]) is None
    refused = await limiter.take([charge("ip", 6)])
    assert refused is not None
    wait, reason = refused
    assert 0 < wait <= 60 and reason == "limit of ip"
    assert await limiter.take([charge("other", 6)]) is None  # another key has its own counter


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((6, 60, 0, 0.0, 6, 90.0), 30.0),  # all six in this minute: wait for it to turn (30 s left)
        ((6, 60, 6, 55.0, 1, 115.0), 5.0),  # 6 * 55/60 + 1 = 6.5: in 5 s the old six weigh 5
        ((6, 60, 6, 10.0, 0, 70.0), 0.0),  # the old six weigh 1 now: room
        ((10, 60, 0, 0.0, 3, 100.0), 0.0),
    ],
)
def test_the_wait_is_when_the_weighed_count_drops_below_the_limit(args: tuple[int, float, int, float, int, float],
                                                                 expected: float) -> None:
    assert wait_seconds(*args) == pytest.approx(expected)


async def test_several_counters_are_taken_all_or_nothing() -> None:
    limiter = Limiter()
    assert await limiter.take([charge("ip", 1)]) is None
    assert await limiter.take([charge("host", 5), charge("ip", 1)]) is not None
    for _ in range(5):  # the refused request did not spend the host's budget
        assert await limiter.take([charge("host", 5)]) is None


async def test_a_limit_of_zero_turns_it_off() -> None:
    limiter = Limiter()
    for _ in range(1000):
        assert await limiter.take([charge("ip", 0)]) is None
    assert await limiter.storage.reset() == 0  # nothing was stored


async def test_limiters_on_one_redis_count_together(shared: LimitSettings) -> None:
    """Two limiters (two processes, or two machines) naming the same store share each counter."""
    first, second = Limiter(open_storage(shared)), Limiter(open_storage(shared))
    answers = [await (first if n % 2 else second).take([charge("ip", 4)]) for n in range(6)]
    assert answers[:4] == [None] * 4 and all(a is not None for a in answers[4:])
    other = Limiter(open_storage(dataclasses.replace(shared, key_prefix=shared.key_prefix + "-other")))
    assert await other.take([charge("ip", 4)]) is None  # another node's prefix counts apart


async def test_counters_in_redis_expire_with_their_window(shared: LimitSettings) -> None:
    limiter = Limiter(open_storage(shared))
    await limiter.take([charge("ip", 4)])
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(f"{shared.key_prefix}:*"))
    ttls = [client.ttl(key) for key in keys]
    client.close()
    assert keys and all(0 < ttl <= 2 * 60 for ttl in ttls)


async def test_a_store_that_does_not_answer_lets_requests_through_and_says_so_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    limits = LimitSettings(storage_url="redis://127.0.0.1:1/0", key_prefix="agora-test-down")
    limiter = Limiter(open_storage(limits))
    with caplog.at_level(logging.WARNING, logger="agora.limits"):
        for _ in range(3):
            assert await limiter.take([charge("ip", 1)]) is None
    assert len([r for r in caplog.records if "does not answer" in r.getMessage()]) == 1


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
    for path in ("/mail/unsubscribe/t0k3n", "/mail/webhook"):  # a mailbox provider or relay speaks for many
        [mail] = charges_for(scope("POST", path), limits)
        assert mail.key == ("mail-ip", "203.0.113.9") and mail.per_minute == limits.inbox_per_ip_per_minute
    assert [c.key for c in charges_for(scope("POST", "/mail/subscribe"), limits)] == [("forms", "203.0.113.9")]


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
        assert 1 <= int(refused.headers["retry-after"]) <= 60  # when this minute's window turns
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


async def test_two_apps_on_one_redis_share_the_login_limit(a: Node, shared: LimitSettings) -> None:
    """Two `agora serve` processes behind one address: the login limit holds for both together."""
    limits = dataclasses.replace(shared, login_per_ip_per_minute=3, forms_per_ip_per_minute=1000)
    settings = dataclasses.replace(a.settings, limits=limits)
    first, second = create_app(settings, node=a), create_app(settings, node=a)
    async with http_from(first, a, "198.51.100.60") as one, http_from(second, a, "198.51.100.60") as two:
        statuses = [(await (one if n % 2 else two).post("/login", data={"login": "x"})).status_code for n in range(5)]
    assert 429 not in statuses[:3] and statuses[3:] == [429, 429]
