"""The SSRF guard: a URL is refused unless it is http(s) and EVERY address its host resolves to is
public; the checked addresses are what the connection is then pinned to (``federation.client.pinning``)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

import httpx2

from federation.client.errors import DestinationRefused, NetworkFailure

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
class Pin:
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


async def resolve_pin(
    url: str, *, allow_private_addresses: bool, resolver: Resolver
) -> Pin | None:
    target = _parse_target(url)
    if allow_private_addresses:
        return None
    host, port = _connect_target(url)
    if _check_literal(target):
        return Pin(host, port, (str(target.literal),))
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        _refuse_name(host.rstrip("."))
        addresses = _check_addresses(host, await resolver(host, port))
        return Pin(host, port, addresses)
    if is_forbidden_address(literal):  # the two URL parsers disagree: judge what will be used
        raise DestinationRefused(f"private address refused: {literal}")
    return Pin(host, port, (str(literal),))


async def resolve_destination(
    url: str, *, allow_private_addresses: bool, resolver: Resolver = system_resolver
) -> tuple[str, ...] | None:
    """Check ``url`` and return the public addresses its host resolved to.

    ``None`` when private addresses are allowed (no DNS check is made).
    Raises :class:`DestinationRefused` when ANY resolved address is not
    public, :class:`NetworkFailure` when the name does not resolve.
    """
    pin = await resolve_pin(url, allow_private_addresses=allow_private_addresses, resolver=resolver)
    return None if pin is None else pin.addresses


async def check_destination_async(url: str, *, allow_private_addresses: bool) -> None:
    """:func:`check_destination` with DNS resolved off the event loop thread."""
    await resolve_destination(url, allow_private_addresses=allow_private_addresses)
