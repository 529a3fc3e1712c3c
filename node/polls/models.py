"""The polls tables (Tortoise models of the app "models", alongside node/core/models.py)."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from node.core.models import URI, Actor, Post


class Poll(Model):
    """The poll of a post (ours or another server's question). Options are stored as a list of
    name and count. For our polls the counts are those of the votes below, for other servers'
    polls they are what their last Question said (plus our members' votes since)."""

    id = fields.BigIntField(primary_key=True)
    post: fields.OneToOneRelation[Post] = fields.OneToOneField("models.Post", related_name="poll", on_delete=fields.CASCADE)
    post_id: int  # the column behind `post`
    local = fields.BooleanField(default=True)
    multiple = fields.BooleanField(default=False)  # anyOf
    options: fields.JSONField[Any] = fields.JSONField(default=list)
    voters_count = fields.IntField(default=0)
    hide_totals = fields.BooleanField(default=False)  # counts shown only once the poll is over
    ends_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "polls"


class PollVote(Model):
    """One chosen option. `slot` is the choice in a multiple-choice poll and -1 otherwise, so the
    unique key allows one vote per voter in a single-choice poll and one per option in the other."""

    id = fields.BigIntField(primary_key=True)
    poll: fields.ForeignKeyRelation[Poll] = fields.ForeignKeyField("models.Poll", related_name="votes", on_delete=fields.CASCADE)
    poll_id: int  # the column behind `poll`
    actor: fields.ForeignKeyRelation[Actor] = fields.ForeignKeyField("models.Actor", related_name="poll_votes", on_delete=fields.CASCADE)
    actor_id: int  # the column behind `actor`
    choice = fields.IntField()
    slot = fields.IntField()
    uri = fields.CharField(max_length=URI, null=True, unique=True)  # the vote Note
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "poll_votes"
        unique_together = (("poll", "actor", "slot"),)
