"""The accounts tables (Tortoise models of the app "models", alongside node/core/models.py)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from node.core.models import User


class Invitation(Model):
    """An invitation to become a member: a single-use link with a role, optionally sent by email."""

    id = fields.BigIntField(primary_key=True)
    token_hash = fields.CharField(max_length=128, unique=True)  # sha256 of the token; the token is only in the link
    email = fields.CharField(max_length=320, null=True)
    role = fields.CharField(max_length=16, default="member")
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="invitations_sent", null=True, on_delete=fields.SET_NULL
    )
    created_by_id: int | None  # the column behind `created_by`
    used_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="invitation_used", null=True, on_delete=fields.SET_NULL
    )
    used_by_id: int | None  # the column behind `used_by`
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "invitations"


class LoginFailure(Model):
    """Wrong passwords given for one account from one client address (an IPv6 address counts by its
    /64): the fast lock-out counts per (account, address), so that failures from one place do not lock
    the owner out elsewhere (the slow per-account limit is on the users row). Deleted by a successful
    login from that address and by a new password; rows untouched for a day are pruned."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="login_failures", on_delete=fields.CASCADE
    )
    user_id: int  # the column behind `user`
    address = fields.CharField(max_length=64)
    failures = fields.IntField(default=0)  # consecutive wrong passwords from this address
    locked_until = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField(auto_now=True, db_index=True)

    class Meta:
        table = "login_failures"
        unique_together = (("user", "address"),)
