"""The policy tables (Tortoise models of the app "models", alongside node/core/models.py)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from node.core.models import URI



class PolicySubscription(Model):
    """A remote block or allow list (CSV, Mastodon format) refreshed on a schedule: what it brings
    becomes drafts that an admin approves (GoToSocial's domain-permission subscriptions)."""

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharField(max_length=8)  # block | allow
    url = fields.CharField(max_length=URI)
    refresh_hours = fields.IntField(default=24)
    auto_approve = fields.BooleanField(default=False)
    etag = fields.CharField(max_length=255, null=True)
    last_fetched_at = fields.DatetimeField(null=True)
    last_error = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "policy_subscriptions"
        unique_together = (("kind", "url"),)


class DomainPolicy(Model):
    """A rule about a remote domain (and its subdomains). Blocks: suspend | silence | noop (with
    reject_media / reject_reports). Allows: action "allow". `state` draft rules wait for approval."""

    id = fields.BigIntField(primary_key=True)
    domain = fields.CharField(max_length=255, db_index=True)
    action = fields.CharField(max_length=16)  # suspend | silence | noop | allow
    reject_media = fields.BooleanField(default=False)
    reject_reports = fields.BooleanField(default=False)
    public_comment = fields.TextField(default="")
    private_comment = fields.TextField(default="")
    obfuscate = fields.BooleanField(default=False)
    state = fields.CharField(max_length=16, default="active")  # active | draft | rejected
    subscription: fields.ForeignKeyNullableRelation[PolicySubscription] = fields.ForeignKeyField(
        "models.PolicySubscription", related_name="rules", null=True, on_delete=fields.SET_NULL
    )
    subscription_id: int | None  # the column behind `subscription`
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "domain_policies"
        unique_together = (("domain", "action", "state"),)


class ActorBlock(Model):
    """A node-wide rule about one remote account, by URI (it may not have been fetched yet)."""

    id = fields.BigIntField(primary_key=True)
    uri = fields.CharField(max_length=URI, unique=True)
    action = fields.CharField(max_length=16, default="suspend")  # suspend | silence
    reason = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "actor_blocks"


class Relay(Model):
    """An ActivityPub relay the node subscribes to (Mastodon/LitePub protocol)."""

    id = fields.BigIntField(primary_key=True)
    inbox_url = fields.CharField(max_length=URI, unique=True)
    actor_uri = fields.CharField(max_length=URI, null=True)
    follow_uri = fields.CharField(max_length=URI, null=True)
    state = fields.CharField(max_length=16, default="pending")  # pending | accepted | rejected
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "relays"
