"""The signed GET/POST client: :class:`FederationClient`, with the double knock, the per-host scheme
memory, redirects for GET and none for POST, and bounded bodies and timeouts."""

from __future__ import annotations

import asyncio
import os
import ssl
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any, Final
from urllib.parse import urljoin, urlsplit

import httpcore2
import httpx2

from federation.client.bodies import Reply, decode, media_type, read_body
from federation.client.errors import DestinationRefused, FetchError, NetworkFailure
from federation.client.guard import Pin, Resolver, resolve_pin, system_resolver
from federation.client.pinning import PinnedBackend, PinnedTransport, pinned
from federation.client.pool import Connector, KeepAlivePool, loop_connector, sendable_target
from federation.signatures import Scheme, prepare_cavage, sign_cavage, sign_rfc9421
from federation.signatures.pool import SigningPool
from federation.vocab import has_nul, loads

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
#: Signing workers of a client on the real network (none on one core), started after this many signatures.
_SIGNING_WORKERS: Final = min(4, os.cpu_count() or 1) if (os.cpu_count() or 1) > 1 else 0
_SIGNING_START_AFTER: Final = 32
#: A whole attempt (DNS check, connect, send, read body) may take at most
#: this many times the per-operation ``timeout``; this bounds slow-drip bodies.
_ATTEMPT_DEADLINE_FACTOR: Final = 3.0


@dataclass(frozen=True)
class Signer:
    """Key used to sign outgoing requests (the private key is kept out of repr)."""

    key_id: str
    private_key_pem: str = field(repr=False)


@dataclass(frozen=True)
class PostResult:
    status: int  # HTTP status of the final attempt
    headers: Mapping[str, str]
    scheme: Scheme  # signature scheme of the final attempt
    body_excerpt: str  # first 200 chars of the response body


#: Asked with the URL before every request; a reason string refuses it.
PolicyCheck = Callable[[str], Awaitable[str | None]]


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


def _signature_accepted(status: int) -> bool:
    """Whether a response suggests the signature scheme was acceptable."""
    return status not in _KNOCK_STATUSES and status < 500


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
        connector: Connector | None = None,
        signing_workers: int | None = None,
    ) -> None:
        """``transport`` replaces the network (tests route requests in-process
        with it; the address check still runs, but connections are then the
        transport's business). ``resolver`` and ``network_backend`` (the
        backend that the pinned backend connects through) and ``verify``
        exist for tests of the guard itself.

        POSTs go through :class:`KeepAlivePool` (a lean keep-alive pool per
        origin, about 20 times cheaper per request than httpx2 here: see
        BENCHMARKS.md) unless ``transport`` or ``network_backend`` replaces
        the network; ``connector`` replaces the pool's connections (tests).
        draft-cavage signatures are made by ``signing_workers`` processes
        (:class:`SigningPool`; by default one per core, up to 4, on the real
        network, else none)."""
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
        self._pool: KeepAlivePool | None = None
        if transport is None and (network_backend is None or connector is not None):
            self._pool = KeepAlivePool(
                ssl_context=httpx2.create_ssl_context(verify=verify, trust_env=False),
                keepalive_expiry=30.0, connect_timeout=timeout, connector=connector or loop_connector,
            )
        if signing_workers is None:
            signing_workers = _SIGNING_WORKERS if self._pool is not None else 0
        self.signing = SigningPool(signing_workers, start_after=_SIGNING_START_AFTER)
        if transport is None:
            backend = PinnedBackend(network_backend, require_pins=not allow_private_addresses)
            transport = PinnedTransport(backend, verify=verify, limits=limits)
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
        await self.signing.aclose()
        if self._pool is not None:
            await self._pool.aclose()
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

    async def _headers(
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
        if signer is None:
            return headers
        pem = signer.private_key_pem
        if scheme == "cavage" and self.signing.processes:
            draft = prepare_cavage(method, url, headers, content, signer.key_id, pem)
            headers.update(draft.finish(await self.signing.sign(pem, draft.data)))
            return headers
        sign = sign_cavage if scheme == "cavage" else sign_rfc9421
        headers.update(sign(method, url, headers, content, signer.key_id, pem))
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
    ) -> Reply:
        """Guard, sign and send one request; translate transport errors."""
        try:
            async with asyncio.timeout(self.timeout * _ATTEMPT_DEADLINE_FACTOR):
                pin = await resolve_pin(
                    url, allow_private_addresses=self.allow_private_addresses,
                    resolver=self.resolver,
                )
                headers = await self._headers(
                    method, url, accept=accept, content=content, signer=signer, scheme=scheme
                )
                if self._pool is not None and method == "POST" and content is not None:
                    pooled = await self._pooled(url, pin, headers, content)
                    if pooled is not None:
                        return pooled
                with pinned(pin):
                    async with self._http.stream(
                        method, url, headers=headers, content=content
                    ) as response:
                        ok = 200 <= response.status_code < 300
                        if full_body and ok:
                            body = await read_body(response, self.max_body, strict=True)
                        else:
                            body = await read_body(response, _EXCERPT_BYTES, strict=False)
                        return Reply(url, response.status_code, response.headers, body)
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

    async def _pooled(self, url: str, pin: Pin | None, headers: Mapping[str, str], content: bytes) -> Reply | None:
        """A POST through the keep-alive pool (None: a URL it does not send as it is, left to httpx2)."""
        assert self._pool is not None
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        if not sendable_target(target) or parts.scheme.lower() not in ("http", "https"):
            return None
        if pin is not None:
            host, port = pin.host, pin.port
        else:  # private addresses allowed (development, tests): the URL's own host
            host = (parts.hostname or "").lower()
            try:
                port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
            except ValueError:
                return None
        if not host or not host.isascii():
            return None
        answer = await self._pool.request(
            "POST", parts.scheme.lower(), host, port, target, list(headers.items()), content,
            addresses=pin.addresses if pin is not None else (host,), keep=_EXCERPT_BYTES, limit=self.max_body,
        )
        return Reply(url, answer.status, httpx2.Headers(answer.headers), answer.body)

    async def _knock(
        self,
        method: str,
        url: str,
        *,
        accept: str,
        content: bytes | None,
        signer: Signer | None,
        full_body: bool,
    ) -> tuple[Reply, Scheme]:
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

    async def _get(self, url: str, *, signer: Signer | None, accept: str) -> Reply:
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

    def _next_hop(self, current: str, reply: Reply) -> str:
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
        if media_type(content_type) not in JSON_CONTENT_TYPES:
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
        return content_type, decode(reply.body, content_type)

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
        excerpt = decode(reply.body, reply.headers.get("content-type", ""))[:_EXCERPT_CHARS]
        return PostResult(
            status=reply.status, headers=reply.headers, scheme=scheme, body_excerpt=excerpt
        )
