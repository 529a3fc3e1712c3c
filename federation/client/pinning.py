"""Pinned connections: the network backend that connects to the addresses the SSRF guard checked,
never resolving a name again, and the httpx transport over it."""

from __future__ import annotations

import ssl
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Final

import httpcore2
import httpx2

from federation.client.guard import Pin

#: At most this many of a host's (checked) addresses are tried in turn.
_MAX_PINNED_ADDRESSES: Final = 4

#: The pins of the request being sent in this task (set through :func:`pinned`).
_PINS: ContextVar[Mapping[tuple[str, int], tuple[str, ...]] | None] = ContextVar(
    "agora_federation_pins", default=None
)


@contextmanager
def pinned(pin: Pin | None) -> Iterator[None]:
    """Connections made in this block go to ``pin``'s checked addresses (None: no pin)."""
    token = _PINS.set(None if pin is None else {(pin.host, pin.port): pin.addresses})
    try:
        yield
    finally:
        _PINS.reset(token)


class PinnedBackend(httpcore2.AsyncNetworkBackend):
    """A network backend that connects to the addresses the SSRF guard checked.

    httpcore asks it to connect to the URL's host name; it connects to the
    pinned addresses of that host instead (tried in order), never resolving
    the name again. The TLS layer above still uses the host name for SNI and
    certificate verification. When ``require_pins`` is true (private
    addresses not allowed), a host without a pin is refused: nothing
    reaches the network unchecked.
    """

    def __init__(
        self, inner: httpcore2.AsyncNetworkBackend | None = None, *, require_pins: bool
    ) -> None:
        self.inner: httpcore2.AsyncNetworkBackend = inner or httpcore2.AnyIOBackend()
        self.require_pins = require_pins

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore2.SOCKET_OPTION] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        pins = _PINS.get()
        addresses = None if pins is None else pins.get((host.lower(), port))
        if addresses is None:
            if self.require_pins:
                raise httpcore2.ConnectError(f"no checked address for {host}:{port}")
            addresses = (host,)
        failure: Exception | None = None
        for address in addresses[:_MAX_PINNED_ADDRESSES]:
            try:
                return await self.inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore2.ConnectError, httpcore2.ConnectTimeout, OSError) as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore2.SOCKET_OPTION] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        raise httpcore2.ConnectError("unix sockets are not used for federation")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class PinnedTransport(httpx2.AsyncHTTPTransport):
    """httpx's own transport (request mapping, error mapping) over a pool
    whose connections are made by a :class:`PinnedBackend`."""

    def __init__(
        self, backend: PinnedBackend, *, verify: ssl.SSLContext | bool, limits: httpx2.Limits
    ) -> None:
        super().__init__(verify=verify, trust_env=False, http1=True, http2=False, limits=limits)
        self._pool = httpcore2.AsyncConnectionPool(
            ssl_context=httpx2.create_ssl_context(verify=verify, trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=False,
            network_backend=backend,
        )
