"""The one outgoing HTTP client for federation traffic.

Everything Agora sends to, or fetches from, another server goes through
:class:`FederationClient`. It owns the policy that every such request needs:

* an SSRF guard applied to the first URL and to every redirect hop: the
  host is resolved once (every A/AAAA record), the request is refused when
  any address is not public, and the connection is then *pinned* to the
  addresses that were checked (:class:`PinnedBackend`), so a DNS answer
  that changes between the check and the connection (DNS rebinding) cannot
  send the request elsewhere. TLS still verifies the certificate for, and
  sends SNI with, the host name of the URL; the Host header is unchanged;
* an optional federation policy hook (:attr:`FederationClient.policy_check`)
  asked before every request, redirects included;
* HTTP signatures (draft-cavage or RFC 9421, see ``federation.signatures``)
  with the "double knock": when a signed request is answered with 400/401,
  it is retried exactly once with the other scheme, and the scheme that was
  accepted is remembered per host for the next request;
* bounded, streamed response bodies and timeouts;
* manual redirect handling for GET (at most :data:`MAX_REDIRECTS` hops,
  re-checked and re-signed per hop) and *no* redirects for POST.

Errors are reported as :class:`FetchError` (or one of its two subclasses,
:class:`DestinationRefused` and :class:`NetworkFailure`, which the delivery
policy in ``federation.delivery`` uses to classify failures).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any, Final, Literal
from urllib.parse import urljoin, urlsplit

import httpcore2
import httpx2

from federation.signatures import sign_cavage, sign_rfc9421
from federation.vocab import has_nul, loads

__all__ = [
    "AS2_ACCEPT",
    "AS2_CONTENT_TYPE",
    "JSON_CONTENT_TYPES",
    "MAX_REDIRECTS",
    "DestinationRefused",
    "FederationClient",
    "FetchError",
    "NetworkFailure",
    "PinnedBackend",
    "PolicyCheck",
    "PostResult",
    "Resolver",
    "Scheme",
    "Signer",
    "check_destination",
    "check_destination_async",
    "is_forbidden_address",
    "resolve_destination",
    "system_resolver",
]

AS2_ACCEPT: Final = (
    'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
)
AS2_CONTENT_TYPE: Final = "application/activity+json"

#: Media types (without parameters) that ``get_json`` accepts.
JSON_CONTENT_TYPES: Final = frozenset(
    {
        "application/activity+json",
        "application/ld+json",
        "application/json",
        "application/jrd+json",
    }
)

#: Maximum number of redirects followed by a GET.
MAX_REDIRECTS: Final = 3
_REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})
#: Statuses that trigger the double knock (retry with the other scheme).
_KNOCK_STATUSES: Final = frozenset({400, 401})
#: How much of a body is kept when it is only needed for diagnostics.
_EXCERPT_BYTES: Final = 4096
_EXCERPT_CHARS: Final = 200
#: Upper bound on the per-host scheme memory (oldest entries are evicted).
_MAX_REMEMBERED_HOSTS: Final = 10_000
#: A whole attempt (DNS check, connect, send, read body) may take at most
#: this many times the per-operation ``timeout``; this bounds slow-drip bodies.
_ATTEMPT_DEADLINE_FACTOR: Final = 3.0

Scheme = Literal["cavage", "rfc9421"]


@dataclass(frozen=True)
class Signer:
    """Key used to sign outgoing requests (the private key is kept out of repr)."""

    key_id: str
    private_key_pem: str = field(repr=False)


class FetchError(Exception):
    """An outgoing request failed; ``str(e)`` is the reason."""

    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class DestinationRefused(FetchError):
    """The URL was refused before any connection: bad scheme, private address, ..."""


class NetworkFailure(FetchError):
    """Connection-level failure: DNS, connect, TLS, protocol error or timeout."""


@dataclass(frozen=True)
class PostResult:
    status: int  # HTTP status of the final attempt
    headers: Mapping[str, str]
    scheme: Scheme  # signature scheme of the final attempt
    body_excerpt: str  # first 200 chars of the response body


# ---------------------------------------------------------------------------
# SSRF guard
# ---------------------------------------------------------------------------

_IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_EXTRA_FORBIDDEN_V4: Final = (
    ipaddress.IPv4Network("0.0.0.0/8"),  # "this network"
    ipaddress.IPv4Network("100.64.0.0/10"),  # carrier-grade NAT (RFC 6598)
    ipaddress.IPv4Network("192.0.0.0/24"),  # IETF protocol assignments
    ipaddress.IPv4Network("198.18.0.0/15"),  # benchmarking
)
_NAT64_PREFIXES: Final = (
    ipaddress.IPv6Network("64:ff9b::/96"),
    ipaddress.IPv6Network("64:ff9b:1::/48"),
)


def is_forbidden_address(ip: _IPAddress) -> bool:
    """True for any address a federation request must never reach.

    Private, loopback, link-local, multicast, reserved, unspecified,
    carrier-grade NAT and every other non-global range; IPv6 addresses that
    embed an IPv4 address (IPv4-mapped, 6to4, NAT64) are judged by the
    embedded address as well.
    """
    if isinstance(ip, ipaddress.IPv6Address):
        embedded: list[ipaddress.IPv4Address] = []
        if ip.ipv4_mapped is not None:
            embedded.append(ip.ipv4_mapped)
        if ip.sixtofour is not None:
            embedded.append(ip.sixtofour)
        if any(ip in net for net in _NAT64_PREFIXES):
            embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if any(is_forbidden_address(v4) for v4 in embedded):
            return True
    else:
        if any(ip in net for net in _EXTRA_FORBIDDEN_V4):
            return True
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


@dataclass(frozen=True)
class _Target:
    host: str  # lowercase, without IPv6 brackets
    port: int
    literal: _IPAddress | None


def _parse_target(url: str) -> _Target:
    """Validate scheme/host syntactically; raise DestinationRefused otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise DestinationRefused(f"invalid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise DestinationRefused(f"scheme not allowed: {scheme or '(none)'}")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise DestinationRefused("URL has no host")
    if parts.username is not None or parts.password is not None:
        raise DestinationRefused("credentials in URL")
    try:
        literal: _IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    return _Target(host=host, port=port or (443 if scheme == "https" else 80), literal=literal)


def _refuse_name(host: str) -> None:
    if host == "localhost" or host.endswith(".localhost"):
        raise DestinationRefused(f"private address refused: {host}")


#: Turns a host name and port into the addresses to connect to (strings).
Resolver = Callable[[str, int], Awaitable[list[str]]]
#: Asked with the URL before every request; a reason string refuses it.
PolicyCheck = Callable[[str], Awaitable[str | None]]
#: At most this many of a host's (checked) addresses are tried in turn.
_MAX_PINNED_ADDRESSES: Final = 4


def _check_addresses(host: str, addresses: Iterable[str]) -> tuple[str, ...]:
    """Refuse when ANY address is forbidden; return the distinct addresses in order."""
    checked: list[str] = []
    for raw in addresses:
        address = str(raw).split("%", 1)[0]
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            raise DestinationRefused(f"unparseable address for {host}: {address}") from None
        if is_forbidden_address(ip):
            raise DestinationRefused(f"private address refused: {host} -> {ip}")
        if str(ip) not in checked:
            checked.append(str(ip))
    if not checked:
        raise NetworkFailure(f"could not resolve host: {host}")
    return tuple(checked)


def _check_literal(target: _Target) -> bool:
    """Check a literal-IP target; return True when no DNS lookup is needed."""
    if target.literal is None:
        _refuse_name(target.host)
        return False
    if is_forbidden_address(target.literal):
        raise DestinationRefused(f"private address refused: {target.literal}")
    return True


def check_destination(url: str, *, allow_private_addresses: bool) -> None:
    """Refuse URLs that are not http(s) or that resolve to a non-public address.

    The scheme is always checked; the address check (including DNS
    resolution, which blocks) is skipped when ``allow_private_addresses``.
    Raises :class:`DestinationRefused`, or :class:`NetworkFailure` when the
    name does not resolve. (The client itself uses :func:`resolve_destination`
    and pins the connection to the checked addresses.)
    """
    target = _parse_target(url)
    if allow_private_addresses or _check_literal(target):
        return
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise NetworkFailure(f"could not resolve host: {target.host} ({exc})") from None
    _check_addresses(target.host, [str(info[4][0]) for info in infos])


async def system_resolver(host: str, port: int) -> list[str]:
    """Every A/AAAA record of ``host``, through the event loop's getaddrinfo."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise NetworkFailure(f"could not resolve host: {host} ({exc})") from None
    return [str(info[4][0]) for info in infos]


@dataclass(frozen=True)
class _Pin:
    """Where a URL's connection must go: ``host``/``port`` as the transport
    sees them (IDNA-encoded, lowercase) and the addresses that were checked."""

    host: str
    port: int
    addresses: tuple[str, ...]


def _connect_target(url: str) -> tuple[str, int]:
    """The host and port the HTTP transport will connect to for ``url``."""
    try:
        parsed = httpx2.URL(url)
    except (httpx2.InvalidURL, TypeError, ValueError) as exc:
        raise DestinationRefused(f"invalid URL: {exc}") from None
    host = parsed.raw_host.decode("ascii").lower()
    if not host:
        raise DestinationRefused("URL has no host")
    default = 443 if parsed.scheme == "https" else 80
    return host, parsed.port or default


async def _resolve_pin(
    url: str, *, allow_private_addresses: bool, resolver: Resolver
) -> _Pin | None:
    target = _parse_target(url)
    if allow_private_addresses:
        return None
    host, port = _connect_target(url)
    if _check_literal(target):
        return _Pin(host, port, (str(target.literal),))
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        _refuse_name(host.rstrip("."))
        addresses = _check_addresses(host, await resolver(host, port))
        return _Pin(host, port, addresses)
    if is_forbidden_address(literal):  # the two URL parsers disagree: judge what will be used
        raise DestinationRefused(f"private address refused: {literal}")
    return _Pin(host, port, (str(literal),))


async def resolve_destination(
    url: str, *, allow_private_addresses: bool, resolver: Resolver = system_resolver
) -> tuple[str, ...] | None:
    """Check ``url`` and return the public addresses its host resolved to.

    ``None`` when private addresses are allowed (no DNS check is made).
    Raises :class:`DestinationRefused` when ANY resolved address is not
    public, :class:`NetworkFailure` when the name does not resolve.
    """
    pin = await _resolve_pin(url, allow_private_addresses=allow_private_addresses, resolver=resolver)
    return None if pin is None else pin.addresses


async def check_destination_async(url: str, *, allow_private_addresses: bool) -> None:
    """:func:`check_destination` with DNS resolved off the event loop thread."""
    await resolve_destination(url, allow_private_addresses=allow_private_addresses)


# ---------------------------------------------------------------------------
# Pinned connections
# ---------------------------------------------------------------------------

#: The pins of the request being sent in this task (set by FederationClient).
_PINS: ContextVar[Mapping[tuple[str, int], tuple[str, ...]] | None] = ContextVar(
    "agora_federation_pins", default=None
)


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


class _PinnedTransport(httpx2.AsyncHTTPTransport):
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


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def _other(scheme: Scheme) -> Scheme:
    return "rfc9421" if scheme == "cavage" else "cavage"


def _origin_key(url: str) -> str:
    """host[:port] (port only when not the scheme default), lowercase."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    default = 443 if parts.scheme.lower() == "https" else 80
    if ":" in host:
        host = f"[{host}]"
    return host if port is None or port == default else f"{host}:{port}"


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _charset(content_type: str) -> str:
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            return value.strip().strip('"')
    return "utf-8"


def _decode(body: bytes, content_type: str) -> str:
    try:
        return body.decode(_charset(content_type), errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def _signature_accepted(status: int) -> bool:
    """Whether a response suggests the signature scheme was acceptable."""
    return status not in _KNOCK_STATUSES and status < 500


@dataclass(frozen=True)
class _Reply:
    url: str
    status: int
    headers: httpx2.Headers
    body: bytes


async def _read_body(response: httpx2.Response, limit: int, *, strict: bool) -> bytes:
    """Read at most ``limit`` bytes; over the limit raise (strict) or truncate."""
    declared = response.headers.get("content-length", "")
    if strict and declared.isdigit() and int(declared) > limit:
        raise FetchError("response too large", response.status_code)
    buf = bytearray()
    async for chunk in response.aiter_bytes():
        buf += chunk
        if len(buf) > limit:
            if strict:
                raise FetchError("response too large", response.status_code)
            return bytes(buf[:limit])
    return bytes(buf)


# ---------------------------------------------------------------------------
# The client
# ---------------------------------------------------------------------------


class FederationClient:
    """Outgoing HTTP for federation: one pooled ``httpx2.AsyncClient``."""

    #: Asked with the URL before every request (redirect hops included);
    #: a reason string refuses the request with FetchError before any
    #: connection. Set by the node to its federation policy.
    policy_check: PolicyCheck | None = None

    def __init__(
        self,
        *,
        user_agent: str,
        allow_private_addresses: bool = False,
        transport: httpx2.AsyncBaseTransport | None = None,
        max_body: int = 1_000_000,
        timeout: float = 10.0,
        first_scheme: Scheme = "cavage",
        resolver: Resolver | None = None,
        network_backend: httpcore2.AsyncNetworkBackend | None = None,
        verify: ssl.SSLContext | bool = True,
        policy_check: PolicyCheck | None = None,
    ) -> None:
        """``transport`` replaces the network (tests route requests in-process
        with it; the address check still runs, but connections are then the
        transport's business). ``resolver`` and ``network_backend`` (the
        backend that the pinned backend connects through) and ``verify``
        exist for tests of the guard itself."""
        if not user_agent:
            raise ValueError("user_agent must not be empty")
        if first_scheme not in ("cavage", "rfc9421"):
            raise ValueError(f"unknown signature scheme: {first_scheme}")
        self.user_agent = user_agent
        self.allow_private_addresses = allow_private_addresses
        self.max_body = max_body
        self.timeout = timeout
        self.first_scheme: Scheme = first_scheme
        self.resolver: Resolver = resolver or system_resolver
        self.policy_check = policy_check
        self._schemes: dict[str, Scheme] = {}
        limits = httpx2.Limits(
            max_connections=256,
            max_keepalive_connections=64,
            keepalive_expiry=30.0,
        )
        if transport is None:
            backend = PinnedBackend(network_backend, require_pins=not allow_private_addresses)
            transport = _PinnedTransport(backend, verify=verify, limits=limits)
        # Never keep cookies between federation requests.
        no_cookies = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
        self._http = httpx2.AsyncClient(
            transport=transport,
            http1=True,
            http2=False,
            follow_redirects=False,
            timeout=httpx2.Timeout(timeout),
            limits=limits,
            cookies=no_cookies,
            trust_env=False,
        )

    async def __aenter__(self) -> FederationClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- scheme memory -------------------------------------------------------

    def remembered_scheme(self, url: str) -> Scheme | None:
        """The scheme last accepted by the host of ``url``, if any."""
        return self._schemes.get(_origin_key(url))

    def _remember(self, url: str, scheme: Scheme) -> None:
        key = _origin_key(url)
        self._schemes.pop(key, None)
        self._schemes[key] = scheme
        while len(self._schemes) > _MAX_REMEMBERED_HOSTS:
            del self._schemes[next(iter(self._schemes))]

    # -- one request ---------------------------------------------------------

    async def _check_policy(self, url: str) -> None:
        if self.policy_check is None:
            return
        reason = await self.policy_check(url)
        if reason is not None:
            raise DestinationRefused(f"refused by federation policy: {reason}")

    def _headers(
        self,
        method: str,
        url: str,
        *,
        accept: str,
        content: bytes | None,
        signer: Signer | None,
        scheme: Scheme,
    ) -> dict[str, str]:
        headers = {"User-Agent": self.user_agent, "Accept": accept}
        if content is not None:
            headers["Content-Type"] = AS2_CONTENT_TYPE
        if signer is not None:
            sign = sign_cavage if scheme == "cavage" else sign_rfc9421
            headers.update(
                sign(method, url, headers, content, signer.key_id, signer.private_key_pem)
            )
        return headers

    async def _attempt(
        self,
        method: str,
        url: str,
        *,
        accept: str,
        content: bytes | None,
        signer: Signer | None,
        scheme: Scheme,
        full_body: bool,
    ) -> _Reply:
        """Guard, sign and send one request; translate transport errors."""
        try:
            async with asyncio.timeout(self.timeout * _ATTEMPT_DEADLINE_FACTOR):
                pin = await _resolve_pin(
                    url, allow_private_addresses=self.allow_private_addresses,
                    resolver=self.resolver,
                )
                headers = self._headers(
                    method, url, accept=accept, content=content, signer=signer, scheme=scheme
                )
                pins = None if pin is None else {(pin.host, pin.port): pin.addresses}
                token = _PINS.set(pins)
                try:
                    async with self._http.stream(
                        method, url, headers=headers, content=content
                    ) as response:
                        ok = 200 <= response.status_code < 300
                        if full_body and ok:
                            body = await _read_body(response, self.max_body, strict=True)
                        else:
                            body = await _read_body(response, _EXCERPT_BYTES, strict=False)
                        return _Reply(url, response.status_code, response.headers, body)
                finally:
                    _PINS.reset(token)
        except FetchError:
            raise
        except (httpx2.TimeoutException, TimeoutError):
            raise NetworkFailure(f"timeout: {url}") from None
        except httpx2.UnsupportedProtocol as exc:
            raise DestinationRefused(f"unsupported protocol: {exc}") from None
        except httpx2.InvalidURL as exc:
            raise DestinationRefused(f"invalid URL: {exc}") from None
        except (httpx2.TransportError, OSError) as exc:
            raise NetworkFailure(
                f"connection failed: {type(exc).__name__}: {exc or url}"
            ) from None
        except httpx2.HTTPError as exc:
            raise FetchError(f"HTTP error: {type(exc).__name__}: {exc}") from None

    async def _knock(
        self,
        method: str,
        url: str,
        *,
        accept: str,
        content: bytes | None,
        signer: Signer | None,
        full_body: bool,
    ) -> tuple[_Reply, Scheme]:
        """One request with the double knock when signed."""
        await self._check_policy(url)
        first = self.remembered_scheme(url) or self.first_scheme
        reply = await self._attempt(
            method, url, accept=accept, content=content, signer=signer,
            scheme=first, full_body=full_body,
        )
        if signer is None:
            return reply, first
        if reply.status in _KNOCK_STATUSES:
            second = _other(first)
            retry = await self._attempt(
                method, url, accept=accept, content=content, signer=signer,
                scheme=second, full_body=full_body,
            )
            if _signature_accepted(retry.status):
                self._remember(url, second)
            return retry, second
        if _signature_accepted(reply.status):
            self._remember(url, first)
        return reply, first

    # -- GET -----------------------------------------------------------------

    async def _get(self, url: str, *, signer: Signer | None, accept: str) -> _Reply:
        """GET following at most MAX_REDIRECTS redirects; raise on non-2xx."""
        current = url
        for _hop in range(MAX_REDIRECTS + 1):
            reply, _scheme = await self._knock(
                "GET", current, accept=accept, content=None, signer=signer, full_body=True
            )
            if reply.status in _REDIRECT_STATUSES:
                current = self._next_hop(current, reply)
                continue
            if not 200 <= reply.status < 300:
                raise FetchError(f"HTTP {reply.status} from {current}", reply.status)
            return reply
        raise FetchError(f"too many redirects from {url}")

    def _next_hop(self, current: str, reply: _Reply) -> str:
        location = reply.headers.get("location")
        if not location:
            raise FetchError("redirect without Location", reply.status)
        target = urljoin(current, location.strip()).split("#", 1)[0]
        downgrade = (
            urlsplit(current).scheme.lower() == "https"
            and urlsplit(target).scheme.lower() == "http"
        )
        if downgrade and not self.allow_private_addresses:
            raise DestinationRefused(f"insecure redirect to {target}")
        return target

    async def get_json(
        self, url: str, *, signer: Signer | None = None, accept: str = AS2_ACCEPT
    ) -> dict[str, Any]:
        """GET a JSON object (AS2, JRD, NodeInfo, ...).

        If the document has a string ``id``, its host must match the host of
        the final URL (after redirects), else ``FetchError("id host mismatch")``.
        """
        reply = await self._get(url, signer=signer, accept=accept)
        content_type = reply.headers.get("content-type", "")
        if _media_type(content_type) not in JSON_CONTENT_TYPES:
            raise FetchError(f"unexpected content type: {content_type or '(none)'}", reply.status)
        if has_nul(reply.body):
            raise FetchError("NUL characters are not accepted", reply.status)
        try:
            document = loads(reply.body)
        except (ValueError, UnicodeDecodeError):
            raise FetchError("invalid JSON", reply.status) from None
        if not isinstance(document, dict):
            raise FetchError("JSON document is not an object", reply.status)
        doc_id = document.get("id")
        if isinstance(doc_id, str) and _origin_key(doc_id) != _origin_key(reply.url):
            raise FetchError("id host mismatch", reply.status)
        return document

    async def get_text(
        self, url: str, *, signer: Signer | None = None, accept: str = "*/*"
    ) -> tuple[str, str]:
        """GET any text document; returns (content-type, decoded text)."""
        reply = await self._get(url, signer=signer, accept=accept)
        content_type = reply.headers.get("content-type", "")
        return content_type, _decode(reply.body, content_type)

    # -- POST ----------------------------------------------------------------

    async def post_activity(self, url: str, body: bytes, *, signer: Signer) -> PostResult:
        """POST an activity to an inbox; never follows redirects.

        Any HTTP status is returned (classify it with
        ``federation.delivery.classify_response``); connection failures and
        refusals raise :class:`FetchError`.
        """
        reply, scheme = await self._knock(
            "POST", url, accept=AS2_ACCEPT, content=body, signer=signer, full_body=False
        )
        excerpt = _decode(reply.body, reply.headers.get("content-type", ""))[:_EXCERPT_CHARS]
        return PostResult(
            status=reply.status, headers=reply.headers, scheme=scheme, body_excerpt=excerpt
        )
