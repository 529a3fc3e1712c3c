"""The SSRF guard of federation.client with the connection pinned to the checked address.

No test touches the internet: names are answered by fake resolvers, and a recording network backend
sends every connection the client makes to a server on loopback while remembering the address the
client asked for. That address is what a real backend would have dialled."""

from __future__ import annotations

import asyncio
import datetime
import ssl
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import httpcore2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from federation.client import (
    DestinationRefused,
    FederationClient,
    FetchError,
    NetworkFailure,
    PinnedBackend,
    Signer,
    resolve_destination,
)
from federation.signatures import generate_key_pair

UA = "Agora/test (+https://agora.test/)"
PUBLIC_1 = "93.184.216.34"
PUBLIC_2 = "151.101.1.140"


# ------------------------------------------------------------------ a loopback HTTP server


@dataclass
class Seen:
    method: str
    target: str
    headers: dict[str, str]


Handler = Callable[[Seen, asyncio.StreamWriter], Awaitable[None]]


def response(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> bytes:
    head = [f"HTTP/1.1 {status} X", "Connection: close"]
    all_headers = {"Content-Length": str(len(body)), **(headers or {})}
    head += [f"{k}: {v}" for k, v in all_headers.items() if v is not None]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def json_reply(doc: str, status: int = 200) -> Handler:
    async def handler(seen: Seen, writer: asyncio.StreamWriter) -> None:
        writer.write(response(status, doc.encode(), {"Content-Type": "application/activity+json"}))

    return handler


@dataclass
class Server:
    handler: Handler
    ssl_context: ssl.SSLContext | None = None
    requests: list[Seen] = field(default_factory=list)
    port: int = 0
    _server: asyncio.Server | None = None

    async def __aenter__(self) -> Server:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.ssl_context)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            method, target, _ = head[0].split(" ", 2)
            headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in head[1:] if h)}
            if headers.get("content-length", "0").isdigit():
                await reader.readexactly(int(headers.get("content-length", "0")))
            seen = Seen(method, target, headers)
            self.requests.append(seen)
            await self.handler(seen, writer)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        finally:
            writer.close()


class Loopback(httpcore2.AsyncNetworkBackend):
    """Records the address each connection was asked for, then connects to the loopback server."""

    def __init__(self, port: int, *, refuse: Iterable[str] = (), hang: bool = False) -> None:
        self.port = port
        self.refuse = set(refuse)
        self.hang = hang
        self.calls: list[tuple[str, int]] = []
        self.inner = httpcore2.AnyIOBackend()

    async def connect_tcp(
        self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
        socket_options: Iterable[httpcore2.SOCKET_OPTION] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        self.calls.append((host, port))
        if host in self.refuse:
            raise httpcore2.ConnectError(f"connection refused by {host}")
        if self.hang:
            await asyncio.sleep(3600)
        return await self.inner.connect_tcp("127.0.0.1", self.port, timeout=timeout)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class Resolver:
    """A fake DNS: each name answers from a list of answers, one answer per lookup (the last repeats)."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self.answers = answers
        self.lookups: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        answers = self.answers.get(host)
        if not answers:
            raise NetworkFailure(f"could not resolve host: {host}")
        return answers.pop(0) if len(answers) > 1 else answers[0]


def guarded(backend: Loopback, resolver: Resolver, **kwargs: object) -> FederationClient:
    return FederationClient(
        user_agent=UA, allow_private_addresses=False, resolver=resolver, network_backend=backend,
        **kwargs,  # type: ignore[arg-type]
    )


# ------------------------------------------------------------------ refusals after resolution


FORBIDDEN = [
    "127.0.0.1", "127.8.9.10", "10.0.0.1", "172.16.5.4", "192.168.1.1", "0.0.0.0", "0.1.2.3",
    "100.64.0.1", "100.127.255.254", "169.254.169.254", "224.0.0.1", "240.0.0.1", "255.255.255.255",
    "198.18.0.1", "::", "::1", "fc00::1", "fd12:3456::1", "fe80::1", "ff02::1",
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "64:ff9b::7f00:1", "2002:7f00:1::1",
]


@pytest.mark.parametrize("address", FORBIDDEN)
async def test_a_name_resolving_to_a_forbidden_address_is_refused_before_connecting(address: str) -> None:
    backend = Loopback(1)
    client = guarded(backend, Resolver({"evil.example": [[address]]}))
    with pytest.raises(DestinationRefused, match="private address refused"):
        await client.get_json("https://evil.example/users/x")
    await client.aclose()
    assert backend.calls == []


async def test_one_forbidden_address_among_public_ones_refuses_the_host() -> None:
    backend = Loopback(1)
    client = guarded(backend, Resolver({"mixed.example": [[PUBLIC_1, "2606:4700::1", "127.0.0.1"]]}))
    with pytest.raises(DestinationRefused):
        await client.get_json("https://mixed.example/x")
    await client.aclose()
    assert backend.calls == []


@pytest.mark.parametrize(
    "url",
    ["http://2130706433/", "http://0x7f.1/", "http://127.1/", "http://[::ffff:127.0.0.1]/", "http://[::1]:8080/",
     "http://localhost/", "http://api.localhost/", "http://169.254.169.254/latest/meta-data/"],
)
async def test_numeric_and_local_forms_of_loopback_are_refused(url: str) -> None:
    """Odd spellings of loopback go through the real getaddrinfo (numeric: no network) and are refused."""
    with pytest.raises(DestinationRefused):
        await resolve_destination(url, allow_private_addresses=False)


async def test_private_addresses_allowed_skip_the_check() -> None:
    assert await resolve_destination("http://127.0.0.1:8000/x", allow_private_addresses=True) is None
    resolver = Resolver({"pub.example": [[PUBLIC_1, PUBLIC_1, "2606:4700::1"]]})
    assert await resolve_destination("https://pub.example/", allow_private_addresses=False,
                                     resolver=resolver) == (PUBLIC_1, "2606:4700::1")


# ------------------------------------------------------------------ the pin


async def test_a_rebinding_name_cannot_move_the_connection_to_a_private_address() -> None:
    """The resolver answers a public address, then loopback. The connection goes to the public address
    that was checked (httpx does not resolve the name again), and the next request, which sees the
    loopback answer, is refused."""
    async with Server(json_reply('{"id": "https://rebind.example/users/bob"}')) as server:
        backend = Loopback(server.port)
        resolver = Resolver({"rebind.example": [[PUBLIC_1], ["127.0.0.1"]]})
        client = guarded(backend, resolver)
        doc = await client.get_json("https://rebind.example/users/bob".replace("https", "http"))
        assert doc["id"] == "https://rebind.example/users/bob"
        assert backend.calls == [(PUBLIC_1, 80)]  # the checked address, not the name
        assert resolver.lookups == ["rebind.example"]  # resolved once for the request
        assert server.requests[0].headers["host"] == "rebind.example"  # Host header kept
        with pytest.raises(DestinationRefused):
            await client.get_json("http://rebind.example/users/bob")
        await client.aclose()
    assert backend.calls == [(PUBLIC_1, 80)]


async def test_the_next_checked_address_is_tried_when_the_first_does_not_answer() -> None:
    async with Server(json_reply("{}")) as server:
        backend = Loopback(server.port, refuse=[PUBLIC_1])
        client = guarded(backend, Resolver({"two.example": [[PUBLIC_1, PUBLIC_2]]}))
        await client.get_json("http://two.example/x")
        await client.aclose()
    assert backend.calls == [(PUBLIC_1, 80), (PUBLIC_2, 80)]


async def test_the_pinned_backend_refuses_a_host_without_a_pin() -> None:
    backend = PinnedBackend(Loopback(1), require_pins=True)
    with pytest.raises(httpcore2.ConnectError, match="no checked address"):
        await backend.connect_tcp("unchecked.example", 443)


def tls_files(tmp: Path, name: str) -> tuple[Path, Path, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    (tmp / f"{name}.crt").write_bytes(cert_pem)
    (tmp / f"{name}.key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return tmp / f"{name}.crt", tmp / f"{name}.key", cert_pem.decode()


@pytest.mark.parametrize(("cert_name", "works"), [("pinned.example", True), ("other.example", False)])
async def test_tls_checks_the_certificate_and_sends_sni_for_the_host_name(
    tmp_path: Path, cert_name: str, works: bool
) -> None:
    """Pinned to an IP address, HTTPS still verifies the certificate for the URL's host name and sends
    it as SNI: a certificate for another name is refused."""
    cert, key, cert_pem = tls_files(tmp_path, cert_name)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    sni: list[str | None] = []
    server_ctx.sni_callback = lambda sock, name, ctx: sni.append(name)  # type: ignore[assignment,return-value]
    trust = ssl.create_default_context(cadata=cert_pem)
    async with Server(json_reply('{"id": "https://pinned.example/x"}'), ssl_context=server_ctx) as server:
        backend = Loopback(server.port)
        client = guarded(backend, Resolver({"pinned.example": [[PUBLIC_1]]}), verify=trust)
        if works:
            assert (await client.get_json("https://pinned.example/x"))["id"] == "https://pinned.example/x"
            assert server.requests[0].headers["host"] == "pinned.example"
        else:
            with pytest.raises(NetworkFailure, match="(?i)certificate"):
                await client.get_json("https://pinned.example/x")
        await client.aclose()
    assert backend.calls == [(PUBLIC_1, 443)]
    assert sni == ["pinned.example"]


# ------------------------------------------------------------------ redirects


def redirect_to(location: str) -> Handler:
    async def handler(seen: Seen, writer: asyncio.StreamWriter) -> None:
        if seen.headers["host"] == "start.example":
            writer.write(response(302, headers={"Location": location}))
        else:
            writer.write(response(200, b'{"ok": true}', {"Content-Type": "application/json"}))

    return handler


@pytest.mark.parametrize(
    "location",
    ["http://internal.example/admin", "http://127.0.0.1/", "http://[::ffff:10.0.0.1]/", "http://10.0.0.5:8080/",
     "file:///etc/passwd", "gopher://start.example/", "ftp://public.example/x"],
)
async def test_a_redirect_to_a_private_address_or_another_scheme_is_refused(location: str) -> None:
    async with Server(redirect_to(location)) as server:
        backend = Loopback(server.port)
        resolver = Resolver({"start.example": [[PUBLIC_1]], "internal.example": [["10.1.1.1"]],
                             "public.example": [[PUBLIC_2]]})
        client = guarded(backend, resolver)
        with pytest.raises(DestinationRefused):
            await client.get_json("http://start.example/x")
        await client.aclose()
    assert backend.calls == [(PUBLIC_1, 80)]  # only the first hop connected
    assert len(server.requests) == 1


async def test_each_redirect_hop_is_resolved_checked_and_pinned_again() -> None:
    async with Server(redirect_to("http://next.example/y")) as server:
        backend = Loopback(server.port)
        resolver = Resolver({"start.example": [[PUBLIC_1]], "next.example": [[PUBLIC_2]]})
        client = guarded(backend, resolver)
        assert await client.get_json("http://start.example/x") == {"ok": True}
        await client.aclose()
    assert resolver.lookups == ["start.example", "next.example"]
    assert backend.calls == [(PUBLIC_1, 80), (PUBLIC_2, 80)]
    assert [r.headers["host"] for r in server.requests] == ["start.example", "next.example"]
    assert all("cookie" not in r.headers and "authorization" not in r.headers for r in server.requests)


async def test_a_redirect_loop_stops() -> None:
    async def loop(seen: Seen, writer: asyncio.StreamWriter) -> None:
        n = int(seen.target.strip("/") or 0)
        writer.write(response(302, headers={"Location": f"/{n + 1}"}))

    async with Server(loop) as server:
        client = guarded(Loopback(server.port), Resolver({"loop.example": [[PUBLIC_1]]}))
        with pytest.raises(FetchError, match="too many redirects"):
            await client.get_json("http://loop.example/0")
        await client.aclose()
    assert 1 < len(server.requests) <= 6


# ------------------------------------------------------------------ federation policy hook


async def test_policy_check_refuses_before_any_connection_on_get_post_and_redirect() -> None:
    asked: list[str] = []

    async def policy(url: str) -> str | None:
        asked.append(url)
        return "domain suspended" if "blocked.example" in url else None

    private_pem, _ = generate_key_pair()
    signer = Signer(key_id="https://agora.test/actor#main-key", private_key_pem=private_pem)
    async with Server(redirect_to("http://blocked.example/z")) as server:
        backend = Loopback(server.port)
        resolver = Resolver({"start.example": [[PUBLIC_1]], "blocked.example": [[PUBLIC_2]]})
        client = guarded(backend, resolver, policy_check=policy)
        with pytest.raises(FetchError, match="refused by federation policy: domain suspended"):
            await client.get_json("http://blocked.example/users/x")
        with pytest.raises(FetchError, match="refused by federation policy"):
            await client.post_activity("http://blocked.example/inbox", b"{}", signer=signer)
        assert backend.calls == [] and resolver.lookups == []
        with pytest.raises(FetchError, match="refused by federation policy"):
            await client.get_json("http://start.example/x")  # redirected to the blocked host
        await client.aclose()
    assert backend.calls == [(PUBLIC_1, 80)]
    assert asked == ["http://blocked.example/users/x", "http://blocked.example/inbox", "http://start.example/x",
                     "http://blocked.example/z"]


# ------------------------------------------------------------------ size and time limits


async def test_an_endless_body_is_cut_at_max_body() -> None:
    async def endless(seen: Seen, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/activity+json\r\nConnection: close\r\n\r\n")
        for _ in range(100_000):  # 6.5 GB if nobody stops reading
            writer.write(b"[" * 65536)
            await writer.drain()

    async with Server(endless) as server:
        client = guarded(Loopback(server.port), Resolver({"big.example": [[PUBLIC_1]]}), max_body=200_000,
                         timeout=5.0)
        started = time.monotonic()
        with pytest.raises(FetchError, match="response too large"):
            await client.get_json("http://big.example/x")
        await client.aclose()
    assert time.monotonic() - started < 5


async def test_a_declared_oversized_body_is_refused_without_reading_it() -> None:
    async def declared(seen: Seen, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 999999999\r\n\r\n{")

    async with Server(declared) as server:
        client = guarded(Loopback(server.port), Resolver({"big.example": [[PUBLIC_1]]}), max_body=1000)
        with pytest.raises(FetchError, match="response too large"):
            await client.get_json("http://big.example/x")
        await client.aclose()


async def test_a_server_that_never_answers_times_out() -> None:
    async def silent(seen: Seen, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(30)

    async with Server(silent) as server:
        client = guarded(Loopback(server.port), Resolver({"slow.example": [[PUBLIC_1]]}), timeout=0.2)
        started = time.monotonic()
        with pytest.raises(NetworkFailure, match="timeout"):
            await client.get_json("http://slow.example/x")
        await client.aclose()
    assert time.monotonic() - started < 10  # 0.2 s, and a loaded machine's slack; 30 s without the timeout


async def test_a_slow_drip_body_hits_the_total_deadline() -> None:
    """Each byte comes before the read timeout, but the whole fetch may not last longer than 3 x timeout."""
    async def drip(seen: Seen, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n")
        for _ in range(1000):
            writer.write(b" ")
            await writer.drain()
            await asyncio.sleep(0.05)

    async with Server(drip) as server:
        client = guarded(Loopback(server.port), Resolver({"drip.example": [[PUBLIC_1]]}), timeout=1.0)
        started = time.monotonic()
        with pytest.raises(NetworkFailure, match="timeout"):
            await client.get_json("http://drip.example/x")
        await client.aclose()
    # the 3 s deadline, not an early read timeout (a byte every 50 ms, a stall of 1 s would be needed);
    # the drip alone would last 50 s
    assert 2.9 < time.monotonic() - started < 15


async def test_a_connection_that_never_completes_times_out() -> None:
    client = guarded(Loopback(1, hang=True), Resolver({"void.example": [[PUBLIC_1]]}), timeout=0.1)
    with pytest.raises(NetworkFailure, match="timeout"):
        await client.get_json("http://void.example/x")
    await client.aclose()
