"""The moderation tables (Tortoise models of the app "models", alongside node/core/models.py)."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from node.core.models import URI, Actor, User


class Report(Model):
    """A report about an account or content: from a member, or a remote server's Flag."""

    id = fields.BigIntField(primary_key=True)
    uri = fields.CharField(max_length=URI, null=True, unique=True)  # the Flag's id (remote) or ours
    reporter: fields.ForeignKeyNullableRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="reports_made", null=True, on_delete=fields.SET_NULL
    )
    reporter_id: int | None  # the column behind `reporter`
    reporter_domain = fields.CharField(max_length=255, null=True)  # for remote Flags sent by an instance actor
    target: fields.ForeignKeyNullableRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="reports_received", null=True, on_delete=fields.SET_NULL
    )
    target_id: int | None  # the column behind `target`
    target_uri = fields.CharField(max_length=URI)
    object_uris: fields.JSONField[Any] = fields.JSONField(default=list)
    comment = fields.TextField(default="")
    local = fields.BooleanField(default=False)  # made on this node
    forwarded_at = fields.DatetimeField(null=True)  # sent as a Flag to the target's server
    state = fields.CharField(max_length=16, default="open", db_index=True)  # open | resolved | dismissed
    action_taken = fields.CharField(max_length=32, null=True)
    resolved_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="reports_resolved", null=True, on_delete=fields.SET_NULL
    )
    resolved_by_id: int | None  # the column behind `resolved_by`
    resolved_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "reports"
