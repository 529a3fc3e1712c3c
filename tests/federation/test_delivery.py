"""Tests for federation.delivery (pure policy)."""

from __future__ import annotations

import hashlib
from email.utils import formatdate

import pytest

from federation.client import DestinationRefused, FetchError, NetworkFailure
from federation.delivery import (
    DEAD_AFTER_FAILURES,
    DEAD_AFTER_SECONDS,
    MAX_ATTEMPTS,
    RETRY_JITTER,
    RETRY_STEP_CAP,
    Classified,
    HostHealth,
    Outcome,
    Recipient,
    base_delay,
    classify_error,
    classify_response,
    collection_synchronization_header,
    followers_digest,
    followers_for_host,
    inbox_targets,
    retry_delay,
)

NOW = 1_700_000_000.0
DAY = 86_400.0


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, Outcome.SENT),
        (201, Outcome.SENT),
        (202, Outcome.SENT),
        (204, Outcome.SENT),
        (301, Outcome.PERMANENT),
        (302, Outcome.PERMANENT),
        (308, Outcome.PERMANENT),
        (400, Outcome.PERMANENT),
        (401, Outcome.PERMANENT),
        (403, Outcome.PERMANENT),
        (404, Outcome.PERMANENT),
        (410, Outcome.PERMANENT),
        (422, Outcome.PERMANENT),
        (408, Outcome.RETRY),
        (429, Outcome.RETRY),
        (500, Outcome.RETRY),
        (502, Outcome.RETRY),
        (503, Outcome.RETRY),
        (504, Outcome.RETRY),
    ],
)
def test_classify_response_table(status: int, outcome: Outcome) -> None:
    result = classify_response(status, {})
    assert result.outcome is outcome
    assert not result.host_down
    assert result.retry_after is None


def test_redirect_reason() -> None:
    assert "redirect refused" in classify_response(302, {"Location": "x"}).reason


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_seconds(status: int) -> None:
    assert classify_response(status, {"Retry-After": "120"}).retry_after == 120.0
    assert classify_response(status, {"retry-after": "120"}).retry_after == 120.0


def test_retry_after_http_date() -> None:
    header = formatdate(NOW + 300, usegmt=True)
    result = classify_response(429, {"Retry-After": header}, now=NOW)
    assert result.retry_after == pytest.approx(300.0)


def test_retry_after_capped_and_clamped() -> None:
    assert classify_response(503, {"Retry-After": "9999999"}).retry_after == DAY
    far = formatdate(NOW + 10 * DAY, usegmt=True)
    assert classify_response(503, {"Retry-After": far}, now=NOW).retry_after == DAY
    past = formatdate(NOW - 60, usegmt=True)
    assert classify_response(503, {"Retry-After": past}, now=NOW).retry_after == 0.0


def test_retry_after_ignored_when_invalid_or_other_status() -> None:
    assert classify_response(429, {"Retry-After": "soon"}).retry_after is None
    assert classify_response(429, {"Retry-After": "-5"}).retry_after is None
    assert classify_response(500, {"Retry-After": "60"}).retry_after is None


def test_classify_error() -> None:
    assert classify_error(NetworkFailure("timeout: x")) == Classified(
        Outcome.RETRY, "timeout: x", host_down=True
    )
    refused = classify_error(DestinationRefused("private address refused: 10.0.0.1"))
    assert refused.outcome is Outcome.PERMANENT and not refused.host_down
    gone = classify_error(FetchError("HTTP 410", 410))
    assert gone.outcome is Outcome.PERMANENT
    assert classify_error(FetchError("HTTP 502", 502)).outcome is Outcome.RETRY
    other = classify_error(RuntimeError("boom"))
    assert other.outcome is Outcome.RETRY and not other.host_down
    assert classify_error(ConnectionResetError()).host_down


# ---------------------------------------------------------------------------
# Retry schedule
# ---------------------------------------------------------------------------


def test_retry_total_is_about_three_days() -> None:
    delays = [retry_delay(n, rand=lambda: 0.5) for n in range(1, MAX_ATTEMPTS)]
    assert all(d is not None for d in delays)
    total = sum(d for d in delays if d is not None)
    assert 2.5 * DAY <= total <= 3.5 * DAY
    assert delays == [base_delay(n) for n in range(1, MAX_ATTEMPTS)]


def test_retry_delay_grows_and_is_capped() -> None:
    delays = [base_delay(n) for n in range(1, MAX_ATTEMPTS)]
    values = [d for d in delays if d is not None]
    assert values == sorted(values)
    assert values[0] <= 120
    assert max(values) == RETRY_STEP_CAP


def test_retry_delay_none_when_exhausted() -> None:
    assert retry_delay(MAX_ATTEMPTS - 1) is not None
    assert retry_delay(MAX_ATTEMPTS) is None
    assert retry_delay(MAX_ATTEMPTS + 5) is None
    with pytest.raises(ValueError):
        retry_delay(0)


@pytest.mark.parametrize("attempt", [1, 2, 5, 10, MAX_ATTEMPTS - 1])
def test_retry_jitter_within_bounds(attempt: int) -> None:
    base = base_delay(attempt)
    assert base is not None
    low = retry_delay(attempt, rand=lambda: 0.0)
    high = retry_delay(attempt, rand=lambda: 0.999999)
    assert low is not None and high is not None
    assert low == pytest.approx(base * (1 - RETRY_JITTER))
    assert base * (1 - RETRY_JITTER) <= high <= min(base * (1 + RETRY_JITTER), RETRY_STEP_CAP)
    for _ in range(200):
        value = retry_delay(attempt)
        assert value is not None
        assert base * (1 - RETRY_JITTER) <= value <= min(base * (1 + RETRY_JITTER), RETRY_STEP_CAP)


# ---------------------------------------------------------------------------
# Targets
# ---------------------------------------------------------------------------


def test_inbox_targets_dedupe_shared_inbox() -> None:
    recipients = [
        Recipient("https://a.example/users/1/inbox", "https://a.example/inbox"),
        Recipient("https://b.example/users/x/inbox"),
        Recipient("https://a.example/users/2/inbox", "https://a.example/inbox"),
        Recipient("https://c.example/u/inbox", "https://c.example/shared"),
        Recipient("https://b.example/users/x/inbox"),
        Recipient("https://b.example/users/y/inbox", None),
    ]
    assert inbox_targets(recipients) == [
        "https://a.example/inbox",
        "https://b.example/users/x/inbox",
        "https://c.example/shared",
        "https://b.example/users/y/inbox",
    ]
    assert inbox_targets([]) == []


# ---------------------------------------------------------------------------
# Host health
# ---------------------------------------------------------------------------


def test_host_health_transitions() -> None:
    health = HostHealth()
    assert not health.is_dead(NOW) and not health.should_probe(NOW) and health.may_deliver(NOW)

    for i in range(DEAD_AFTER_FAILURES):
        health = health.record_failure(NOW + i * 3600)
    assert health.failures == DEAD_AFTER_FAILURES
    assert health.first_failure_at == NOW
    # Enough failures, but the first one is not yet old enough.
    assert not health.is_dead(NOW + DEAD_AFTER_SECONDS - 1)
    assert health.is_dead(NOW + DEAD_AFTER_SECONDS)

    # Dead: probe only when the probe time has come.
    assert health.next_probe_at is not None
    later = max(NOW + DEAD_AFTER_SECONDS, health.next_probe_at)
    assert health.should_probe(later)
    probed = health.record_failure(later)
    assert probed.is_dead(later)
    assert probed.next_probe_at is not None and probed.next_probe_at > later
    assert not probed.should_probe(later + 1)
    assert not probed.may_deliver(later + 1)
    assert probed.should_probe(probed.next_probe_at)

    revived = probed.record_success()
    assert revived == HostHealth()
    assert not revived.is_dead(later + 10 * DAY)


def test_host_health_few_failures_over_long_time_not_dead() -> None:
    health = HostHealth()
    for i in range(DEAD_AFTER_FAILURES - 1):
        health = health.record_failure(NOW + i * DAY)
    assert not health.is_dead(NOW + 30 * DAY)


def test_host_health_probe_interval_grows_and_is_capped() -> None:
    health = HostHealth()
    intervals = []
    t = NOW
    for _ in range(DEAD_AFTER_FAILURES + 10):
        health = health.record_failure(t)
        assert health.next_probe_at is not None
        intervals.append(health.next_probe_at - t)
        t += 3600
    assert intervals == sorted(intervals)
    assert intervals[-1] == DAY


# ---------------------------------------------------------------------------
# FEP-8fcf
# ---------------------------------------------------------------------------


def test_followers_digest_known_value() -> None:
    ids = ["https://a.example/users/1", "https://a.example/users/2", "https://b.example/u/3"]
    acc = bytes(32)
    for follower in ids:
        digest = hashlib.sha256(follower.encode()).digest()
        acc = bytes(x ^ y for x, y in zip(acc, digest))
    expected = acc.hex()
    assert followers_digest(ids) == expected
    assert followers_digest(reversed(ids)) == expected
    assert followers_digest(ids + ids[:1]) == expected  # a set: duplicates count once
    assert followers_digest([]) == "0" * 64
    one = hashlib.sha256(ids[0].encode()).hexdigest()
    assert followers_digest(ids[:1]) == one


def test_followers_for_host_and_header() -> None:
    ids = ["https://a.example/users/1", "https://b.example/u/3", "https://a.example/users/0"]
    assert followers_for_host(ids, "a.example") == [
        "https://a.example/users/0",
        "https://a.example/users/1",
    ]
    header = collection_synchronization_header(
        "https://me.example/users/x/followers",
        "https://me.example/users/x/followers_synchronization",
        "ab" * 32,
    )
    assert header.startswith('collectionId="https://me.example/users/x/followers", url="')
    with pytest.raises(ValueError):
        collection_synchronization_header('x"', "y", "z")
