"""Member passwords: argon2id hashes, generated passwords, and the login lockout (no request needed;
the session and CSRF side of logging in is node/web/auth.py).

Lockout: after `limits.lockout_after_failures` consecutive wrong passwords an account is locked for
`limits.lockout_base_seconds`, the lock doubling with each further failure, up to a day. During a lock
even the right password is refused. Logins that name no account are counted the same way (in memory,
per process), so that the answers never tell whether an account exists. A successful login, a password
reset (`clear_lockout`) or an admin re-enabling the account clears the count."""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from tortoise.expressions import F

from node.core.models import User
from node.core.settings import LimitSettings

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
_dummy: list[str] = []
MAX_LOCK = timedelta(hours=24)
_MAX_PHANTOMS = 10_000


@dataclass
class _Phantom:
    """Failed logins for a name that is no account (kept in memory, bounded)."""

    failures: int = 0
    locked_until: datetime | None = None


_phantoms: OrderedDict[str, _Phantom] = OrderedDict()


@dataclass(frozen=True)
class LoginAttempt:
    """The outcome of a login: `user` when it succeeded; otherwise `locked_until` when the login is
    locked (whether or not the account exists), or `disabled` when the right password was given for an
    account an admin disabled."""

    user: User | None
    locked_until: datetime | None = None
    disabled: bool = False


def _dummy_hash() -> str:
    """A real hash to verify against when the account does not exist, so timing does not reveal
    accounts. Made on first use: hashing costs 64 MiB and 70 ms, not worth paying at start-up."""
    if not _dummy:
        _dummy.append(_hasher.hash(secrets.token_urlsafe(16)))
    return _dummy[0]


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(user: User | None, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash if user else _dummy_hash(), password) and user is not None
    except (VerificationError, InvalidHashError):
        return False


def new_password() -> str:
    return secrets.token_urlsafe(12)


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def lock_duration(failures: int, limits: LimitSettings) -> timedelta | None:
    """How long a login is locked after `failures` consecutive failures (None: not locked)."""
    threshold = max(1, limits.lockout_after_failures)
    if failures < threshold or limits.lockout_base_seconds <= 0:
        return None
    doublings = min(failures - threshold, 32)
    return min(timedelta(seconds=limits.lockout_base_seconds * 2**doublings), MAX_LOCK)


async def _find(login: str) -> User | None:
    login = login.strip()
    if not login or len(login) > 320:
        return None
    return await User.get_or_none(email=login.lower()) or await User.get_or_none(username=login)


def _phantom_attempt(
    phantoms: OrderedDict[str, _Phantom], key: str, now: datetime, limits: LimitSettings
) -> LoginAttempt:
    """A login naming no account: counted like a real one, so the answers are the same."""
    phantom = phantoms.pop(key, None) or _Phantom()
    phantoms[key] = phantom
    while len(phantoms) > _MAX_PHANTOMS:
        phantoms.popitem(last=False)
    if phantom.locked_until is not None and phantom.locked_until > now:
        return LoginAttempt(None, locked_until=phantom.locked_until)
    phantom.failures += 1
    duration = lock_duration(phantom.failures, limits)
    phantom.locked_until = now + duration if duration else None
    return LoginAttempt(None, locked_until=phantom.locked_until)


async def login_attempt(
    login: str, password: str, limits: LimitSettings, state: dict[str, Any] | None = None
) -> LoginAttempt:
    """Check a login and count it for the lockout. The password hash is always verified (against a
    dummy hash for unknown accounts) so that timing tells nothing either. `state` (the node's `extra`)
    holds the counts of unknown names, so that several nodes in one process keep theirs apart."""
    now = datetime.now(timezone.utc)
    user = await _find(login)
    right = check_password(user, password)
    if user is None:
        phantoms = _phantoms if state is None else state.setdefault("auth.login_phantoms", OrderedDict())
        return _phantom_attempt(phantoms, login.strip().lower()[:320], now, limits)
    locked_until = _utc(user.locked_until)
    if locked_until is not None and locked_until > now:
        return LoginAttempt(None, locked_until=locked_until)
    if not right:
        await User.filter(id=user.id).update(failed_logins=F("failed_logins") + 1)
        await user.refresh_from_db(fields=["failed_logins"])
        duration = lock_duration(user.failed_logins, limits)
        if duration is None:
            return LoginAttempt(None)
        until = now + duration
        await User.filter(id=user.id).update(locked_until=until)
        return LoginAttempt(None, locked_until=until)
    if user.disabled:
        return LoginAttempt(None, disabled=True)
    user.last_login_at = now
    user.failed_logins = 0
    user.locked_until = None
    await user.save(update_fields=["last_login_at", "failed_logins", "locked_until"])
    return LoginAttempt(user)


async def authenticate(login: str, password: str, limits: LimitSettings | None = None) -> User | None:
    """The user when the login succeeds (counted for the lockout like any login), else None."""
    return (await login_attempt(login, password, limits or LimitSettings())).user


async def clear_lockout(user: User) -> None:
    """Forget failed logins and lift a lock (after a password reset)."""
    user.failed_logins = 0
    user.locked_until = None
    await user.save(update_fields=["failed_logins", "locked_until"])
