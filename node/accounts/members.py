"""Member accounts: creating members (with their Person actor), invitations, password reset links,
roles, disabling, and profile changes that federate to followers.

The web pages (node/web/account.py), the admin console and the `agora member` commands all go through
these functions; each admin action writes an audit entry."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from federation import vocab
from node.core import audit, i18n
from node.accounts.actors import RESERVED_USERNAMES, actor_document, create_local_actor
from node.posts.content import new_slug, render
from node.social.delivery import publish
from node.core.mail import MailError, send_mail
from node.core.media import media_url
from node.core.models import Actor, Media, User
from node.accounts.models import Invitation
from node.core.runtime import Node
from node.accounts.passwords import check_password, hash_password, new_password
from node.accounts.roles import ROLES

log = logging.getLogger("agora.members")

MIN_PASSWORD = 10
MAX_PASSWORD = 1024
MAX_NAME = 100
MAX_BIO = 5000
RESET_MAX_AGE = 3600  # seconds a password reset link stays valid
RESET_SALT = "password-reset"
INVITATION_DAYS = 7
EMAIL = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$")


class MemberError(ValueError):
    """A request about a member that cannot be done as asked; the message says why (safe to show)."""


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


# ------------------------------------------------------------------ validation


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


# ------------------------------------------------------------------ members


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
    user.failed_logins = 0
    user.locked_until = None
    await user.save(update_fields=["disabled", "failed_logins", "locked_until"])
    await audit.record(by_user, "user.enable", user.username, by=by)
    return user


# ------------------------------------------------------------------ invitations


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_link(node: Node, token: str) -> str:
    return f"{node.settings.base_url}/invite/{token}"


def invitation_state(invitation: Invitation, now: datetime | None = None) -> str:
    """valid | used | revoked | expired"""
    if invitation.used_at is not None:
        return "used"
    if invitation.revoked_at is not None:
        return "revoked"
    if invitation.expires_at <= (now or utcnow()):
        return "expired"
    return "valid"


async def create_invitation(
    node: Node, created_by: User | None, email: str | None, role: str = "member", days: int = INVITATION_DAYS,
    *, by: str | None = None, send: bool = True,
) -> tuple[Invitation, str]:
    """A single-use invitation link (only the token's hash is stored). With an email address, the link
    is also sent there (or logged when no mail server is set)."""
    valid_role(role)
    address = valid_email(email) if email and email.strip() else None
    if address and await User.filter(email=address).exists():
        raise MemberError("A member with this email address exists already.")
    if not 1 <= days <= 365:
        raise MemberError("An invitation is valid for 1 to 365 days.")
    token = secrets.token_urlsafe(32)
    invitation = await Invitation.create(
        token_hash=token_hash(token), email=address, role=role, created_by=created_by,
        expires_at=utcnow() + timedelta(days=days),
    )
    link = invitation_link(node, token)
    await audit.record(created_by, "invitation.create", address or "", by=by, invitation=invitation.id, role=role, days=days)
    if address and send:
        name = node.settings.association.name
        text = (
            f"You are invited to join {name} on Agora.\n\n"
            f"Open this link to choose your username and password (valid for {days} days, once):\n\n"
            f"{link}\n\nIf you did not expect this, you can ignore this message.\n"
        )
        try:
            await send_mail(node.settings, address, f"Invitation to join {name}", text)
        except MailError as exc:
            log.warning("invitation %s not emailed: %s", invitation.id, exc)
    return invitation, link


async def find_invitation(token: str) -> Invitation | None:
    if not token or len(token) > 200:
        return None
    return await Invitation.get_or_none(token_hash=token_hash(token))


async def revoke_invitation(node: Node, invitation: Invitation, by_user: User | None, *, by: str | None = None) -> Invitation:
    if invitation.used_at is not None:
        raise MemberError("This invitation was used already.")
    if invitation.revoked_at is None:
        invitation.revoked_at = utcnow()
        await invitation.save(update_fields=["revoked_at"])
        await audit.record(by_user, "invitation.revoke", invitation.email or "", by=by, invitation=invitation.id)
    return invitation


async def list_invitations() -> list[Invitation]:
    """Every invitation, newest first, with who made and who used it."""
    return await Invitation.all().order_by("-created_at", "-id").prefetch_related("created_by", "used_by")


async def accept_invitation(
    node: Node, invitation: Invitation, *, username: str, display_name: str, email: str, password: str, again: str,
) -> User:
    """Create the member an invitation was for, and use it up (atomically: an invitation makes one member)."""
    if invitation_state(invitation) != "valid":
        raise MemberError("This invitation cannot be used any more.")
    valid_password(password, again)
    async with in_transaction():
        taken = await Invitation.filter(id=invitation.id, used_at=None, revoked_at=None).update(used_at=utcnow())
        if not taken:
            raise MemberError("This invitation cannot be used any more.")
        user, _ = await create_member(
            node, username, email, invitation.role, password=password, display_name=display_name,
            must_change_password=False,
        )
        await Invitation.filter(id=invitation.id).update(used_by_id=user.id)
    await audit.record(user, "invitation.accept", user.username, invitation=invitation.id, role=invitation.role)
    return user


# ------------------------------------------------------------------ passwords


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
    """A new password; unlocks the account (failed logins forgotten)."""
    valid_password(password, again)
    user.password_hash = hash_password(password)
    user.must_change_password = False
    user.failed_logins = 0
    user.locked_until = None
    await user.save(update_fields=["password_hash", "must_change_password", "failed_logins", "locked_until"])
    return user


async def change_password(user: User, current: str, password: str, again: str) -> User:
    if not check_password(user, current):
        raise MemberError("The current password is wrong.")
    return await set_password(user, password, again)


# ------------------------------------------------------------------ profile


@dataclass(frozen=True)
class ProfileInput:
    display_name: str
    bio: str  # Markdown
    avatar: Media | None = None  # a new avatar, already stored
    remove_avatar: bool = False


def bio_source(actor: Actor) -> str:
    data = actor.data if isinstance(actor.data, dict) else {}
    source = data.get("summary_source")
    return source if isinstance(source, str) else ""


async def update_profile(node: Node, user: User, change: ProfileInput) -> Actor:
    """Change the member's name, bio and avatar; followers receive an `Update` of the Person."""
    actor = await Actor.get(id=user.actor_id)  # type: ignore[attr-defined]
    name = valid_display_name(change.display_name) or user.username
    bio = change.bio.strip()
    if len(bio) > MAX_BIO:
        raise MemberError(f"The bio must have at most {MAX_BIO} characters.")
    summary, _ = render(node.urls, bio, {}) if bio else ("", [])
    icon = actor.icon_url
    if change.avatar is not None:
        icon = media_url(node, change.avatar, 400)
    elif change.remove_avatar:
        icon = None
    data = dict(actor.data) if isinstance(actor.data, dict) else {}
    data["summary_source"] = bio
    if change.avatar is not None:
        data["icon"] = {"media": change.avatar.key, "mediaType": change.avatar.media_type, "name": change.avatar.alt}
    elif change.remove_avatar:
        data.pop("icon", None)
    if (name, summary, icon) == (actor.name, actor.summary, actor.icon_url):
        if data != actor.data:
            actor.data = data
            await actor.save(update_fields=["data"])
        return actor
    actor.name, actor.summary, actor.icon_url, actor.data = name, summary, icon, data
    async with in_transaction():
        await actor.save(update_fields=["name", "summary", "icon_url", "data"])
        await publish_actor_update(node, actor)
    return actor


async def publish_actor_update(node: Node, actor: Actor) -> None:
    """Send the actor's current document to its followers as an `Update`."""
    document = actor_document(node.urls, actor)
    document.pop("@context", None)
    now = utcnow()
    doc = vocab.activity(
        "Update", node.urls.activity(new_slug()), actor.uri, document,
        to=[vocab.PUBLIC], cc=[actor.followers_url] if actor.followers_url else None, published=vocab.iso(now),
    )
    await publish(node, actor, doc)


async def set_locale(node: Node, user: User, locale: str | None) -> User:
    if locale is not None and locale not in i18n.offered(node):
        raise MemberError("This language is not offered here.")
    user.locale = locale
    await user.save(update_fields=["locale"])
    return user
