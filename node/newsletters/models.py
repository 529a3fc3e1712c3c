"""The newsletters tables (Tortoise models of the app "models", alongside node/core/models.py)."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from node.core.models import User
from node.mailing.models import Subscriber

AUDIENCES = ("subscribers", "members", "event", "initiative")
STATUSES = ("draft", "scheduled", "sending", "sent", "cancelled")
RECIPIENT_STATUSES = ("queued", "sending", "sent", "failed", "skipped")


class Mailing(Model):
    """A newsletter an editor writes (Markdown, in its language and translations) and sends to an
    audience: the active subscribers who chose newsletters, the members, the participants of an event
    or the supporters of an initiative. Sent ones are shown at /mailings/<slug>. `generation` counts
    the times it was scheduled or sent: only the job of the current one acts."""

    id = fields.BigIntField(primary_key=True)
    slug = fields.CharField(max_length=64, unique=True)
    language = fields.CharField(max_length=35, default="en")
    subject = fields.CharField(max_length=300)
    body = fields.TextField(default="")  # Markdown, in `language`
    subject_map: fields.JSONField[Any] = fields.JSONField(null=True)  # {language: subject}, every language
    body_map: fields.JSONField[Any] = fields.JSONField(null=True)  # {language: Markdown}, every language
    audience = fields.CharField(max_length=16, default="subscribers")  # of AUDIENCES
    target_id = fields.BigIntField(null=True)  # the event or initiative of those audiences
    status = fields.CharField(max_length=16, default="draft", db_index=True)  # of STATUSES
    scheduled_at = fields.DatetimeField(null=True)
    generation = fields.IntField(default=0)
    also_post = fields.BooleanField(default=False)
    post_id = fields.BigIntField(null=True)  # the post it was published as (also_post)
    author: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="mailings", null=True, on_delete=fields.SET_NULL
    )
    author_id: int | None  # the column behind `author`
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    started_at = fields.DatetimeField(null=True)
    sent_at = fields.DatetimeField(null=True)
    recipients_count = fields.IntField(default=0)
    sent_count = fields.IntField(default=0)
    failed_count = fields.IntField(default=0)
    skipped_count = fields.IntField(default=0)

    class Meta:
        table = "mailings"


class MailingRecipient(Model):
    """One address a mailing goes to, snapshotted when the sending starts: queued, sending (claimed by
    the run named in `claim`), sent, failed (refused, or temporary failures past the retries) or skipped
    (blocked or unsubscribed). See node/newsletters/sending.py for how a crash is survived."""

    id = fields.BigIntField(primary_key=True)
    mailing: fields.ForeignKeyRelation[Mailing] = fields.ForeignKeyField(
        "models.Mailing", related_name="recipients", on_delete=fields.CASCADE
    )
    mailing_id: int  # the column behind `mailing`
    email = fields.CharField(max_length=320)  # lower-cased
    subscriber: fields.ForeignKeyNullableRelation[Subscriber] = fields.ForeignKeyField(
        "models.Subscriber", related_name="mailings_received", null=True, on_delete=fields.SET_NULL
    )
    subscriber_id: int | None  # the column behind `subscriber`
    user_id = fields.BigIntField(null=True)  # the member, when the address is one
    language = fields.CharField(max_length=35, default="en")
    status = fields.CharField(max_length=16, default="queued")  # of RECIPIENT_STATUSES
    attempts = fields.IntField(default=0)
    last_error = fields.TextField(default="")
    claim = fields.CharField(max_length=64, null=True)  # the run sending it (status sending)
    next_at = fields.DatetimeField(null=True)  # a temporary failure: not before then
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "mailing_recipients"
        unique_together = (("mailing", "email"),)
        indexes = (("mailing_id", "status"),)
