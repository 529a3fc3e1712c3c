"""The guides tables (Tortoise models of the app "models", alongside node/core/models.py): the
association's guides and the guides of followed associations (local=False), their revisions, the
admin's own topics and the members trusted to write guides."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from node.core.models import URI, Actor


class GuideTopic(Model):
    """A topic the admin added beside the built-in ones (node/guides/topics.py)."""

    id = fields.BigIntField(primary_key=True)
    slug = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=200)
    name_map: fields.JSONField[Any] = fields.JSONField(null=True)  # {language: name}
    position = fields.IntField(default=100)

    class Meta:
        table = "guide_topics"


class Guide(Model):
    """One guide: ours (local) or received from a followed association (the network guides)."""

    id = fields.BigIntField(primary_key=True)
    uri = fields.CharField(max_length=URI, unique=True)
    local = fields.BooleanField(default=False, db_index=True)
    organizer: fields.ForeignKeyRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="guides", on_delete=fields.CASCADE
    )
    organizer_id: int  # the column behind `organizer`
    url = fields.CharField(max_length=URI, null=True)
    slug = fields.CharField(max_length=100, db_index=True)
    topic = fields.CharField(max_length=64, db_index=True)
    position = fields.IntField(default=0)
    title = fields.CharField(max_length=300)
    summary = fields.TextField(default="")
    source = fields.TextField(default="")
    content = fields.TextField(default="")
    language = fields.CharField(max_length=35, null=True)
    name_map: fields.JSONField[Any] = fields.JSONField(null=True)  # {language: title}
    content_map: fields.JSONField[Any] = fields.JSONField(null=True)  # {language: sanitized HTML}
    source_map: fields.JSONField[Any] = fields.JSONField(null=True)  # {language: Markdown source}
    review_days = fields.IntField(null=True)  # the review interval, None for the site's default
    reviewed_at = fields.DatetimeField(null=True)
    reviewed_by = fields.CharField(max_length=512, default="")  # the reviewer's name as shown
    stale_notified_at = fields.DatetimeField(null=True)
    data: fields.JSONField[Any] = fields.JSONField(null=True)
    published = fields.DatetimeField()
    updated = fields.DatetimeField(null=True)
    deleted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "guides"


class GuideRevision(Model):
    """One save of a guide (accepted), or a member's proposal (pending until an editor decides)."""

    id = fields.BigIntField(primary_key=True)
    guide: fields.ForeignKeyRelation[Guide] = fields.ForeignKeyField(
        "models.Guide", related_name="revisions", on_delete=fields.CASCADE
    )
    guide_id: int  # the column behind `guide`
    author: fields.ForeignKeyNullableRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="guide_revisions", null=True, on_delete=fields.SET_NULL
    )
    author_id: int | None  # the column behind `author`
    status = fields.CharField(max_length=16, default="accepted")  # accepted | pending | rejected
    note = fields.CharField(max_length=500, default="")
    title = fields.CharField(max_length=300)
    language = fields.CharField(max_length=35)
    source = fields.TextField(default="")
    translations: fields.JSONField[Any] = fields.JSONField(default=list)  # [{"language", "title", "text"}]
    decided_by = fields.CharField(max_length=512, default="")
    decided_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "guide_revisions"


class GuideWriter(Model):
    """A member the admin trusts to write guides without an editor's review."""

    id = fields.BigIntField(primary_key=True)
    actor: fields.OneToOneRelation[Actor] = fields.OneToOneField(
        "models.Actor", related_name="guide_writer", on_delete=fields.CASCADE
    )
    actor_id: int  # the column behind `actor`
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "guide_writers"
