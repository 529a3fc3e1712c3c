"""The login lock-out, in two layers, so that nobody can keep a member locked out from afar (the way
Django Axes and Mastodon count):

- fast, per (account, client address): after `limits.lockout_after_failures` consecutive wrong
  passwords from one address, that address is locked out of that account for
  `limits.lockout_base_seconds`, the lock doubling with each further failure, up to a day. The owner,
  elsewhere, is not concerned (`LoginFailure` rows);
- slow, per account: `limits.lockout_account_failures` wrong passwords from any addresses within
  `limits.lockout_account_seconds` lock the account for everyone for as long (`User.failed_logins`,
  `failures_since`, `locked_until`). It takes many addresses to reach it, since each one is slowed
  down by its own lock.

During a lock even the right password is refused, and attempts during a lock count for nothing. A
password reset link still signs the member in, and a new password (`clear_lockout`) lifts every lock;
a successful login clears its address's count and the account's. Names that are no account are counted
the same way in the counter store that every process of the node shares (node/core/counters.py: memory
for one process, Redis with `[limits] storage_url`), so the answers never tell whether an account exists,
whichever process answers. An IPv6 address counts by its /64, the block one host usually holds.

The rules are pure functions over `Count` values; the database and the counter store only load and
store them."""

from __future__ import annotations

import asyncio
import ipaddress
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from limits.aio.storage import Storage
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from node.accounts.models import LoginFailure
from node.core.counters import Outage, StorageError, open_storage, storage_uri
from node.core.models import User
from node.core.settings import LimitSettings

MAX_LOCK = timedelta(hours=24)
PRUNE_AFTER = timedelta(hours=24)  # a (account, address) count untouched this long is forgotten
MAX_ADDRESS = 64
_stores: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Any]] = weakref.WeakKeyDictionary()
_outage = Outage("login lock-out of unknown names")


@dataclass
class Count:
    """Failures and the lock they caused: for one (account, address), or for one account (then
    `since` starts the window the failures are counted in)."""

    failures: int = 0
    locked_until: datetime | None = None
    since: datetime | None = None


def client_address(host: str | None) -> str:
    """The address a login is counted under: the IP as given, an IPv6 address by its /64."""
    if not host:
        return ""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host[:MAX_ADDRESS]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{ip}/64", strict=False))
    return str(ip)


def utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def lock_duration(failures: int, limits: LimitSettings) -> timedelta | None:
    """How long an (account, address) is locked after `failures` consecutive failures (None: not)."""
    threshold = max(1, limits.lockout_after_failures)
    if failures < threshold or limits.lockout_base_seconds <= 0:
        return None
    doublings = min(failures - threshold, 32)
    return min(timedelta(seconds=limits.lockout_base_seconds * 2**doublings), MAX_LOCK)


def account_window(limits: LimitSettings) -> timedelta | None:
    """The window (and the lock) of the per-account limit; None when it is off."""
    if limits.lockout_account_failures <= 0 or limits.lockout_account_seconds <= 0:
        return None
    return timedelta(seconds=limits.lockout_account_seconds)


def active_lock(now: datetime, *counts: Count | None) -> datetime | None:
    """The latest lock still running among these counts."""
    running = [until for c in counts if c is not None and (until := utc(c.locked_until)) is not None and until > now]
    return max(running, default=None)


def count_pair_failure(pair: Count, now: datetime, limits: LimitSettings) -> Count:
    """One more consecutive failure from an address; locked when the threshold is reached."""
    duration = lock_duration(pair.failures + 1, limits)
    return Count(failures=pair.failures + 1, locked_until=now + duration if duration else None)


def count_account_failure(account: Count, now: datetime, limits: LimitSettings) -> Count:
    """One more failure against the account, in its window (a new window when the last one is over)."""
    window = account_window(limits)
    since = utc(account.since)
    if window is None:
        return Count(failures=account.failures + 1, since=since or now)
    if since is None or now - since >= window:
        account = Count(failures=0, since=now)
        since = now
    failures = account.failures + 1
    locked = now + window if failures >= limits.lockout_account_failures else None
    return Count(failures=failures, locked_until=locked, since=since)


def phantom_store(state: dict[str, Any] | None, limits: LimitSettings) -> Storage:
    """The counter store of names that are no account: kept in `state` (the node's `extra`, so that
    several nodes in one process keep theirs apart), else one per event loop."""
    if state is None:
        state = _stores.setdefault(asyncio.get_running_loop(), {})
    name = f"lockout.store:{storage_uri(limits)}:{limits.key_prefix}"
    store = state.get(name)
    if store is None:
        store = state[name] = open_storage(limits)
    return store


def _stamp(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _moment(stamp: int) -> datetime | None:
    return datetime.fromtimestamp(stamp / 1000, timezone.utc) if stamp > 0 else None


async def _lock_of(store: Storage, name: str, count: int) -> datetime | None:
    """The lock set when a counter reached `count` (its end is the value; it expires with the lock)."""
    return _moment(await store.get(f"{name}:lock:{count}")) if count > 0 else None


async def _set_lock(store: Storage, name: str, count: int, until: datetime, now: datetime) -> None:
    """Each count has its own lock key, so two failures counted at once never add their stamps."""
    seconds = max(1, int((until - now).total_seconds()) + 1)
    await store.incr(f"{name}:lock:{count}", seconds, amount=_stamp(until))


async def _phantom_count(store: Storage, name: str, address: str, now: datetime,
                         limits: LimitSettings) -> datetime | None:
    pair_key, account_key = f"lockout:pair:{name}:{address}", f"lockout:account:{name}"
    pair_failures, account_failures = await store.get(pair_key), await store.get(account_key)
    locked = active_lock(now, Count(locked_until=await _lock_of(store, pair_key, pair_failures)),
                         Count(locked_until=await _lock_of(store, account_key, account_failures)))
    if locked is not None:
        return locked  # attempts during a lock count for nothing
    failures = await store.incr(pair_key, int(PRUNE_AFTER.total_seconds()))
    pair = count_pair_failure(Count(failures=failures - 1), now, limits)
    if pair.locked_until is not None:
        await _set_lock(store, pair_key, failures, pair.locked_until, now)
    account = Count()
    window = account_window(limits)
    if window is not None:  # a window starts at its first failure and ends with the key
        counted = await store.incr(account_key, int(window.total_seconds()))
        if counted >= limits.lockout_account_failures:
            account = Count(failures=counted, locked_until=now + window)
            await _set_lock(store, account_key, counted, now + window, now)
    return active_lock(now, pair, account)


async def phantom_attempt(store: Storage, name: str, address: str, now: datetime, limits: LimitSettings) -> datetime | None:
    """A login naming no account, counted like a wrong password for a real one: the lock, if any.
    While the store does not answer, nothing is counted (and the outage is logged once)."""
    try:
        locked = await _phantom_count(store, name, address, now, limits)
    except StorageError as exc:
        _outage.failed(exc)
        return None
    _outage.ok()
    return locked


async def current_lock(user: User, address: str, now: datetime) -> datetime | None:
    """When logging in to this account from this address is locked, until when."""
    pair = await LoginFailure.get_or_none(user_id=user.id, address=address)
    account = Count(failures=user.failed_logins, locked_until=user.locked_until)
    return active_lock(now, account, Count(pair.failures, pair.locked_until) if pair else None)


async def _pair_row(user: User, address: str, now: datetime) -> LoginFailure:
    await LoginFailure.filter(user_id=user.id, updated_at__lt=now - PRUNE_AFTER).delete()
    try:
        row, _ = await LoginFailure.get_or_create(user_id=user.id, address=address)
    except IntegrityError:  # created at the same moment by a concurrent failure
        row = await LoginFailure.get(user_id=user.id, address=address)
    return row


async def _count_pair(user: User, address: str, now: datetime, limits: LimitSettings) -> Count:
    row = await _pair_row(user, address, now)
    await LoginFailure.filter(id=row.id).update(failures=F("failures") + 1, updated_at=now)  # all count
    await row.refresh_from_db(fields=["failures"])
    duration = lock_duration(row.failures, limits)
    until = now + duration if duration else None
    await LoginFailure.filter(id=row.id).update(locked_until=until)
    return Count(failures=row.failures, locked_until=until)


async def _count_account(user: User, now: datetime, limits: LimitSettings) -> Count:
    window = account_window(limits)
    if window is None:
        await User.filter(id=user.id).update(failed_logins=F("failed_logins") + 1)
    elif not await User.filter(id=user.id, failures_since__gt=now - window).update(failed_logins=F("failed_logins") + 1):
        await User.filter(id=user.id).update(failed_logins=1, failures_since=now)  # a new window
    await user.refresh_from_db(fields=["failed_logins", "failures_since"])
    if window is None or user.failed_logins < limits.lockout_account_failures:
        return Count(failures=user.failed_logins, since=user.failures_since)
    until = now + window
    await User.filter(id=user.id).update(locked_until=until)
    return Count(failures=user.failed_logins, locked_until=until, since=user.failures_since)


async def count_failure(user: User, address: str, now: datetime, limits: LimitSettings) -> datetime | None:
    """A wrong password for a real account from an address: counted in both layers; the lock, if any."""
    pair = await _count_pair(user, address, now, limits)
    account = await _count_account(user, now, limits)
    return active_lock(now, pair, account)


async def clear_address(user: User, address: str) -> None:
    """A successful login from an address: its count and the account's start again."""
    await LoginFailure.filter(user_id=user.id, address=address).delete()
    await User.filter(id=user.id).update(failed_logins=0, failures_since=None, locked_until=None)


async def clear_lockout(user: User) -> None:
    """Forget every failed login and lift every lock of the account (a new password, an admin)."""
    await LoginFailure.filter(user_id=user.id).delete()
    user.failed_logins = 0
    user.failures_since = None
    user.locked_until = None
    await user.save(update_fields=["failed_logins", "failures_since", "locked_until"])
