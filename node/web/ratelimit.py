"""Rate limits per client IP and per remote host, answered with 429 and Retry-After.

The counters are the `limits` package's sliding window counters, kept in the store of
node/core/counters.py: this process's memory by default, or Redis when `[limits] storage_url` names
one, so that several `agora serve` processes (several machines behind a load balancer too) count
together and a limit holds for the node as a whole. A window counts at most `per_minute` requests in
the current minute plus the previous minute's count weighed by how much of it still lies in the last
60 s: a burst of a minute's budget is allowed, then about `per_minute`/60 a second. Counters expire
with their window, so memory (or Redis) holds only what the last two minutes counted.

What is counted (the `[limits]` settings, per minute; 0 or less turns a limit off):
- `POST /login`: `login_per_ip_per_minute` per client IP;
- the inboxes (`/inbox`, `/actor/inbox`, `/users/<name>/inbox`): `inbox_per_ip_per_minute` per IP and
  `inbox_per_host_per_minute` per remote host, the host being read, without verifying anything, from
  the keyId of the `Signature` (draft-cavage) or `Signature-Input` (RFC 9421) header. A sender that
  names another server's key only spends that server's budget, which is why the IP is counted too;
- one-click unsubscribes (`/mail/unsubscribe/<token>`, RFC 8058: the mailbox provider posts them, from
  a few addresses for all its users) and the mail relay's webhook (`/mail/webhook`): the inboxes'
  `inbox_per_ip_per_minute` per IP, since the few senders speak for many people;
- every other POST (forms: password reset requests, invitations, reports, event registrations that
  send email...): `forms_per_ip_per_minute` per IP.
GET and HEAD requests are not limited. The client IP is `scope["client"]`, already rewritten from
X-Forwarded-For by the trusted-proxy middleware that runs before this one. When the store does not
answer (Redis down), requests are let through and the outage is logged once."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from node.core.counters import Outage, StorageError, open_storage
from node.core.settings import LimitSettings, Settings

WINDOW = 60  # the limits are per minute
_KEY_ID = re.compile(rb'keyid\s*=\s*"([^"]{1,2048})"', re.IGNORECASE)
_USER_INBOX = re.compile(r"^/users/[^/]+/inbox/?$")
INBOX_PATHS = frozenset({"/inbox", "/inbox/", "/actor/inbox", "/actor/inbox/"})


@dataclass(frozen=True)
class Charge:
    """One counter a request adds to: its key, its per-minute limit and the reason given when full."""

    key: tuple[str, str]
    per_minute: int
    reason: str


def wait_seconds(limit: int, window: float, previous: int, previous_ttl: float, current: int,
                 current_ttl: float) -> float:
    """Seconds until a sliding window counter takes one more hit (0: now). `previous_ttl` is what is
    left of the current window (the previous window's weight), `current_ttl` that plus one window (as
    `limits` reports them)."""
    if current >= limit:  # wait for the window to turn, then for the count to weigh less than the limit
        return max(current_ttl - window, 0.0) + window * max(0.0, 1.0 - limit / current)
    if previous <= 0:
        return 0.0
    return max(0.0, previous_ttl - (limit - current) * window / previous)


class Limiter:
    """Sliding window counters over a `limits` storage, several taken all or nothing."""

    def __init__(self, storage: Storage | None = None, window: int = WINDOW) -> None:
        self.storage = storage if storage is not None else open_storage(LimitSettings())
        self.strategy = SlidingWindowCounterRateLimiter(self.storage)
        self.window = window
        self.outage = Outage("rate limits")

    def _item(self, charge: Charge) -> RateLimitItem:
        return RateLimitItemPerSecond(charge.per_minute, self.window)

    async def _wait(self, charge: Charge) -> float:
        item = self._item(charge)
        window = await self.storage.get_sliding_window(item.key_for(*charge.key), item.get_expiry())  # type: ignore[attr-defined]
        return wait_seconds(charge.per_minute, self.window, *window)

    async def take(self, charges: Sequence[Charge]) -> tuple[float, str] | None:
        """Count the request in every counter, or in none: None when allowed, else (seconds to wait, the
        reason of the counter that refused)."""
        active = [c for c in charges if c.per_minute > 0]
        if not active:
            return None
        try:
            return await self._take(active)
        except StorageError as exc:
            self.outage.failed(exc)
            return None

    async def _take(self, active: list[Charge]) -> tuple[float, str] | None:
        if len(active) > 1:  # look first, so that a refused request spends nothing
            full = [c for c in active if not await self.strategy.test(self._item(c), *c.key)]
            if full:
                return max([(await self._wait(c), c.reason) for c in full])
        for charge in active:
            if not await self.strategy.hit(self._item(charge), *charge.key):
                return await self._wait(charge), charge.reason
        self.outage.ok()
        return None


def key_host(headers: Sequence[tuple[bytes, bytes]]) -> str | None:
    """The host named by the keyId of a Signature or Signature-Input header (not verified)."""
    for name, value in headers:
        if name.lower() in (b"signature", b"signature-input"):
            match = _KEY_ID.search(value)
            if match:
                try:
                    host = urlsplit(match.group(1).decode("latin-1")).hostname
                except ValueError:
                    return None
                return host[:253] if host else None
    return None


MAIL_SERVICE_PATHS = ("/mail/unsubscribe/", "/mail/webhook")


def is_inbox(path: str) -> bool:
    return path in INBOX_PATHS or _USER_INBOX.match(path) is not None


def charges_for(scope: Scope, limits: LimitSettings) -> list[Charge]:
    """The buckets a request draws from (none for GET and other safe methods)."""
    if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
        return []
    client = scope.get("client")
    ip = str(client[0]) if client else "unknown"
    path: str = scope["path"]
    if path in ("/login", "/login/"):
        return [Charge(("login", ip), limits.login_per_ip_per_minute, "too many login attempts from your address")]
    if is_inbox(path):
        charges = [Charge(("inbox-ip", ip), limits.inbox_per_ip_per_minute, "too many deliveries from this address")]
        host = key_host(scope["headers"])
        if host:
            charges.append(Charge(("inbox-host", host), limits.inbox_per_host_per_minute,
                                  f"too many deliveries from {host}"))
        return charges
    if path.startswith(MAIL_SERVICE_PATHS):
        return [Charge(("mail-ip", ip), limits.inbox_per_ip_per_minute, "too many requests from your address")]
    return [Charge(("forms", ip), limits.forms_per_ip_per_minute, "too many form submissions from your address")]


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings, limiter: Limiter | None = None) -> None:
        self.app = app
        self.settings = settings
        self.limiter = limiter or Limiter(open_storage(settings.limits))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        charges = charges_for(scope, self.settings.limits)
        refused = await self.limiter.take(charges) if charges else None
        if refused is None:
            await self.app(scope, receive, send)
            return
        wait, reason = refused
        seconds = max(1, math.ceil(wait))
        response = PlainTextResponse(
            f"Too many requests: {reason}. Try again in {seconds} seconds.\n", status_code=429,
            headers={"Retry-After": str(seconds), "Cache-Control": "no-store"},
        )
        await response(scope, receive, send)
