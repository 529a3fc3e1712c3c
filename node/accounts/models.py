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
