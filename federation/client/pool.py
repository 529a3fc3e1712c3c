"""A lean HTTP/1.1 keep-alive pool per origin, for deliveries (signed POSTs of small bodies).

A fan-out sends one POST per inbox, most of them to a few hosts: the request is small, only the status
and a few headers of the answer matter, and the cost per request is what limits the rate. httpx2 over
httpcore2 spends about 60 % of a delivery in its layers (request and response models, the pool's
bookkeeping, an anyio deadline around every read and write). This pool writes the request in one
``transport.write`` on an asyncio protocol and parses the answer with httptools (the parser uvicorn
uses), so a delivery costs a fraction of that (BENCHMARKS.md has the figures).

It keeps what the client promises: connections go only to the addresses the SSRF guard checked (the
pin, never a name resolved again), TLS verifies the certificate of the URL's host name and sends SNI
for it, answers are bounded (header bytes and count, the body: kept up to ``keep`` bytes, read up to
``limit`` bytes to keep the connection, else the connection is closed), and the caller bounds each
request with one deadline. An idle connection is reused for ``keepalive_expiry`` seconds at most, and
a request that fails on a reused connection before any byte of an answer is sent once more on a new
connection (the server closed it meanwhile; an inbox delivery is idempotent by its activity id).
"""

from __future__ import annotations

import asyncio
import re
import ssl
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Final, cast

import httptools

from federation.client.errors import FetchError, NetworkFailure

#: An answer's head may have at most this many header bytes and headers.
MAX_HEADER_BYTES: Final = 64 * 1024
MAX_HEADERS: Final = 200
#: At most this many of a host's (checked) addresses are tried in turn.
MAX_ADDRESSES: Final = 4
#: A request target or header value with anything but visible ASCII (and spaces in values) is refused.
_TARGET: Final = re.compile(r"[\x21-\x7e]+")
_VALUE: Final = re.compile(r"[\x20-\x7e\t]*")
_NAME: Final = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")

#: Opens a connection: (protocol factory, address, port, TLS context or None, server host name).
Connector = Callable[
    [Callable[[], asyncio.Protocol], str, int, ssl.SSLContext | None, str | None],
    Awaitable[tuple[asyncio.BaseTransport, asyncio.Protocol]],
]


async def loop_connector(
    factory: Callable[[], asyncio.Protocol], address: str, port: int,
    context: ssl.SSLContext | None, server_hostname: str | None,
) -> tuple[asyncio.BaseTransport, asyncio.Protocol]:
    """The event loop's own connection (no name resolution: ``address`` is an IP address, checked)."""
    loop = asyncio.get_running_loop()
    return await loop.create_connection(factory, address, port, ssl=context, server_hostname=server_hostname)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: list[tuple[str, str]]  # lowercase names, in order
    body: bytes  # at most the ``keep`` bytes asked for


class _Connection(asyncio.Protocol):
    """One HTTP/1.1 connection; one request at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.closed = False
        self.idle_since = 0.0
        self.waiter: asyncio.Future[None] | None = None
        self.error: FetchError | None = None
        self.status = 0
        self.headers: list[tuple[str, str]] = []
        self.header_bytes = 0
        self.body = bytearray()
        self.body_bytes = 0
        self.keep = 0
        self.limit = 0
        self.got_bytes = False
        self.headers_done = False
        self.complete = False
        self.reusable = False

    # -- the request ---------------------------------------------------------------------------------

    def send(self, data: bytes, keep: int, limit: int) -> asyncio.Future[None]:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.error = None
        self.status, self.headers, self.header_bytes = 0, [], 0
        self.body, self.body_bytes, self.keep, self.limit = bytearray(), 0, keep, limit
        self.got_bytes = self.headers_done = self.complete = self.reusable = False
        self.transport.write(data)
        return self.waiter

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def _finish(self, error: FetchError | None = None) -> None:
        waiter = self.waiter
        if error is not None:
            self.error = error
            self.close()
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # -- asyncio.Protocol ----------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports are not subclasses

    def data_received(self, data: bytes) -> None:
        if self.waiter is None or self.waiter.done():
            self._finish(NetworkFailure("unexpected data from the server"))  # no request waits: unusable
            return
        self.got_bytes = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            if self.complete:  # bytes after the answer: the answer stands, the connection is not reused
                self.reusable = False
                self.close()
            else:
                self._finish(NetworkFailure(f"malformed HTTP answer: {exc}"))

    def eof_received(self) -> bool | None:
        return False  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is None or self.waiter.done():
            return
        if self.headers_done and not self.complete and not self._framed():
            self.complete = True  # a body that ends with the connection
            self._finish()
            return
        detail = f"{type(exc).__name__}: {exc}" if exc is not None else "closed by the server"
        self._finish(NetworkFailure(f"connection failed: {detail}"))

    def _framed(self) -> bool:
        names = {name for name, _ in self.headers}
        return "content-length" in names or "transfer-encoding" in names

    # -- httptools callbacks -------------------------------------------------------------------------

    def _after_answer(self) -> None:
        if self.complete:
            raise httptools.HttpParserError("bytes after the answer")

    def on_header(self, name: bytes, value: bytes) -> None:
        self._after_answer()
        self.header_bytes += len(name) + len(value)
        if self.header_bytes > MAX_HEADER_BYTES or len(self.headers) >= MAX_HEADERS:
            raise httptools.HttpParserError("answer headers too large")
        self.headers.append((name.decode("latin-1").lower(), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        self._after_answer()
        status = self.parser.get_status_code()
        if 100 <= status < 200:  # an interim answer (100 Continue, 103 Early Hints): the real one follows
            self.headers, self.header_bytes = [], 0
            return
        self.status = status
        self.headers_done = True

    def on_body(self, body: bytes) -> None:
        self._after_answer()
        self.body_bytes += len(body)
        room = self.keep - len(self.body)
        if room > 0:
            self.body += body[:room]
        if self.body_bytes > self.limit:  # not worth reading to the end: the connection is closed
            self.complete = True
            self.reusable = False
            self.close()
            self._finish()

    def on_message_complete(self) -> None:
        self._after_answer()
        if not self.headers_done:
            return  # the end of an interim answer
        self.complete = True
        self.reusable = self.parser.should_keep_alive() and not self.closed
        self._finish()


def _closing(conn: _Connection) -> bool:
    return conn.transport is None or conn.transport.is_closing()


def sendable_target(target: str) -> bool:
    """Whether a request target can go as it is (visible ASCII: what was signed is what is sent)."""
    return _TARGET.fullmatch(target) is not None


def _encode_head(method: str, target: str, host: str, headers: Sequence[tuple[str, str]], length: int) -> bytes:
    """The request head: the caller's Host header when it has one (it is signed), else ``host``."""
    if not sendable_target(target):
        raise FetchError(f"request target not sendable: {target[:100]!r}")
    lines = [f"{method} {target} HTTP/1.1", ""]
    for name, value in headers:
        if not _NAME.fullmatch(name) or not _VALUE.fullmatch(value):
            raise FetchError(f"header not sendable: {name[:100]!r}")
        lower = name.lower()
        if lower == "host":
            host = value
        elif lower not in ("content-length", "connection", "transfer-encoding"):
            lines.append(f"{name}: {value}")
    lines[1] = f"Host: {host}"
    lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


class KeepAlivePool:
    """Idle connections per origin ``(scheme, host, port)``, most recently used first."""

    def __init__(
        self,
        *,
        ssl_context: ssl.SSLContext,
        keepalive_expiry: float = 30.0,
        max_idle_per_origin: int = 32,
        max_origins: int = 256,
        connect_timeout: float = 10.0,
        connector: Connector = loop_connector,
    ) -> None:
        self.connect_timeout = connect_timeout
        self.ssl_context = ssl_context
        self.keepalive_expiry = keepalive_expiry
        self.max_idle_per_origin = max_idle_per_origin
        self.max_origins = max_origins
        self.connector = connector
        self.opened = 0  # connections opened (tests and the benchmark read it)
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}

    async def request(
        self,
        method: str,
        scheme: str,
        host: str,
        port: int,
        target: str,
        headers: Sequence[tuple[str, str]],
        body: bytes,
        *,
        addresses: Sequence[str],
        keep: int,
        limit: int,
    ) -> Answer:
        """Send one request to one of ``addresses`` (checked by the caller) and read its answer.
        The caller bounds the time (``asyncio.timeout``); a cancelled request closes its connection."""
        default = 443 if scheme == "https" else 80
        authority = host if port == default else f"{host}:{port}"
        if ":" in host and not host.startswith("["):
            authority = f"[{host}]" if port == default else f"[{host}]:{port}"
        data = _encode_head(method, target, authority, headers, len(body)) + body
        origin = (scheme, host, port)
        conn = self._take(origin)
        if conn is not None:
            answer = await self._exchange(conn, data, keep, limit, origin, reused=True)
            if answer is not None:
                return answer
        conn = await self._open(scheme, host, port, addresses)
        answer = await self._exchange(conn, data, keep, limit, origin, reused=False)
        assert answer is not None
        return answer

    async def _exchange(
        self, conn: _Connection, data: bytes, keep: int, limit: int, origin: tuple[str, str, int], *, reused: bool
    ) -> Answer | None:
        """The answer; None when a reused connection failed before any byte of one came back."""
        try:
            await conn.send(data, keep, limit)
        except BaseException:
            conn.close()  # cancelled (the deadline): the connection's state is unknown
            raise
        if conn.error is not None:
            if reused and not conn.got_bytes:
                return None
            raise conn.error
        answer = Answer(conn.status, conn.headers, bytes(conn.body))
        if conn.reusable and not conn.closed:
            self._give_back(origin, conn)
        else:
            conn.close()
        return answer

    def _take(self, origin: tuple[str, str, int]) -> _Connection | None:
        idle = self._idle.get(origin)
        now = time.monotonic()
        while idle:
            conn = idle.pop()
            if not conn.closed and not _closing(conn) and now - conn.idle_since < self.keepalive_expiry:
                return conn
            conn.close()
        return None

    def _give_back(self, origin: tuple[str, str, int], conn: _Connection) -> None:
        conn.waiter = None
        conn.idle_since = time.monotonic()
        idle = self._idle.get(origin)
        if idle is None:
            if len(self._idle) >= self.max_origins:
                self._evict()
            idle = self._idle[origin] = []
        if len(idle) >= self.max_idle_per_origin:
            idle.pop(0).close()
        idle.append(conn)

    def _evict(self) -> None:
        """Drop the origins whose connections all expired or closed, else the oldest origin."""
        now = time.monotonic()
        for origin, idle in list(self._idle.items()):
            if all(c.closed or now - c.idle_since >= self.keepalive_expiry for c in idle):
                for conn in idle:
                    conn.close()
                del self._idle[origin]
        if len(self._idle) >= self.max_origins:
            for conn in self._idle.pop(next(iter(self._idle))):
                conn.close()

    async def _open(self, scheme: str, host: str, port: int, addresses: Sequence[str]) -> _Connection:
        context = self.ssl_context if scheme == "https" else None
        failure: Exception | None = None
        for address in list(addresses)[:MAX_ADDRESSES]:
            try:
                async with asyncio.timeout(self.connect_timeout):
                    _, protocol = await self.connector(_Connection, address, port, context, host if context else None)
            except (OSError, TimeoutError) as exc:
                failure = exc
                continue
            assert isinstance(protocol, _Connection)
            self.opened += 1
            return protocol
        if isinstance(failure, TimeoutError):
            raise NetworkFailure(f"timeout: connecting to {host}:{port}")
        raise NetworkFailure(f"connection failed: {type(failure).__name__}: {failure or host}")

    async def aclose(self) -> None:
        for idle in self._idle.values():
            for conn in idle:
                conn.close()
        self._idle.clear()
