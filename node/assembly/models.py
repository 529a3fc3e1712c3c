"""The assembly tables (Tortoise models of the app "models", alongside node/core/models.py).

A vote of the general assembly (`Vote`), the members who may vote in it, snapshotted when it opens
(`Voter`, one row per eligible member), the proxies members give each other (`Proxy`) and the ballots
(`Ballot`). A secret ballot holds no voter, no time and a random key: only the `Voter` row says that
the member (or their proxy holder) has voted, and nothing in either row links it to the ballot."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from node.core.models import User


class Vote(Model):
    """A motion or an election of the general assembly: members only, never federated."""

    id = fields.BigIntField(primary_key=True)
    title = fields.CharField(max_length=300)
    text = fields.TextField(default="")  # Markdown, shown sanitized
    translations: fields.JSONField[Any] = fields.JSONField(default=dict)  # {language: {"title", "text"}}
    kind = fields.CharField(max_length=8, default="motion")  # motion (adopted or rejected) | choice
    options: fields.JSONField[Any] = fields.JSONField(default=list)  # the option labels, in order
    max_choices = fields.IntField(default=1)  # more than 1 for elections of several seats
    abstain = fields.BooleanField(default=True)  # a blank ballot may be cast (counted in turnout)
    roles: fields.JSONField[Any] = fields.JSONField(default=list)  # roles of the eligible members
    secret = fields.BooleanField(default=False)
    quorum_percent = fields.IntField(default=0)  # minimum turnout as a share of eligible voters
    quorum_count = fields.IntField(default=0)  # or as a number of ballots
    majority = fields.CharField(max_length=16, default="simple")  # simple | absolute | two-thirds
    max_proxies = fields.IntField(default=1)  # proxies one member may hold
    status = fields.CharField(max_length=8, default="draft", db_index=True)  # draft | open | closed
    opens_at = fields.DatetimeField(null=True)
    closes_at = fields.DatetimeField()
    salt = fields.CharField(max_length=64)  # the receipts' salt, one per vote
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="assembly_votes", null=True, on_delete=fields.SET_NULL
    )
    created_by_id: int | None  # the column behind `created_by`
    created_at = fields.DatetimeField(auto_now_add=True)
    opened_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)
    # How many members the snapshot held when it opened: the turnout's denominator. A member who deletes
    # their account removes their `Voter` row but not the ballot cast, so the rows are not counted again.
    eligible = fields.IntField(null=True)
    result: fields.JSONField[Any] = fields.JSONField(null=True)  # the tally, written at close

    class Meta:
        table = "assembly_votes"


class Voter(Model):
    """One eligible member of one vote, from the snapshot taken when it opened. `voted` says only that
    a ballot was cast for them (by themselves or their proxy holder), never which one or when."""

    id = fields.BigIntField(primary_key=True)
    vote: fields.ForeignKeyRelation[Vote] = fields.ForeignKeyField(
        "models.Vote", related_name="voters", on_delete=fields.CASCADE
    )
    vote_id: int  # the column behind `vote`
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="assembly_voters", on_delete=fields.CASCADE
    )
    user_id: int  # the column behind `user`
    role = fields.CharField(max_length=16)  # the role when the vote opened
    voted = fields.BooleanField(default=False)

    class Meta:
        table = "assembly_voters"
        unique_together = (("vote", "user"),)


class Proxy(Model):
    """A member (`giver`) lets another (`holder`) vote for them in one vote. Active until revoked by the
    giver or used by the holder (then the giver cannot vote themselves)."""

    id = fields.BigIntField(primary_key=True)
    vote: fields.ForeignKeyRelation[Vote] = fields.ForeignKeyField(
        "models.Vote", related_name="proxies", on_delete=fields.CASCADE
    )
    vote_id: int  # the column behind `vote`
    giver: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="assembly_proxies_given", on_delete=fields.CASCADE
    )
    giver_id: int  # the column behind `giver`
    holder: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="assembly_proxies_held", on_delete=fields.CASCADE
    )
    holder_id: int  # the column behind `holder`
    status = fields.CharField(max_length=8, default="active", db_index=True)  # active | revoked | used | void
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "assembly_proxies"


class Ballot(Model):
    """One ballot. Its key is random (not sequential) and it has no time column. `choices` holds
    indexes into the vote's options (empty: a blank ballot). `voter` and `cast_by` are filled for open
    ballots only. `receipt_hash` is the salted hash of the code shown once to whoever cast it."""

    id = fields.CharField(max_length=32, primary_key=True)
    vote: fields.ForeignKeyRelation[Vote] = fields.ForeignKeyField(
        "models.Vote", related_name="ballots", on_delete=fields.CASCADE
    )
    vote_id: int  # the column behind `vote`
    choices: fields.JSONField[Any] = fields.JSONField(default=list)
    receipt_hash = fields.CharField(max_length=64, db_index=True)
    voter: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="assembly_open_ballots", null=True, on_delete=fields.SET_NULL
    )
    voter_id: int | None  # the column behind `voter` (open ballots only)
    cast_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="assembly_proxy_ballots", null=True, on_delete=fields.SET_NULL
    )
    cast_by_id: int | None  # the proxy holder who cast it (open ballots only)

    class Meta:
        table = "assembly_ballots"
