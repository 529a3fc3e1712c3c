"""The opportunity board's tables (Tortoise models of the app "models", alongside node/core/models.py)."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from node.core.models import URI, Actor


class Opportunity(Model):
    """An offer or a request (a job, a room, a mentor...): ours (local, published by the association for
    the member who posted it) or received from another Agora node (the network board)."""

    id = fields.BigIntField(primary_key=True)
    uri = fields.CharField(max_length=URI, unique=True)
    local = fields.BooleanField(default=False, db_index=True)
    organizer: fields.ForeignKeyRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="opportunities", on_delete=fields.CASCADE
    )
    organizer_id: int  # the column behind `organizer` (the association that publishes it)
    poster: fields.ForeignKeyNullableRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="posted_opportunities", null=True, on_delete=fields.SET_NULL
    )
    poster_id: int | None  # the local member who posted it (None for the network's)
    url = fields.CharField(max_length=URI, null=True)
    title = fields.CharField(max_length=300)
    content = fields.TextField(default="")  # sanitized HTML of the poster's text
    source = fields.TextField(default="")  # Markdown as written (local)
    kind = fields.CharField(max_length=24)  # job | internship | volunteering | housing | mentoring | scholarship | skills_exchange
    purpose = fields.CharField(max_length=8, default="offer")  # offer | request
    place_kind = fields.CharField(max_length=8, default="here")  # here | there | remote
    place_name = fields.CharField(max_length=300, default="")
    starts = fields.DateField(null=True)
    ends = fields.DateField(null=True)
    expires = fields.DatetimeField(db_index=True)
    status = fields.CharField(max_length=16, default="open", db_index=True)  # pending | open | closed | removed
    closed_at = fields.DatetimeField(null=True)
    removed_reason = fields.TextField(default="")
    language = fields.CharField(max_length=35, null=True)
    languages: fields.JSONField[Any] = fields.JSONField(default=list)  # language tags it asks for or offers in
    tags: fields.JSONField[Any] = fields.JSONField(default=list)
    name_map: fields.JSONField[Any] = fields.JSONField(null=True)  # {language: title}
    content_map: fields.JSONField[Any] = fields.JSONField(null=True)  # {language: sanitized HTML}
    source_map: fields.JSONField[Any] = fields.JSONField(null=True)  # {language: Markdown} (local)
    asks_money = fields.BooleanField(default=False)  # the money detector's verdict, shown as a warning
    search_text = fields.TextField(default="")  # every language's title and text, folded, for search
    data: fields.JSONField[Any] = fields.JSONField(null=True)  # the document as received (network)
    published = fields.DatetimeField()
    updated = fields.DatetimeField(null=True)

    class Meta:
        table = "opportunities"


class Answer(Model):
    """A message about an opportunity: an answer from a visitor (name and email), a member or a
    Fediverse account (its direct Note), or the poster's reply to one (`parent`). The addresses stay
    here: pages and emails never show one to the other side unless the poster chose to reveal theirs."""

    id = fields.BigIntField(primary_key=True)
    opportunity: fields.ForeignKeyRelation[Opportunity] = fields.ForeignKeyField(
        "models.Opportunity", related_name="answers", on_delete=fields.CASCADE
    )
    opportunity_id: int  # the column behind `opportunity`
    parent: fields.ForeignKeyNullableRelation[Answer] = fields.ForeignKeyField(
        "models.Answer", related_name="replies", null=True, on_delete=fields.CASCADE
    )
    parent_id: int | None  # the answer a reply of the poster is to
    uri = fields.CharField(max_length=URI, null=True, unique=True)  # the Note's id (Fediverse answers and replies)
    actor: fields.ForeignKeyNullableRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="opportunity_answers", null=True, on_delete=fields.SET_NULL
    )
    actor_id: int | None  # a member's or a remote account's actor
    name = fields.CharField(max_length=200, default="")
    email = fields.CharField(max_length=320, null=True)  # a visitor's, never shown to the poster
    message = fields.TextField()
    from_poster = fields.BooleanField(default=False)
    reveal = fields.BooleanField(default=False)  # the poster chose to give the answerer their address
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "opportunity_answers"
