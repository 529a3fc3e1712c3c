"""Member passwords: argon2id hashes, generated passwords, and checking a login against the lock-out
(the counting is node/accounts/lockout.py; no request needed: the session and CSRF side of logging in
is node/web/auth.py)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from node.accounts import lockout
from node.core.models import User
from node.core.settings import LimitSettings

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
_dummy: list[str] = []


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


async def _find(login: str) -> User | None:
    login = login.strip()
    if not login or len(login) > 320:
        return None
    return await User.get_or_none(email=login.lower()) or await User.get_or_none(username=login)


async def login_attempt(
    login: str, password: str, limits: LimitSettings, state: dict[str, Any] | None = None, address: str = ""
) -> LoginAttempt:
    """Check a login from a client address (as `lockout.client_address` gives it) and count it for the
    lock-out. The password hash is always verified (against a dummy hash for unknown accounts) so that
    timing tells nothing either. `state` (the node's `extra`) holds the counts of unknown names, so
    that several nodes in one process keep theirs apart."""
    now = datetime.now(timezone.utc)
    address = address[: lockout.MAX_ADDRESS]
    user = await _find(login)
    right = check_password(user, password)
    if user is None:
        store = lockout.phantom_store(state, limits)
        until = await lockout.phantom_attempt(store, login.strip().lower()[:320], address, now, limits)
        return LoginAttempt(None, locked_until=until)
    locked_until = await lockout.current_lock(user, address, now)
    if locked_until is not None:
        return LoginAttempt(None, locked_until=locked_until)
    if not right:
        return LoginAttempt(None, locked_until=await lockout.count_failure(user, address, now, limits))
    if user.disabled:
        return LoginAttempt(None, disabled=True)
    await lockout.clear_address(user, address)
    user.last_login_at = now
    user.failed_logins, user.failures_since, user.locked_until = 0, None, None
    await user.save(update_fields=["last_login_at"])
    return LoginAttempt(user)


async def authenticate(
    login: str, password: str, limits: LimitSettings | None = None, address: str = ""
) -> User | None:
    """The user when the login succeeds (counted for the lock-out like any login), else None."""
    return (await login_attempt(login, password, limits or LimitSettings(), address=address)).user
