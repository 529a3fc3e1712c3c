"""Invitations: single-use links (only the token's hash is stored) that let someone create their own
member account, with the role the admin chose; made, listed and revoked by the admin console and
`agora member invite`."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from node.core import audit
from node.core.mail import MailError, send_mail
from node.core.models import User
from node.accounts.members import MemberError, create_member, utcnow, valid_email, valid_password, valid_role
from node.accounts.models import Invitation
from node.core.runtime import Node

log = logging.getLogger("agora.members")

INVITATION_DAYS = 7


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
