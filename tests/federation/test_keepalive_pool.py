"""Deliveries through the keep-alive pool (federation/client/pool.py), against real loopback servers:
connections reused, the signed request sent as signed, answers bounded, failures reported, and the SSRF
guard's pin and TLS checks kept (a recording connector sends the pinned connection to loopback)."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from federation.client import DestinationRefused, FederationClient, NetworkFailure, Signer
from federation.client.pool import KeepAlivePool, loop_connector
from federation.signatures import generate_key_pair, verify_request
from tests.federation.test_ssrf_pinning import PUBLIC_1, Resolver, tls_files

UA = "Agora/test (+https://agora.test/)"
BODY = b'{"type":"Create","id":"https://agora.test/a/1"}'


@dataclass
class Request:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes


Answer = Callable[[Request, asyncio.StreamWriter], Awaitable[bool]]  # False: close the connection


def plain(status: int = 202, body: bytes = b"", extra: str = "") -> bytes:
    return f"HTTP/1.1 {status} X\r\nContent-Length: {len(body)}\r\n{extra}\r\n".encode() + body


async def accepted(request: Request, writer: asyncio.StreamWriter) -> bool:
    writer.write(plain(202, b"ok"))
    return True


@dataclass
class KeepAliveServer:
    answer: Answer = accepted
    ssl_context: ssl.SSLContext | None = None
    requests: list[Request] = field(default_factory=list)
    connections: int = 0
    port: int = 0
    writers: list[asyncio.StreamWriter] = field(default_factory=list)
    _server: asyncio.Server | None = None

    async def __aenter__(self) -> KeepAliveServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.ssl_context)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        for writer in self.writers:
            writer.close()
        self._server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.writers.append(writer)
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
                method, target, _ = head[0].split(" ", 2)
                headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in head[1:] if h)}
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                request = Request(method, target, headers, body)
                self.requests.append(request)
                keep = await self.answer(request, writer)
                await writer.drain()
                if not keep:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        finally:
            writer.close()


@pytest.fixture(scope="module")
def keys() -> tuple[str, str]:
    return generate_key_pair()


def client(**kwargs: object) -> FederationClient:
    return FederationClient(user_agent=UA, allow_private_addresses=True, signing_workers=0, **kwargs)  # type: ignore[arg-type]


async def test_posts_reuse_one_connection_and_arrive_as_signed(keys: tuple[str, str]) -> None:
    private, public = keys
    signer = Signer("https://agora.test/users/a#main-key", private)
    async with KeepAliveServer() as server:
        http = client()
        url = f"http://127.0.0.1:{server.port}/users/bob/inbox?x=1"
        for _ in range(3):
            result = await http.post_activity(url, BODY, signer=signer)
            assert (result.status, result.body_excerpt) == (202, "ok")
        await http.aclose()
    assert server.connections == 1
    assert [r.body for r in server.requests] == [BODY] * 3
    seen = server.requests[0]
    assert (seen.method, seen.target) == ("POST", "/users/bob/inbox?x=1")
    assert seen.headers["host"] == f"127.0.0.1:{server.port}"
    assert seen.headers["content-type"] == "application/activity+json"
    verified = verify_request("POST", url, seen.headers, seen.body, public)
    assert verified.ok, verified.reason


async def test_a_connection_the_server_closes_is_not_reused(keys: tuple[str, str]) -> None:
    async def close_each(request: Request, writer: asyncio.StreamWriter) -> bool:
        writer.write(plain(202, extra="Connection: close\r\n"))
        return False

    async with KeepAliveServer(close_each) as server:
        http = client()
        for _ in range(2):
            result = await http.post_activity(f"http://127.0.0.1:{server.port}/inbox", BODY, signer=Signer("k", keys[0]))
            assert result.status == 202
        await http.aclose()
    assert server.connections == 2


async def test_an_idle_connection_closed_by_the_server_is_replaced_once(keys: tuple[str, str]) -> None:
    async with KeepAliveServer() as server:
        http = client()
        url = f"http://127.0.0.1:{server.port}/inbox"
        assert (await http.post_activity(url, BODY, signer=Signer("k", keys[0]))).status == 202
        for writer in server.writers:  # the server ends its keep-alive connections
            writer.close()
        await asyncio.sleep(0.05)
        assert (await http.post_activity(url, BODY, signer=Signer("k", keys[0]))).status == 202
        await http.aclose()
    assert server.connections == 2 and len(server.requests) == 2


async def test_a_chunked_answer_is_read_and_its_excerpt_kept(keys: tuple[str, str]) -> None:
    async def chunked(request: Request, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.1 400 Bad\r\nTransfer-Encoding: chunked\r\nRetry-After: 7\r\n\r\n")
        for _ in range(3):
            writer.write(b"1000\r\n" + b"e" * 0x1000 + b"\r\n")
        writer.write(b"0\r\n\r\n")
        return True

    async with KeepAliveServer(chunked) as server:
        http = client()
        result = await http.post_activity(f"http://127.0.0.1:{server.port}/inbox", BODY, signer=Signer("k", keys[0]))
        await http.aclose()
    assert result.status == 400 and result.headers["retry-after"] == "7"
    assert result.body_excerpt == "e" * 200
    assert len(server.requests) == 2  # 400: the double knock tried the other scheme, on the same connection
    assert server.connections == 1


async def test_an_endless_answer_is_cut_and_its_connection_dropped(keys: tuple[str, str]) -> None:
    async def endless(request: Request, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.1 202 OK\r\nContent-Length: 100000000\r\n\r\n")
        for _ in range(200):
            writer.write(b"x" * 65536)
            await writer.drain()
        return False

    async with KeepAliveServer(endless) as server:
        http = client(max_body=100_000)
        result = await http.post_activity(f"http://127.0.0.1:{server.port}/inbox", BODY, signer=Signer("k", keys[0]))
        assert result.status == 202
        assert http._pool is not None and not any(http._pool._idle.values())
        await http.aclose()


@pytest.mark.parametrize(
    ("reply", "match"),
    [(b"NOT HTTP AT ALL\r\n\r\n", "malformed"),
     (b"HTTP/1.1 202 OK\r\n" + b"X-Big: " + b"b" * 70_000 + b"\r\n\r\n", "malformed"),
     (b"", "connection failed")],
)
async def test_broken_answers_are_network_failures(keys: tuple[str, str], reply: bytes, match: str) -> None:
    async def broken(request: Request, writer: asyncio.StreamWriter) -> bool:
        writer.write(reply)
        return False

    async with KeepAliveServer(broken) as server:
        http = client()
        with pytest.raises(NetworkFailure, match=match):
            await http.post_activity(f"http://127.0.0.1:{server.port}/inbox", BODY, signer=Signer("k", keys[0]))
        await http.aclose()


async def test_a_server_that_never_answers_hits_the_deadline(keys: tuple[str, str]) -> None:
    async def silent(request: Request, writer: asyncio.StreamWriter) -> bool:
        await asyncio.sleep(30)
        return False

    async with KeepAliveServer(silent) as server:
        http = client(timeout=0.1)
        with pytest.raises(NetworkFailure, match="timeout"):
            await http.post_activity(f"http://127.0.0.1:{server.port}/inbox", BODY, signer=Signer("k", keys[0]))
        await http.aclose()


class Recording:
    """A connector that records where the pool asked to connect, then connects to the loopback server."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.calls: list[tuple[str, int, str | None]] = []

    async def __call__(
        self, factory: Callable[[], asyncio.Protocol], address: str, port: int,
        context: ssl.SSLContext | None, server_hostname: str | None,
    ) -> tuple[asyncio.BaseTransport, asyncio.Protocol]:
        self.calls.append((address, port, server_hostname))
        return await loop_connector(factory, "127.0.0.1", self.port, context, server_hostname)


def guarded(connector: Recording, resolver: Resolver, **kwargs: object) -> FederationClient:
    return FederationClient(user_agent=UA, allow_private_addresses=False, resolver=resolver, connector=connector,
                            signing_workers=0, **kwargs)  # type: ignore[arg-type]


async def test_the_pool_connects_to_the_checked_address_only(keys: tuple[str, str]) -> None:
    async with KeepAliveServer() as server:
        connector = Recording(server.port)
        http = guarded(connector, Resolver({"peer.example": [[PUBLIC_1]], "evil.example": [["10.0.0.7"]]}))
        result = await http.post_activity("http://peer.example/inbox", BODY, signer=Signer("k", keys[0]))
        assert result.status == 202
        with pytest.raises(DestinationRefused, match="private address refused"):
            await http.post_activity("http://evil.example/inbox", BODY, signer=Signer("k", keys[0]))
        await http.aclose()
    assert connector.calls == [(PUBLIC_1, 80, None)]
    assert server.requests[0].headers["host"] == "peer.example"


@pytest.mark.parametrize(("cert_name", "works"), [("pinned.example", True), ("other.example", False)])
async def test_tls_checks_the_certificate_of_the_host_name(
    tmp_path: Path, keys: tuple[str, str], cert_name: str, works: bool
) -> None:
    cert, key, cert_pem = tls_files(tmp_path, cert_name)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    async with KeepAliveServer(ssl_context=server_ctx) as server:
        connector = Recording(server.port)
        trust = ssl.create_default_context(cadata=cert_pem)
        http = guarded(connector, Resolver({"pinned.example": [[PUBLIC_1]]}), verify=trust)
        if works:
            result = await http.post_activity("https://pinned.example/inbox", BODY, signer=Signer("k", keys[0]))
            assert result.status == 202
        else:
            with pytest.raises(NetworkFailure, match="(?i)certificate"):
                await http.post_activity("https://pinned.example/inbox", BODY, signer=Signer("k", keys[0]))
        await http.aclose()
    assert connector.calls == [(PUBLIC_1, 443, "pinned.example")]


async def test_a_target_that_is_not_plain_ascii_is_refused_by_the_pool() -> None:
    pool = KeepAlivePool(ssl_context=ssl.create_default_context())
    with pytest.raises(Exception, match="not sendable"):
        await pool.request("POST", "http", "127.0.0.1", 1, "/in box", [], b"", addresses=("127.0.0.1",),
                           keep=10, limit=10)
    with pytest.raises(Exception, match="not sendable"):
        await pool.request("POST", "http", "127.0.0.1", 1, "/inbox", [("X-A", "1\r\nX-B: 2")], b"",
                           addresses=("127.0.0.1",), keep=10, limit=10)
    assert pool.opened == 0
