"""New passwords: changed by the member (with the current one) or set through a reset link sent by
email (signed, valid for an hour, and only until the password changes)."""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from node.core.mail import MailError, send_mail
from node.core.models import User
from node.accounts.members import MemberError, find_member, valid_password
from node.core.runtime import Node
from node.accounts.lockout import clear_lockout
from node.accounts.passwords import check_password, hash_password

log = logging.getLogger("agora.members")

RESET_MAX_AGE = 3600  # seconds a password reset link stays valid
RESET_SALT = "password-reset"


def _serializer(node: Node) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(node.settings.secret_key or "development-only-secret", salt=RESET_SALT)


def password_fingerprint(user: User) -> str:
    """Changes whenever the password does, so a reset link works once."""
    return hashlib.sha256(f"{user.id}:{user.password_hash}".encode()).hexdigest()[:32]


def reset_token(node: Node, user: User) -> str:
    return str(_serializer(node).dumps({"u": user.id, "f": password_fingerprint(user)}))


def reset_link(node: Node, user: User) -> str:
    return f"{node.settings.base_url}/password/reset/{reset_token(node, user)}"


async def user_for_reset(node: Node, token: str, max_age: int = RESET_MAX_AGE) -> User | None:
    """The member a reset token is for, when it is authentic, recent and not used yet."""
    if not token or len(token) > 500:
        return None
    try:
        data: Any = _serializer(node).loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("f"), str):
        return None
    user = await User.get_or_none(id=data["u"])
    if user is None or user.disabled or not hmac.compare_digest(password_fingerprint(user), data["f"]):
        return None
    return user


async def send_reset_link(node: Node, login: str) -> None:
    """Email a reset link to the member with this email or username. Says nothing about whether there
    is one: the caller answers the same either way."""
    user = await find_member(login)
    if user is None or user.disabled:
        log.info("password reset asked for an unknown or disabled account")
        return
    text = (
        f"Someone (probably you) asked to reset the password of your account {user.username} on "
        f"{node.settings.association.name}.\n\nChoose a new password with this link (valid for one hour, once):\n\n"
        f"{reset_link(node, user)}\n\nIf you did not ask for this, ignore this message: your password stays as it is.\n"
    )
    try:
        await send_mail(node.settings, user.email, "Reset your password", text)
    except MailError as exc:
        log.warning("password reset for user %s not emailed: %s", user.id, exc)


async def set_password(user: User, password: str, again: str | None = None) -> User:
    """A new password; lifts every lock-out of the account (failed logins forgotten, from anywhere)."""
    valid_password(password, again)
    user.password_hash = hash_password(password)
    user.must_change_password = False
    await user.save(update_fields=["password_hash", "must_change_password"])
    await clear_lockout(user)
    return user


async def change_password(user: User, current: str, password: str, again: str) -> User:
    if not check_password(user, current):
        raise MemberError("The current password is wrong.")
    return await set_password(user, password, again)
