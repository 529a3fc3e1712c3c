"""Delivery policy: pure functions and value objects, no I/O.

The delivery worker (in ``node/``) asks this module what to do with the
result of a POST (:func:`classify_response`, :func:`classify_error`), when to
try again (:func:`retry_delay`), where to send (:func:`inbox_targets`) and
whether a host is worth contacting at all (:class:`HostHealth`).

Retry schedule
    ``base_delay(n) = min(RETRY_BASE * RETRY_FACTOR ** (n - 1), RETRY_STEP_CAP)``
    for ``n`` = 1 .. ``MAX_ATTEMPTS - 1`` failed attempts, i.e. 1 min, 3 min,
    9 min, 27 min, 81 min, 243 min, then 6 h per step. The 17 delays add up to
    about three days (259 440 s); after ``MAX_ATTEMPTS`` (18) failed attempts
    :func:`retry_delay` returns ``None`` and the delivery is abandoned.
    :func:`retry_delay` applies a ±``RETRY_JITTER`` (10 %) jitter and never
    returns more than ``RETRY_STEP_CAP``.

Host health rule
    A host is *dead* when it has had at least ``DEAD_AFTER_FAILURES`` (7)
    consecutive connection-level failures **and** the first of them is at
    least ``DEAD_AFTER_SECONDS`` (24 h) old. Any success resets the record.
    While a host is dead, deliveries to it should not be attempted, except one
    probe when :meth:`HostHealth.should_probe` says so; probes are spaced by
    ``PROBE_INTERVAL`` doubling per further failure, capped at
    ``PROBE_INTERVAL_MAX``.
"""

from __future__ import annotations

import enum
import hashlib
import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from email.utils import parsedate_to_datetime
from time import time as _wall_clock
from typing import Final
from urllib.parse import urlsplit

from federation.client import DestinationRefused, FetchError, NetworkFailure

__all__ = [
    "DEAD_AFTER_FAILURES",
    "DEAD_AFTER_SECONDS",
    "MAX_ATTEMPTS",
    "MAX_RETRY_AFTER",
    "PROBE_INTERVAL",
    "PROBE_INTERVAL_MAX",
    "RETRY_BASE",
    "RETRY_FACTOR",
    "RETRY_JITTER",
    "RETRY_STEP_CAP",
    "Classified",
    "HostHealth",
    "Outcome",
    "Recipient",
    "base_delay",
    "classify_error",
    "classify_response",
    "collection_synchronization_header",
    "followers_digest",
    "followers_for_host",
    "inbox_targets",
    "parse_retry_after",
    "retry_delay",
]

#: Retry-After values are capped at one day.
MAX_RETRY_AFTER: Final = 86_400.0

RETRY_BASE: Final = 60.0
RETRY_FACTOR: Final = 3.0
RETRY_STEP_CAP: Final = 6 * 3600.0
RETRY_JITTER: Final = 0.10
#: Total number of attempts (the first one plus MAX_ATTEMPTS - 1 retries).
MAX_ATTEMPTS: Final = 18

DEAD_AFTER_FAILURES: Final = 7
DEAD_AFTER_SECONDS: Final = 24 * 3600.0
PROBE_INTERVAL: Final = 3600.0
PROBE_INTERVAL_MAX: Final = 24 * 3600.0


class Outcome(enum.Enum):
    SENT = "sent"
    RETRY = "retry"
    PERMANENT = "permanent"


@dataclass(frozen=True)
class Classified:
    outcome: Outcome
    reason: str
    retry_after: float | None = None  # seconds, from Retry-After, capped at 1 day
    host_down: bool = False  # connection-level failure (counts toward host health)


# ---------------------------------------------------------------------------
# Classification
# ---------------------------------------------------------------------------


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive header lookup that works for plain dicts too."""
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    for key, item in headers.items():
        if key.lower() == lowered:
            return item
    return None


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or HTTP-date).

    Returns ``None`` when absent or unparseable; the result is clamped to
    ``[0, MAX_RETRY_AFTER]``.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isdigit():
        return min(float(text), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000" dates are naive; HTTP-dates are GMT
        return None
    current = _wall_clock() if now is None else now
    return max(0.0, min(when.timestamp() - current, MAX_RETRY_AFTER))


def classify_response(
    status: int, headers: Mapping[str, str], *, now: float | None = None
) -> Classified:
    """What a delivery POST's HTTP status means for the delivery job."""
    if 200 <= status < 300:
        return Classified(Outcome.SENT, f"HTTP {status}")
    if 300 <= status < 400:
        return Classified(Outcome.PERMANENT, f"redirect refused (HTTP {status})")
    if status in (429, 503):
        retry_after = parse_retry_after(_header(headers, "Retry-After"), now=now)
        return Classified(Outcome.RETRY, f"HTTP {status}", retry_after=retry_after)
    if status == 408 or 500 <= status < 600:
        return Classified(Outcome.RETRY, f"HTTP {status}")
    if status in (404, 410):
        return Classified(Outcome.PERMANENT, f"gone (HTTP {status})")
    if 400 <= status < 500:
        return Classified(Outcome.PERMANENT, f"rejected (HTTP {status})")
    return Classified(Outcome.RETRY, f"unexpected HTTP status {status}")


def classify_error(error: Exception) -> Classified:
    """What an exception raised by ``FederationClient.post_activity`` means.

    * :class:`DestinationRefused` (SSRF guard, bad URL) -> PERMANENT;
    * :class:`NetworkFailure` (DNS, connect, TLS, timeout) -> RETRY, host_down;
    * a :class:`FetchError` carrying a status -> as :func:`classify_response`;
    * anything else -> RETRY (not counted against the host).
    """
    reason = str(error) or type(error).__name__
    if isinstance(error, DestinationRefused):
        return Classified(Outcome.PERMANENT, reason)
    if isinstance(error, NetworkFailure):
        return Classified(Outcome.RETRY, reason, host_down=True)
    if isinstance(error, FetchError) and error.status is not None:
        return replace(classify_response(error.status, {}), reason=reason)
    if isinstance(error, (TimeoutError, ConnectionError)):
        return Classified(Outcome.RETRY, reason, host_down=True)
    return Classified(Outcome.RETRY, f"{type(error).__name__}: {reason}")


# ---------------------------------------------------------------------------
# Retry schedule
# ---------------------------------------------------------------------------


def base_delay(attempt: int) -> float | None:
    """The deterministic delay after ``attempt`` failed attempts (1-based)."""
    if attempt < 1:
        raise ValueError("attempt is 1-based")
    if attempt >= MAX_ATTEMPTS:
        return None
    return min(RETRY_BASE * RETRY_FACTOR ** (attempt - 1), RETRY_STEP_CAP)


def retry_delay(attempt: int, *, rand: Callable[[], float] = random.random) -> float | None:
    """Seconds to wait before the next attempt, or ``None`` when exhausted.

    ``attempt`` is the number of failed attempts so far (1-based). The result
    is ``base_delay(attempt)`` scaled by a factor in
    ``[1 - RETRY_JITTER, 1 + RETRY_JITTER)`` (``rand() == 0.5`` gives exactly
    the base delay), and never exceeds ``RETRY_STEP_CAP``.
    """
    base = base_delay(attempt)
    if base is None:
        return None
    factor = 1.0 + RETRY_JITTER * (2.0 * rand() - 1.0)
    return min(base * factor, RETRY_STEP_CAP)


# ---------------------------------------------------------------------------
# Targets
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    inbox: str
    shared_inbox: str | None = None


def inbox_targets(recipients: Iterable[Recipient]) -> list[str]:
    """Inbox URLs to POST to: the shared inbox when known, else the personal
    inbox; first-seen order, without duplicates."""
    seen: dict[str, None] = {}
    for recipient in recipients:
        target = recipient.shared_inbox or recipient.inbox
        if target:
            seen.setdefault(target, None)
    return list(seen)


# ---------------------------------------------------------------------------
# Host health
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class HostHealth:
    """Consecutive connection-level failures of one host (see module doc)."""

    failures: int = 0
    first_failure_at: float | None = None
    next_probe_at: float | None = None

    def record_failure(self, now: float) -> HostHealth:
        failures = self.failures + 1
        first = self.first_failure_at if self.first_failure_at is not None else now
        extra = max(0, failures - DEAD_AFTER_FAILURES)
        interval = min(PROBE_INTERVAL * 2.0 ** min(extra, 32), PROBE_INTERVAL_MAX)
        return HostHealth(failures=failures, first_failure_at=first, next_probe_at=now + interval)

    def record_success(self) -> HostHealth:
        return HostHealth()

    def is_dead(self, now: float) -> bool:
        return (
            self.failures >= DEAD_AFTER_FAILURES
            and self.first_failure_at is not None
            and now - self.first_failure_at >= DEAD_AFTER_SECONDS
        )

    def should_probe(self, now: float) -> bool:
        """Whether a dead host is due for one probing delivery attempt."""
        return self.is_dead(now) and (self.next_probe_at is None or now >= self.next_probe_at)

    def may_deliver(self, now: float) -> bool:
        """Alive, or dead but due for a probe."""
        return not self.is_dead(now) or self.should_probe(now)


# ---------------------------------------------------------------------------
# FEP-8fcf followers collection synchronisation
# ---------------------------------------------------------------------------


def followers_digest(follower_ids: Iterable[str]) -> str:
    """FEP-8fcf digest: hex of the XOR of the SHA-256 of each (distinct) id.

    Ids are treated as a set (duplicates counted once); the empty set gives
    64 zeros.
    """
    acc = 0
    for follower_id in set(follower_ids):
        acc ^= int.from_bytes(hashlib.sha256(follower_id.encode("utf-8")).digest(), "big")
    return acc.to_bytes(32, "big").hex()


def followers_for_host(follower_ids: Iterable[str], host: str) -> list[str]:
    """The follower ids whose authority (host[:port]) is ``host`` (FEP-8fcf
    partial collection for one receiving instance); sorted."""
    wanted = host.lower()
    return sorted({fid for fid in follower_ids if urlsplit(fid).netloc.lower() == wanted})


def collection_synchronization_header(collection_id: str, url: str, digest: str) -> str:
    """Value of the FEP-8fcf ``Collection-Synchronization`` request header."""
    for value in (collection_id, url, digest):
        if '"' in value or "\\" in value:
            raise ValueError("value cannot be used in a quoted header parameter")
    return f'collectionId="{collection_id}", url="{url}", digest="{digest}"'
