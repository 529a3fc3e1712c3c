"""The initiatives tables (Tortoise models of the app "models", alongside node/core/models.py)."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from node.core.models import URI, Actor


class Initiative(Model):
    """A community project (development, humanitarian appeal, advocacy, mutual aid, culture): ours
    (local) or received from another Agora node (the network initiatives)."""

    id = fields.BigIntField(primary_key=True)
    uri = fields.CharField(max_length=URI, unique=True)
    local = fields.BooleanField(default=False, db_index=True)
    organizer: fields.ForeignKeyRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="initiatives", on_delete=fields.CASCADE
    )
    organizer_id: int  # the column behind `organizer`
    url = fields.CharField(max_length=URI, null=True)
    title = fields.CharField(max_length=300)
    summary = fields.TextField(default="")
    source = fields.TextField(default="")
    content = fields.TextField(default="")
    kind = fields.CharField(max_length=32)  # development | humanitarian | advocacy | mutual_aid | cultural
    status = fields.CharField(max_length=16, default="proposed")  # proposed | active | achieved | closed | abandoned
    status_history: fields.JSONField[Any] = fields.JSONField(default=list)  # [{"status": ..., "at": ISO 8601}]
    place_there: fields.JSONField[Any] = fields.JSONField(null=True)  # a Place (federation.events.Place as a dict)
    place_here: fields.JSONField[Any] = fields.JSONField(null=True)
    cover_url = fields.CharField(max_length=URI, null=True)
    cover_alt = fields.CharField(max_length=1000, default="")
    cover_media_type = fields.CharField(max_length=64, null=True)
    name_map: fields.JSONField[Any] = fields.JSONField(null=True)  # {language: title}
    summary_map: fields.JSONField[Any] = fields.JSONField(null=True)  # {language: abstract}
    content_map: fields.JSONField[Any] = fields.JSONField(null=True)  # {language: sanitized HTML}
    source_map: fields.JSONField[Any] = fields.JSONField(null=True)  # {language: Markdown source} (local initiatives)
    draft = fields.BooleanField(default=False, db_index=True)
    replies_moderation = fields.CharField(max_length=16, default="default")  # default | allow_all | moderated | closed
    language = fields.CharField(max_length=35, null=True)
    tags: fields.JSONField[Any] = fields.JSONField(default=list)
    responsible: fields.JSONField[Any] = fields.JSONField(default=list)  # actor ids or names of the people responsible
    supporters_public = fields.BooleanField(default=True)
    support_count = fields.IntField(default=0)
    totals: fields.JSONField[Any] = fields.JSONField(default=dict)  # derived ledger totals, for remote initiatives as received
    data: fields.JSONField[Any] = fields.JSONField(null=True)
    published = fields.DatetimeField()
    updated = fields.DatetimeField(null=True)
    deleted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "initiatives"


class Need(Model):
    """What an initiative asks for: volunteers (with skills), materials, or money (goal + currency)."""

    id = fields.BigIntField(primary_key=True)
    initiative: fields.ForeignKeyRelation[Initiative] = fields.ForeignKeyField(
        "models.Initiative", related_name="needs", on_delete=fields.CASCADE
    )
    initiative_id: int  # the column behind `initiative`
    kind = fields.CharField(max_length=16)  # volunteers | materials | money
    title = fields.CharField(max_length=300)
    description = fields.TextField(default="")
    skills: fields.JSONField[Any] = fields.JSONField(default=list)
    quantity = fields.IntField(null=True)  # volunteers or items wanted
    goal_minor = fields.BigIntField(null=True)  # money goal in minor units (cents)
    currency = fields.CharField(max_length=3, null=True)
    position = fields.IntField(default=0)

    class Meta:
        table = "needs"


class Pledge(Model):
    """Someone offering help against a need; the organizers mark it fulfilled (the help came) or
    cancelled (it will not: it no longer counts towards the need)."""

    id = fields.BigIntField(primary_key=True)
    need: fields.ForeignKeyRelation[Need] = fields.ForeignKeyField(
        "models.Need", related_name="pledges", on_delete=fields.CASCADE
    )
    need_id: int  # the column behind `need`
    actor: fields.ForeignKeyNullableRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="pledges", null=True, on_delete=fields.CASCADE
    )
    actor_id: int | None  # the column behind `actor`
    name = fields.CharField(max_length=255, default="")
    email = fields.CharField(max_length=320, null=True)
    quantity = fields.IntField(null=True)
    amount_minor = fields.BigIntField(null=True)
    message = fields.TextField(default="")
    status = fields.CharField(max_length=16, default="pledged")  # pledged | fulfilled | cancelled
    status_at = fields.DatetimeField(null=True)  # when an organizer last marked it
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "pledges"


class LedgerEntry(Model):
    """One line of the transparency ledger: money or in-kind, received or spent. Totals are derived."""

    id = fields.BigIntField(primary_key=True)
    initiative: fields.ForeignKeyRelation[Initiative] = fields.ForeignKeyField(
        "models.Initiative", related_name="ledger", on_delete=fields.CASCADE
    )
    initiative_id: int  # the column behind `initiative`
    direction = fields.CharField(max_length=8)  # received | spent
    nature = fields.CharField(max_length=8, default="money")  # money | in_kind
    amount_minor = fields.BigIntField(null=True)  # money: minor units
    currency = fields.CharField(max_length=3, null=True)
    description = fields.TextField()
    occurred_on = fields.DateField()
    receipt_url = fields.CharField(max_length=URI, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "ledger_entries"


class Support(Model):
    """A show of support by a local member or a remote actor (a Like from Mastodon counts)."""

    id = fields.BigIntField(primary_key=True)
    uri = fields.CharField(max_length=URI, unique=True)  # the Like's id, for Undo
    initiative: fields.ForeignKeyRelation[Initiative] = fields.ForeignKeyField(
        "models.Initiative", related_name="supports", on_delete=fields.CASCADE
    )
    initiative_id: int  # the column behind `initiative`
    actor: fields.ForeignKeyRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="supports", on_delete=fields.CASCADE
    )
    actor_id: int  # the column behind `actor`
    held = fields.BooleanField(default=False)  # remote support waiting for a moderator
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "supports"
        unique_together = (("initiative", "actor"),)
