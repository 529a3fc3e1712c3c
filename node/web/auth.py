"""Member authentication: argon2id password hashes, cookie sessions, CSRF tokens."""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from starlette.requests import Request

from node.models import User

ROLES = ("admin", "moderator", "editor", "member")
PUBLISHING_ROLES = frozenset({"admin", "editor"})
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
_dummy: list[str] = []


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


async def authenticate(login: str, password: str) -> User | None:
    login = login.strip()
    user = await User.get_or_none(email=login.lower()) or await User.get_or_none(username=login)
    if not check_password(user, password):
        return None
    assert user is not None
    user.last_login_at = datetime.now(timezone.utc)
    await user.save(update_fields=["last_login_at"])
    return user


def log_in(request: Request, user: User) -> None:
    request.session.clear()
    request.session["uid"] = user.id
    request.session["csrf"] = secrets.token_urlsafe(24)


def log_out(request: Request) -> None:
    request.session.clear()


async def current_user(request: Request) -> User | None:
    uid = request.session.get("uid")
    if not isinstance(uid, int):
        return None
    return await User.get_or_none(id=uid)


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return token


def csrf_ok(request: Request, submitted: object) -> bool:
    expected = request.session.get("csrf")
    return isinstance(expected, str) and isinstance(submitted, str) and hmac.compare_digest(expected, submitted)
