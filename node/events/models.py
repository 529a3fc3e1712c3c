"""The events tables (Tortoise models of the app "models", alongside node/core/models.py)."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from node.core.models import URI, Actor


class Event(Model):
    """One occurrence of an event: ours (local) or received from the network calendar (remote).
    A recurring series is stored as its occurrences, which share `series_uid`."""

    id = fields.BigIntField(primary_key=True)
    uri = fields.CharField(max_length=URI, unique=True)
    local = fields.BooleanField(default=False, db_index=True)
    organizer: fields.ForeignKeyRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="events", on_delete=fields.CASCADE
    )
    organizer_id: int  # the column behind `organizer`
    group_uri = fields.CharField(max_length=URI, null=True)
    url = fields.CharField(max_length=URI, null=True)
    name = fields.CharField(max_length=1000)
    source = fields.TextField(default="")
    content = fields.TextField(default="")
    start = fields.DatetimeField(db_index=True)
    end = fields.DatetimeField(null=True)
    timezone = fields.CharField(max_length=64, default="UTC")
    all_day = fields.BooleanField(default=False)
    places: fields.JSONField[Any] = fields.JSONField(default=list)
    online_url = fields.CharField(max_length=URI, null=True)
    status = fields.CharField(max_length=16, default="CONFIRMED")
    join_mode = fields.CharField(max_length=16, default="free")
    capacity = fields.IntField(null=True)
    category = fields.CharField(max_length=64, null=True)
    language = fields.CharField(max_length=35, null=True)
    tags: fields.JSONField[Any] = fields.JSONField(default=list)
    external_url = fields.CharField(max_length=URI, null=True)
    banner_url = fields.CharField(max_length=URI, null=True)
    banner_alt = fields.CharField(max_length=1000, default="")
    banner_media_type = fields.CharField(max_length=64, null=True)
    name_map: fields.JSONField[Any] = fields.JSONField(null=True)  # {language: name} when written in several languages
    content_map: fields.JSONField[Any] = fields.JSONField(null=True)  # {language: sanitized HTML}
    source_map: fields.JSONField[Any] = fields.JSONField(null=True)  # {language: Markdown source} (local events)
    draft = fields.BooleanField(default=False, db_index=True)
    contacts: fields.JSONField[Any] = fields.JSONField(default=list)
    anonymous_participation = fields.BooleanField(default=False)
    comments_enabled = fields.BooleanField(default=True)
    replies_moderation = fields.CharField(max_length=16, default="allow_all")
    ical_uid = fields.CharField(max_length=512, null=True, db_index=True)
    series_uid = fields.CharField(max_length=512, null=True, db_index=True)
    participant_count = fields.IntField(default=0)
    data: fields.JSONField[Any] = fields.JSONField(null=True)
    published = fields.DatetimeField()
    updated = fields.DatetimeField(null=True)
    deleted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "events"


class Participation(Model):
    """Someone taking part in an event: a local member, a remote actor (Join), or a visitor without an
    account (name + email, confirmed by a link)."""

    id = fields.BigIntField(primary_key=True)
    uri = fields.CharField(max_length=URI, unique=True)
    event: fields.ForeignKeyRelation[Event] = fields.ForeignKeyField(
        "models.Event", related_name="participations", on_delete=fields.CASCADE
    )
    event_id: int  # the column behind `event`
    actor: fields.ForeignKeyNullableRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="participations", null=True, on_delete=fields.CASCADE
    )
    actor_id: int | None  # the column behind `actor`
    name = fields.CharField(max_length=255, default="")
    email = fields.CharField(max_length=320, null=True)
    state = fields.CharField(max_length=16, default="pending")  # pending | accepted | rejected
    token = fields.CharField(max_length=64, null=True, unique=True)
    confirmed = fields.BooleanField(default=True)
    message = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "participations"
        unique_together = (("event", "actor"),)
