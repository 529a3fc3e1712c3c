"""Member accounts: the rules for usernames, email addresses, roles, passwords and display names,
creating members (with their Person actor), finding them, roles and disabling.

The web pages, the admin console and the `agora member` commands all go through these functions; each
admin action writes an audit entry. Invitations are in invitations.py, new passwords and reset links in
password_reset.py, profile changes in profile.py."""

from __future__ import annotations

import hmac
import re
from datetime import datetime, timezone

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from node.core import audit
from node.accounts.actors import RESERVED_USERNAMES, create_local_actor
from node.core.models import Actor, User
from node.core.runtime import Node
from node.accounts.lockout import clear_lockout
from node.accounts.passwords import hash_password, new_password
from node.accounts.roles import ROLES

MIN_PASSWORD = 10
MAX_PASSWORD = 1024
MAX_NAME = 100
EMAIL = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$")


class MemberError(ValueError):
    """A request about a member that cannot be done as asked; the message says why (safe to show)."""


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def valid_username(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 30 or not all(c.isascii() and (c.isalnum() or c == "_") for c in name):
        raise MemberError("A username is 1 to 30 letters, digits or _ (no spaces).")
    if name.lower() in RESERVED_USERNAMES:
        raise MemberError("This username is reserved; choose another.")
    return name


def valid_email(email: str) -> str:
    email = email.strip().lower()
    if len(email) > 320 or not EMAIL.fullmatch(email):
        raise MemberError("This is not an email address.")
    return email


def valid_role(role: str) -> str:
    if role not in ROLES:
        raise MemberError(f"The role must be one of {', '.join(ROLES)}.")
    return role


def valid_password(password: str, again: str | None = None) -> str:
    if len(password) < MIN_PASSWORD:
        raise MemberError(f"The password must have at least {MIN_PASSWORD} characters.")
    if len(password) > MAX_PASSWORD:
        raise MemberError(f"The password must have at most {MAX_PASSWORD} characters.")
    if again is not None and not hmac.compare_digest(password.encode(), again.encode()):
        raise MemberError("The two passwords are not the same.")
    return password


def valid_display_name(name: str) -> str:
    name = " ".join(name.split())
    if len(name) > MAX_NAME:
        raise MemberError(f"The display name must have at most {MAX_NAME} characters.")
    return name


async def create_member(
    node: Node, username: str, email: str, role: str = "member", *, password: str | None = None,
    display_name: str = "", must_change_password: bool | None = None,
) -> tuple[User, str]:
    """A new member with their own Person actor. Returns the user and the password (generated when
    none is given: the member must then change it)."""
    username = valid_username(username)
    email = valid_email(email)
    valid_role(role)
    name = valid_display_name(display_name) or username
    if password is not None:
        valid_password(password)
    if await Actor.filter(local=True, username__iexact=username).exists() or await User.filter(username__iexact=username).exists():
        raise MemberError("This username is taken; choose another.")
    if await User.filter(email=email).exists():
        raise MemberError("A member with this email address exists already.")
    secret = password if password is not None else new_password()
    must_change = password is None if must_change_password is None else must_change_password
    try:
        async with in_transaction():
            actor = await create_local_actor(node.urls, kind="Person", username=username, name=name)
            user = await User.create(
                username=username, email=email, password_hash=hash_password(secret), role=role, actor=actor,
                must_change_password=must_change,
            )
    except IntegrityError:
        raise MemberError("This username or email address is taken.") from None
    return user, secret


async def find_member(login: str) -> User | None:
    """A member by email address or username."""
    login = login.strip()
    if not login or len(login) > 320:
        return None
    return await User.get_or_none(email=login.lower()) or await User.get_or_none(username=login)


async def admin_count() -> int:
    return await User.filter(role="admin", disabled=False).count()


async def set_role(node: Node, user: User, role: str, by_user: User | None, *, by: str | None = None) -> User:
    """Change a member's role. The last active admin keeps theirs."""
    valid_role(role)
    if user.role == role:
        return user
    if user.role == "admin" and not user.disabled and await admin_count() <= 1:
        raise MemberError("This is the last admin: make another member admin first.")
    previous = user.role
    user.role = role
    await user.save(update_fields=["role"])
    await audit.record(by_user, "user.role", user.username, by=by, previous=previous, role=role)
    return user


async def disable_member(node: Node, user: User, by_user: User | None, *, by: str | None = None) -> User:
    """Remove a member's access (they can no longer log in; their content stays)."""
    if user.disabled:
        return user
    if by_user is not None and by_user.id == user.id:
        raise MemberError("You cannot disable your own account.")
    if user.role == "admin" and await admin_count() <= 1:
        raise MemberError("This is the last admin: make another member admin first.")
    user.disabled = True
    await user.save(update_fields=["disabled"])
    await audit.record(by_user, "user.disable", user.username, by=by)
    return user


async def enable_member(node: Node, user: User, by_user: User | None, *, by: str | None = None) -> User:
    if not user.disabled:
        return user
    user.disabled = False
    await user.save(update_fields=["disabled"])
    await clear_lockout(user)
    await audit.record(by_user, "user.enable", user.username, by=by)
    return user
