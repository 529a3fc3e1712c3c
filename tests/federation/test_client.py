"""Tests for federation.client (MockTransport only, no real network)."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx2
import pytest

from federation.client import (
    AS2_ACCEPT,
    DestinationRefused,
    FederationClient,
    FetchError,
    NetworkFailure,
    Signer,
    check_destination,
    check_destination_async,
)
from federation.signatures import generate_key_pair, verify_request

UA = "Agora/0.1 (+https://agora.test/)"
Handler = Callable[[httpx2.Request], Awaitable[httpx2.Response]]


@pytest.fixture(scope="module")
def keys() -> tuple[str, str]:
    return generate_key_pair()


@pytest.fixture()
def signer(keys: tuple[str, str]) -> Signer:
    return Signer(key_id="https://agora.test/users/alice#main-key", private_key_pem=keys[0])


class Recorder:
    """A MockTransport handler that records requests and answers from a function."""

    def __init__(self, respond: Callable[[httpx2.Request], httpx2.Response]) -> None:
        self.respond = respond
        self.requests: list[httpx2.Request] = []
        self.bodies: list[bytes] = []

    async def __call__(self, request: httpx2.Request) -> httpx2.Response:
        body = await request.aread()
        self.requests.append(request)
        self.bodies.append(body)
        return self.respond(request)

    def transport(self) -> httpx2.MockTransport:
        return httpx2.MockTransport(self)


def as2(doc: dict[str, Any], status: int = 200) -> httpx2.Response:
    return httpx2.Response(
        status, content=json.dumps(doc).encode(), headers={"content-type": "application/activity+json"}
    )


def make_client(rec: Recorder, **kwargs: Any) -> FederationClient:
    kwargs.setdefault("allow_private_addresses", True)
    return FederationClient(user_agent=UA, transport=rec.transport(), **kwargs)


def verify(rec: Recorder, index: int, public_pem: str) -> Any:
    req = rec.requests[index]
    return verify_request(
        req.method, str(req.url), dict(req.headers), rec.bodies[index], public_pem
    )


def fake_dns(answers: dict[str, list[str]]) -> Callable[..., list[tuple[Any, ...]]]:
    def getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        out: list[tuple[Any, ...]] = []
        for addr in answers[host]:
            if ":" in addr:
                out.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (addr, port, 0, 0)))
            else:
                out.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (addr, port)))
        return out

    return getaddrinfo


# ---------------------------------------------------------------------------
# Signing and the double knock
# ---------------------------------------------------------------------------


async def test_signed_get_uses_cavage_first_and_verifies(
    signer: Signer, keys: tuple[str, str]
) -> None:
    rec = Recorder(lambda r: as2({"id": "https://remote.example/users/bob", "type": "Person"}))
    client = make_client(rec)
    doc = await client.get_json("https://remote.example/users/bob", signer=signer)
    await client.aclose()
    assert doc["type"] == "Person"
    assert len(rec.requests) == 1
    req = rec.requests[0]
    assert req.headers["user-agent"] == UA
    assert req.headers["accept"] == AS2_ACCEPT
    assert "signature" in req.headers and "signature-input" not in req.headers
    assert req.headers.get_list("host") == ["remote.example"]
    result = verify(rec, 0, keys[1])
    assert result.ok, result.reason
    assert result.scheme == "cavage"
    assert result.key_id == signer.key_id


async def test_unsigned_get_has_no_signature() -> None:
    rec = Recorder(lambda r: as2({"id": "https://remote.example/x"}))
    client = make_client(rec)
    await client.get_json("https://remote.example/x")
    await client.aclose()
    req = rec.requests[0]
    assert "signature" not in req.headers
    assert req.headers["user-agent"] == UA


async def test_first_scheme_rfc9421(signer: Signer, keys: tuple[str, str]) -> None:
    rec = Recorder(lambda r: as2({"id": "https://remote.example/x"}))
    client = make_client(rec, first_scheme="rfc9421")
    await client.get_json("https://remote.example/x", signer=signer)
    await client.aclose()
    result = verify(rec, 0, keys[1])
    assert result.ok, result.reason
    assert result.scheme == "rfc9421"


def only_rfc9421(request: httpx2.Request) -> httpx2.Response:
    if "signature-input" not in request.headers:
        return httpx2.Response(401, text="bad signature")
    return as2({"id": f"https://{request.url.host}/x"})


async def test_get_double_knock_and_remembered_scheme(
    signer: Signer, keys: tuple[str, str]
) -> None:
    rec = Recorder(only_rfc9421)
    client = make_client(rec)
    await client.get_json("https://remote.example/x", signer=signer)
    assert len(rec.requests) == 2
    assert [verify(rec, i, keys[1]).scheme for i in range(2)] == ["cavage", "rfc9421"]
    assert all(verify(rec, i, keys[1]).ok for i in range(2))
    assert client.remembered_scheme("https://remote.example/other") == "rfc9421"

    await client.get_json("https://remote.example/x", signer=signer)
    assert len(rec.requests) == 3
    assert verify(rec, 2, keys[1]).scheme == "rfc9421"

    # Another host still starts with the default scheme.
    await client.get_json("https://other.example/x", signer=signer)
    assert verify(rec, 3, keys[1]).scheme == "cavage"
    await client.aclose()


async def test_double_knock_only_once(signer: Signer) -> None:
    rec = Recorder(lambda r: httpx2.Response(401))
    client = make_client(rec)
    with pytest.raises(FetchError) as info:
        await client.get_json("https://remote.example/x", signer=signer)
    await client.aclose()
    assert info.value.status == 401
    assert len(rec.requests) == 2
    assert client.remembered_scheme("https://remote.example/") is None


async def test_post_signed_content_type_and_verifies(signer: Signer, keys: tuple[str, str]) -> None:
    rec = Recorder(lambda r: httpx2.Response(202, text="accepted"))
    client = make_client(rec)
    body = b'{"type": "Follow"}'
    result = await client.post_activity("https://remote.example/inbox", body, signer=signer)
    await client.aclose()
    assert result.status == 202
    assert result.scheme == "cavage"
    assert result.body_excerpt == "accepted"
    req = rec.requests[0]
    assert req.method == "POST"
    assert req.headers["content-type"] == "application/activity+json"
    assert req.headers["user-agent"] == UA
    assert "digest" in req.headers
    assert rec.bodies[0] == body
    check = verify(rec, 0, keys[1])
    assert check.ok, check.reason
    assert check.scheme == "cavage"


async def test_post_double_knock_remembers(signer: Signer, keys: tuple[str, str]) -> None:
    def respond(request: httpx2.Request) -> httpx2.Response:
        if "signature-input" not in request.headers:
            return httpx2.Response(401)
        return httpx2.Response(202)

    rec = Recorder(respond)
    client = make_client(rec)
    first = await client.post_activity("https://remote.example/inbox", b"{}", signer=signer)
    assert first.status == 202 and first.scheme == "rfc9421"
    assert len(rec.requests) == 2
    assert verify(rec, 1, keys[1]).ok
    assert "content-digest" in rec.requests[1].headers

    second = await client.post_activity("https://remote.example/inbox", b"{}", signer=signer)
    assert second.status == 202 and second.scheme == "rfc9421"
    assert len(rec.requests) == 3
    await client.aclose()


async def test_post_400_twice_returns_final_status(signer: Signer) -> None:
    rec = Recorder(lambda r: httpx2.Response(400, text="x" * 500))
    client = make_client(rec)
    result = await client.post_activity("https://remote.example/inbox", b"{}", signer=signer)
    await client.aclose()
    assert result.status == 400
    assert result.scheme == "rfc9421"
    assert len(rec.requests) == 2
    assert result.body_excerpt == "x" * 200


async def test_post_never_follows_redirect(signer: Signer) -> None:
    rec = Recorder(
        lambda r: httpx2.Response(302, headers={"location": "https://remote.example/elsewhere"})
    )
    client = make_client(rec)
    result = await client.post_activity("https://remote.example/inbox", b"{}", signer=signer)
    await client.aclose()
    assert result.status == 302
    assert result.headers["location"] == "https://remote.example/elsewhere"
    assert len(rec.requests) == 1


async def test_post_network_error_raises_network_failure(signer: Signer) -> None:
    def respond(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("connection refused", request=request)

    client = make_client(Recorder(respond))
    with pytest.raises(NetworkFailure):
        await client.post_activity("https://remote.example/inbox", b"{}", signer=signer)
    await client.aclose()


async def test_timeout_raises_fetch_error() -> None:
    def respond(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ReadTimeout("read timed out", request=request)

    client = make_client(Recorder(respond))
    with pytest.raises(FetchError, match="timeout"):
        await client.get_json("https://remote.example/x")
    await client.aclose()


async def test_slow_response_hits_attempt_deadline() -> None:
    async def slow(request: httpx2.Request) -> httpx2.Response:
        await asyncio.sleep(5)
        return httpx2.Response(200)

    client = FederationClient(
        user_agent=UA, allow_private_addresses=True, transport=httpx2.MockTransport(slow),
        timeout=0.05,
    )
    with pytest.raises(NetworkFailure, match="timeout"):
        await client.get_json("https://remote.example/x")
    await client.aclose()


async def test_cookies_are_not_kept() -> None:
    rec = Recorder(
        lambda r: httpx2.Response(
            200, content=b"{}", headers={
                "content-type": "application/json", "set-cookie": "session=abc; Path=/"
            },
        )
    )
    client = make_client(rec)
    await client.get_json("https://remote.example/a")
    await client.get_json("https://remote.example/b")
    await client.aclose()
    assert "cookie" not in rec.requests[1].headers


# ---------------------------------------------------------------------------
# Redirects
# ---------------------------------------------------------------------------


async def test_get_follows_redirect_and_resigns_each_hop(
    signer: Signer, keys: tuple[str, str]
) -> None:
    def respond(request: httpx2.Request) -> httpx2.Response:
        if request.url.host == "old.example":
            return httpx2.Response(301, headers={"location": "https://new.example/users/bob"})
        return as2({"id": "https://new.example/users/bob"})

    rec = Recorder(respond)
    client = make_client(rec)
    doc = await client.get_json("https://old.example/users/bob", signer=signer)
    await client.aclose()
    assert doc["id"] == "https://new.example/users/bob"
    assert [r.url.host for r in rec.requests] == ["old.example", "new.example"]
    for i in range(2):
        assert verify(rec, i, keys[1]).ok


async def test_relative_redirect() -> None:
    def respond(request: httpx2.Request) -> httpx2.Response:
        if request.url.path == "/a":
            return httpx2.Response(302, headers={"location": "/b"})
        return as2({"id": "https://remote.example/b"})

    rec = Recorder(respond)
    client = make_client(rec)
    await client.get_json("https://remote.example/a")
    await client.aclose()
    assert str(rec.requests[1].url) == "https://remote.example/b"


async def test_too_many_redirects() -> None:
    def respond(request: httpx2.Request) -> httpx2.Response:
        n = int(request.url.path.strip("/"))
        return httpx2.Response(302, headers={"location": f"/{n + 1}"})

    rec = Recorder(respond)
    client = make_client(rec)
    with pytest.raises(FetchError, match="too many redirects"):
        await client.get_json("https://remote.example/0")
    await client.aclose()
    assert len(rec.requests) == 4  # the original request plus three redirects


async def test_redirect_to_private_address_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", fake_dns({"public.example": ["93.184.216.34"]}))
    rec = Recorder(
        lambda r: httpx2.Response(302, headers={"location": "https://127.0.0.1/secret"})
    )
    client = make_client(rec, allow_private_addresses=False)
    with pytest.raises(DestinationRefused, match="private address"):
        await client.get_json("https://public.example/users/bob")
    await client.aclose()
    assert [r.url.host for r in rec.requests] == ["public.example"]


async def test_redirect_https_to_http_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        socket, "getaddrinfo",
        fake_dns({"public.example": ["93.184.216.34"], "next.example": ["93.184.216.35"]}),
    )
    rec = Recorder(
        lambda r: httpx2.Response(302, headers={"location": "http://next.example/x"})
    )
    client = make_client(rec, allow_private_addresses=False)
    with pytest.raises(DestinationRefused, match="insecure redirect"):
        await client.get_json("https://public.example/x")
    await client.aclose()
    assert len(rec.requests) == 1


async def test_guarded_client_reaches_public_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", fake_dns({"public.example": ["93.184.216.34"]}))
    rec = Recorder(lambda r: as2({"id": "https://public.example/x"}))
    client = make_client(rec, allow_private_addresses=False)
    await client.get_json("https://public.example/x")
    await client.aclose()
    assert len(rec.requests) == 1


async def test_guarded_client_refuses_private_before_connecting(
    monkeypatch: pytest.MonkeyPatch, signer: Signer
) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", fake_dns({"evil.example": ["10.1.2.3"]}))
    rec = Recorder(lambda r: httpx2.Response(202))
    client = make_client(rec, allow_private_addresses=False)
    with pytest.raises(DestinationRefused):
        await client.post_activity("https://evil.example/inbox", b"{}", signer=signer)
    with pytest.raises(DestinationRefused):
        await client.get_json("http://[::1]/x")
    await client.aclose()
    assert rec.requests == []


# ---------------------------------------------------------------------------
# Response validation
# ---------------------------------------------------------------------------


async def test_oversize_body_refused_by_content_length() -> None:
    rec = Recorder(lambda r: as2({"id": "https://remote.example/x", "pad": "x" * 5000}))
    client = make_client(rec, max_body=1000)
    with pytest.raises(FetchError, match="response too large"):
        await client.get_json("https://remote.example/x")
    await client.aclose()


async def test_oversize_streamed_body_cut() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(100):
            yield b" " * 100

    def respond(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(
            200, content=chunks(), headers={"content-type": "application/activity+json"}
        )

    client = make_client(Recorder(respond), max_body=1000)
    with pytest.raises(FetchError, match="response too large"):
        await client.get_json("https://remote.example/x")
    await client.aclose()


@pytest.mark.parametrize(
    ("content_type", "body", "match"),
    [
        ("text/html", b"<html></html>", "unexpected content type"),
        ("application/activity+json", b"<html>", "invalid JSON"),
        ("application/activity+json", b"[1, 2]", "not an object"),
        ("", b"{}", "unexpected content type"),
    ],
)
async def test_non_json_refused(content_type: str, body: bytes, match: str) -> None:
    headers = {"content-type": content_type} if content_type else {}
    rec = Recorder(lambda r: httpx2.Response(200, content=body, headers=headers))
    client = make_client(rec)
    with pytest.raises(FetchError, match=match):
        await client.get_json("https://remote.example/x")
    await client.aclose()


@pytest.mark.parametrize(
    "content_type",
    [
        "application/activity+json",
        'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
        "application/json; charset=utf-8",
        "application/jrd+json",
    ],
)
async def test_json_content_types_accepted(content_type: str) -> None:
    rec = Recorder(
        lambda r: httpx2.Response(200, content=b'{"a": 1}', headers={"content-type": content_type})
    )
    client = make_client(rec)
    assert await client.get_json("https://remote.example/x") == {"a": 1}
    await client.aclose()


async def test_id_host_mismatch_refused() -> None:
    rec = Recorder(lambda r: as2({"id": "https://attacker.example/users/bob"}))
    client = make_client(rec)
    with pytest.raises(FetchError, match="id host mismatch"):
        await client.get_json("https://remote.example/users/bob")
    await client.aclose()


async def test_id_port_mismatch_refused() -> None:
    rec = Recorder(lambda r: as2({"id": "http://127.0.0.1:8001/users/bob"}))
    client = make_client(rec)
    with pytest.raises(FetchError, match="id host mismatch"):
        await client.get_json("http://127.0.0.1:8000/users/bob")
    await client.aclose()


@pytest.mark.parametrize("status", [404, 410, 500])
async def test_non_2xx_raises_with_status(status: int) -> None:
    client = make_client(Recorder(lambda r: httpx2.Response(status)))
    with pytest.raises(FetchError) as info:
        await client.get_json("https://remote.example/x")
    await client.aclose()
    assert info.value.status == status


async def test_get_text_returns_content_type_and_text() -> None:
    xrd = '<?xml version="1.0"?><XRD/>'
    rec = Recorder(
        lambda r: httpx2.Response(
            200, content=xrd.encode(), headers={"content-type": "application/xrd+xml"}
        )
    )
    client = make_client(rec)
    content_type, text = await client.get_text("https://remote.example/.well-known/host-meta")
    await client.aclose()
    assert content_type == "application/xrd+xml"
    assert text == xrd
    assert rec.requests[0].headers["accept"] == "*/*"


def test_signer_repr_hides_private_key() -> None:
    assert "SECRET" not in repr(Signer(key_id="k", private_key_pem="SECRET"))


# ---------------------------------------------------------------------------
# SSRF guard
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://127.0.0.1:8000/inbox",
        "https://[::1]/",
        "http://10.0.0.1/",
        "http://10.255.1.2/x",
        "http://172.16.5.4/",
        "http://169.254.169.254/latest/meta-data/",
        "http://192.168.1.1/",
        "http://100.64.0.1/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
        "http://240.0.0.1/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:10.0.0.1]/",
        "http://[fe80::1]/",
        "http://[fc00::1]/",
        "http://[::]/",
        "http://[64:ff9b::a00:1]/",
        "http://[2002:7f00:1::]/",
        "http://localhost/",
        "http://LOCALHOST:8080/",
        "http://api.localhost/",
    ],
)
def test_check_destination_refuses_private(url: str) -> None:
    with pytest.raises(DestinationRefused):
        check_destination(url, allow_private_addresses=False)


@pytest.mark.parametrize(
    "url", ["ftp://remote.example/", "file:///etc/passwd", "gopher://x/", "https://", "x"]
)
def test_check_destination_refuses_bad_scheme_or_host(url: str) -> None:
    with pytest.raises(DestinationRefused):
        check_destination(url, allow_private_addresses=True)


def test_check_destination_refuses_credentials() -> None:
    with pytest.raises(DestinationRefused):
        check_destination("https://user:pw@93.184.216.34/", allow_private_addresses=False)


def test_check_destination_allows_public_literal() -> None:
    check_destination("https://93.184.216.34/inbox", allow_private_addresses=False)
    check_destination("https://[2606:4700:4700::1111]/", allow_private_addresses=False)


def test_allow_private_addresses_skips_address_check() -> None:
    check_destination("http://127.0.0.1:8000/", allow_private_addresses=True)
    check_destination("http://localhost/", allow_private_addresses=True)


def test_dns_answer_private_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        socket, "getaddrinfo",
        fake_dns({
            "rebind.example": ["192.168.0.10"],
            "mixed.example": ["93.184.216.34", "127.0.0.1"],
            "v6.example": ["::ffff:10.0.0.1"],
            "good.example": ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"],
        }),
    )
    for host in ("rebind.example", "mixed.example", "v6.example"):
        with pytest.raises(DestinationRefused):
            check_destination(f"https://{host}/inbox", allow_private_addresses=False)
    check_destination("https://good.example/inbox", allow_private_addresses=False)


async def test_dns_answer_private_refused_async(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        socket, "getaddrinfo",
        fake_dns({"rebind.example": ["10.0.0.7"], "good.example": ["93.184.216.34"]}),
    )
    with pytest.raises(DestinationRefused):
        await check_destination_async("https://rebind.example/", allow_private_addresses=False)
    await check_destination_async("https://good.example/", allow_private_addresses=False)


def test_unresolvable_host_is_network_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", fake_dns({}))
    with pytest.raises(NetworkFailure):
        check_destination("https://nowhere.example/", allow_private_addresses=False)


@pytest.mark.parametrize("scheme", ["cavage", "rfc9421"])
async def test_signature_verifies_with_port_and_query(
    scheme: Any, signer: Signer, keys: tuple[str, str]
) -> None:
    rec = Recorder(lambda r: httpx2.Response(202))
    client = make_client(rec, first_scheme=scheme)
    url = "http://127.0.0.1:8000/users/bob/inbox?x=1"
    result = await client.post_activity(url, b'{"type": "Like"}', signer=signer)
    await client.aclose()
    assert result.scheme == scheme
    assert rec.requests[0].headers["host"] == "127.0.0.1:8000"
    check = verify(rec, 0, keys[1])
    assert check.ok, check.reason
    assert check.scheme == scheme
