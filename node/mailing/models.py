"""The mailing list's tables (Tortoise models of the app "models", alongside node/core/models.py)."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from node.core.models import User

# What a subscriber may receive (Subscriber.kinds); forum categories are chosen by id (Subscriber.categories).
KINDS = ("newsletter", "posts", "events", "initiatives", "opportunities", "forum")
FREQUENCIES = ("instant", "daily", "weekly")
STATUSES = ("pending", "active", "unsubscribed")


class Subscriber(Model):
    """An address on the mailing list: a visitor's (double opt-in, `pending` until the link in the
    confirmation message is followed) or a member's (linked to their account, managed from /account).
    `token` is the secret of its preference and one-click unsubscribe links."""

    id = fields.BigIntField(primary_key=True)
    email = fields.CharField(max_length=320, unique=True)  # lower-cased
    token = fields.CharField(max_length=64, unique=True)
    status = fields.CharField(max_length=16, default="pending", db_index=True)  # pending | active | unsubscribed
    language = fields.CharField(max_length=16, default="en")
    kinds: fields.JSONField[Any] = fields.JSONField(default=list)  # of KINDS
    categories: fields.JSONField[Any] = fields.JSONField(default=list)  # forum category ids (with "forum" in kinds)
    frequency = fields.CharField(max_length=8, default="weekly")  # of FREQUENCIES
    notify_kinds: fields.JSONField[Any] = fields.JSONField(default=list)  # a member's notification kinds by email
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="subscriptions_by_email", null=True, on_delete=fields.SET_NULL
    )
    user_id: int | None  # the member this address belongs to, if any
    source = fields.CharField(max_length=16, default="web")  # web | account | import
    created_at = fields.DatetimeField(auto_now_add=True)
    confirm_sent_at = fields.DatetimeField(null=True)
    confirmed_at = fields.DatetimeField(null=True)
    unsubscribed_at = fields.DatetimeField(null=True)
    last_digest_at = fields.DatetimeField(null=True)  # the end of the period the last digest covered

    class Meta:
        table = "mail_subscribers"


class Suppression(Model):
    """An address no message is sent to, or that is on its way there: hard bounces counted up to the
    threshold (`[mail] bounce_threshold`), then `blocked`; a complaint blocks at once."""

    id = fields.BigIntField(primary_key=True)
    email = fields.CharField(max_length=320, unique=True)  # lower-cased
    bounces = fields.IntField(default=0)
    blocked = fields.BooleanField(default=False, db_index=True)
    reason = fields.CharField(max_length=16, default="bounce")  # bounce | complaint | manual
    detail = fields.TextField(default="")  # the last diagnostic, for the admin
    last_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "mail_suppressions"
