"""Rate limits per client IP and per remote host, answered with 429 and Retry-After.

Token buckets kept in memory, per process: a node run as several worker processes (several
`uvicorn --workers`, or several machines behind a load balancer) gives each process its own buckets,
so the effective limit is the configured one times the number of processes. The buckets cost a few
dozen bytes each and are bounded (`MAX_KEYS`, least recently used evicted first), so a flood of
distinct addresses cannot grow memory without end; evicting a bucket only forgives its past.

What is counted (the `[limits]` settings, per minute; 0 or less turns a limit off):
- `POST /login`: `login_per_ip_per_minute` per client IP;
- the inboxes (`/inbox`, `/actor/inbox`, `/users/<name>/inbox`): `inbox_per_ip_per_minute` per IP and
  `inbox_per_host_per_minute` per remote host, the host being read, without verifying anything, from
  the keyId of the `Signature` (draft-cavage) or `Signature-Input` (RFC 9421) header. A sender that
  names another server's key only spends that server's budget, which is why the IP is counted too;
- every other POST (forms: password reset requests, invitations, reports, event registrations that
  send email...): `forms_per_ip_per_minute` per IP.
GET and HEAD requests are not limited. The client IP is `scope["client"]`, already rewritten from
X-Forwarded-For by the trusted-proxy middleware that runs before this one."""

from __future__ import annotations

import math
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from node.core.settings import LimitSettings, Settings

MAX_KEYS = 50_000
WINDOW = 60.0  # the limits are per minute
_KEY_ID = re.compile(rb'keyid\s*=\s*"([^"]{1,2048})"', re.IGNORECASE)
_USER_INBOX = re.compile(r"^/users/[^/]+/inbox/?$")
INBOX_PATHS = frozenset({"/inbox", "/inbox/", "/actor/inbox", "/actor/inbox/"})


@dataclass
class _Bucket:
    tokens: float
    stamp: float


@dataclass(frozen=True)
class Charge:
    """One bucket a request draws a token from: its key and its per-minute limit."""

    key: tuple[str, str]
    per_minute: int
    reason: str


class Limiter:
    """Token buckets: each key holds up to `per_minute` tokens and regains them at `per_minute`/60 per
    second, so a burst of a whole minute's budget is allowed, then a steady rate."""

    def __init__(self, max_keys: int = MAX_KEYS, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: OrderedDict[tuple[str, str], _Bucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def _level(self, charge: Charge, now: float) -> float:
        bucket = self._buckets.get(charge.key)
        if bucket is None:
            return float(charge.per_minute)
        rate = charge.per_minute / WINDOW
        return min(float(charge.per_minute), bucket.tokens + (now - bucket.stamp) * rate)

    def take(self, charges: Sequence[Charge]) -> tuple[float, str] | None:
        """Take one token from every bucket, or from none: None when allowed, else (seconds to wait,
        the reason of the bucket that refused)."""
        now = self.clock()
        active = [c for c in charges if c.per_minute > 0]
        levels = [self._level(c, now) for c in active]
        refusals = [((1.0 - level) * WINDOW / c.per_minute, c.reason)
                    for c, level in zip(active, levels) if level < 1.0]
        if refusals:
            return max(refusals)
        for charge, level in zip(active, levels):
            self._buckets[charge.key] = _Bucket(level - 1.0, now)
            self._buckets.move_to_end(charge.key)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
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
    return [Charge(("forms", ip), limits.forms_per_ip_per_minute, "too many form submissions from your address")]


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings, limiter: Limiter | None = None) -> None:
        self.app = app
        self.settings = settings
        self.limiter = limiter or Limiter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        charges = charges_for(scope, self.settings.limits)
        refused = self.limiter.take(charges) if charges else None
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
