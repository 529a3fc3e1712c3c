"""Tortoise models. Migrations live in node/migrations (Tortoise's built-in migration commands)."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

URI = 2048


class Actor(Model):
    """A local or remote ActivityPub actor. Local actors hold their private key here and nowhere else."""

    id = fields.BigIntField(primary_key=True)
    uri = fields.CharField(max_length=URI, unique=True)
    local = fields.BooleanField(default=False, db_index=True)
    kind = fields.CharField(max_length=32, default="Person")
    username = fields.CharField(max_length=255, null=True)
    domain = fields.CharField(max_length=255, db_index=True)
    name = fields.CharField(max_length=512, default="")
    summary = fields.TextField(default="")
    url = fields.CharField(max_length=URI, null=True)
    icon_url = fields.CharField(max_length=URI, null=True)
    inbox = fields.CharField(max_length=URI, null=True)
    shared_inbox = fields.CharField(max_length=URI, null=True)
    followers_url = fields.CharField(max_length=URI, null=True)
    key_id = fields.CharField(max_length=URI, null=True, db_index=True)
    public_key_pem = fields.TextField(null=True)
    private_key_pem = fields.TextField(null=True)
    manually_approves_followers = fields.BooleanField(default=False)
    data: fields.JSONField[Any] = fields.JSONField(null=True)
    fetched_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    deleted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "actors"
        indexes = (("domain", "username"),)

    @property
    def handle(self) -> str:
        return f"@{self.username}@{self.domain}" if self.username else self.uri

    def __str__(self) -> str:
        return self.handle


class User(Model):
    """A member account of this node, with its own Person actor."""

    id = fields.BigIntField(primary_key=True)
    username = fields.CharField(max_length=64, unique=True)
    email = fields.CharField(max_length=320, unique=True)
    password_hash = fields.CharField(max_length=255)
    role = fields.CharField(max_length=16, default="member")
    actor: fields.OneToOneRelation[Actor] = fields.OneToOneField("models.Actor", related_name="user")
    actor_id: int  # the column behind `actor`
    must_change_password = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_login_at = fields.DatetimeField(null=True)
    locale = fields.CharField(max_length=16, null=True)  # UI language preference (None: Accept-Language)
    failed_logins = fields.IntField(default=0)  # wrong passwords from any address since failures_since
    failures_since = fields.DatetimeField(null=True)  # start of the window of the per-account limit
    locked_until = fields.DatetimeField(null=True)  # locked for everyone (the per-account limit)
    disabled = fields.BooleanField(default=False)  # an admin removed the member's access

    class Meta:
        table = "users"


class Follow(Model):
    """follower -> target. `uri` is the Follow activity's id, which Undo and Accept refer to."""

    id = fields.BigIntField(primary_key=True)
    uri = fields.CharField(max_length=URI, unique=True)
    follower: fields.ForeignKeyRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="following_rel", on_delete=fields.CASCADE
    )
    follower_id: int  # the column behind `follower`
    target: fields.ForeignKeyRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="followers_rel", on_delete=fields.CASCADE
    )
    target_id: int  # the column behind `target`
    state = fields.CharField(max_length=16, default="pending")  # pending | accepted
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "follows"
        unique_together = (("follower", "target"),)


class Post(Model):
    """A Note (or other object) written here or received from elsewhere."""

    id = fields.BigIntField(primary_key=True)
    uri = fields.CharField(max_length=URI, unique=True)
    local = fields.BooleanField(default=False, db_index=True)
    kind = fields.CharField(max_length=32, default="Note")
    author: fields.ForeignKeyRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="posts", on_delete=fields.CASCADE
    )
    author_id: int  # the column behind `author`
    url = fields.CharField(max_length=URI, null=True)
    source = fields.TextField(default="")
    content = fields.TextField(default="")
    content_map: fields.JSONField[Any] = fields.JSONField(null=True)
    summary = fields.TextField(default="")
    sensitive = fields.BooleanField(default=False)
    language = fields.CharField(max_length=35, null=True)
    visibility = fields.CharField(max_length=16, default="public")
    in_reply_to_uri = fields.CharField(max_length=URI, null=True, db_index=True)
    in_reply_to: fields.ForeignKeyNullableRelation[Post] = fields.ForeignKeyField(
        "models.Post", related_name="replies", null=True, on_delete=fields.SET_NULL
    )
    in_reply_to_id: int | None  # the column behind `in_reply_to`
    tags: fields.JSONField[Any] = fields.JSONField(default=list)
    to: fields.JSONField[Any] = fields.JSONField(default=list)
    cc: fields.JSONField[Any] = fields.JSONField(default=list)
    data: fields.JSONField[Any] = fields.JSONField(null=True)
    held = fields.BooleanField(default=False)  # a reply waiting for a moderator (moderated events)
    draft = fields.BooleanField(default=False, db_index=True)  # local, not published nor federated yet
    summary_map: fields.JSONField[Any] = fields.JSONField(null=True)  # {language: content warning}, several languages
    attachments: fields.JSONField[Any] = fields.JSONField(default=list)  # [{type, url, mediaType, name, width, height, blurhash}]
    replies_moderation = fields.CharField(max_length=16, default="default")  # default | allow_all | moderated | closed
    reply_count = fields.IntField(default=0)
    like_count = fields.IntField(default=0)
    announce_count = fields.IntField(default=0)
    published = fields.DatetimeField(db_index=True)
    updated = fields.DatetimeField(null=True)
    deleted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "posts"


class Interaction(Model):
    """A Like or an Announce (boost) of a post, by its activity id so that Undo can find it."""

    id = fields.BigIntField(primary_key=True)
    uri = fields.CharField(max_length=URI, unique=True)
    kind = fields.CharField(max_length=16)  # Like | Announce
    actor: fields.ForeignKeyRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="interactions", on_delete=fields.CASCADE
    )
    actor_id: int  # the column behind `actor`
    post: fields.ForeignKeyRelation[Post] = fields.ForeignKeyField(
        "models.Post", related_name="interactions", on_delete=fields.CASCADE
    )
    post_id: int  # the column behind `post`
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "interactions"
        unique_together = (("kind", "actor", "post"),)


class Activity(Model):
    """Every activity received (unique id = idempotence) or sent (so that its id dereferences)."""

    id = fields.BigIntField(primary_key=True)
    uri = fields.CharField(max_length=URI, unique=True)
    kind = fields.CharField(max_length=32)
    actor_uri = fields.CharField(max_length=URI)
    outgoing = fields.BooleanField(default=False)
    data: fields.JSONField[Any] = fields.JSONField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "activities"


class Job(Model):
    """The durable queue. Leases, not deletes: a crashed worker's jobs return when locked_until passes."""

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharField(max_length=32)
    payload: fields.JSONField[Any] = fields.JSONField()
    status = fields.CharField(max_length=16, default="queued")  # queued | running | done | dead
    attempts = fields.IntField(default=0)
    run_at = fields.DatetimeField()
    locked_by = fields.CharField(max_length=64, null=True)
    locked_until = fields.DatetimeField(null=True)
    last_error = fields.TextField(null=True)
    dedupe_key = fields.CharField(max_length=URI, null=True, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "jobs"
        indexes = (("status", "run_at"),)


class Host(Model):
    """Delivery health of one remote host."""

    id = fields.BigIntField(primary_key=True)
    domain = fields.CharField(max_length=255, unique=True)
    failures = fields.IntField(default=0)
    first_failure_at = fields.DatetimeField(null=True)
    next_probe_at = fields.DatetimeField(null=True)
    last_error = fields.TextField(null=True)
    last_success_at = fields.DatetimeField(null=True)

    class Meta:
        table = "hosts"


class Media(Model):
    """An uploaded image: the original re-encoded without metadata, and smaller sizes for small screens.
    Files live under data_dir/media/, `variants` maps a width to its file name."""

    id = fields.BigIntField(primary_key=True)
    key = fields.CharField(max_length=64, unique=True)  # random, names the files: /media/<key>-<width>.<ext>
    owner: fields.ForeignKeyNullableRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="media", null=True, on_delete=fields.SET_NULL
    )
    owner_id: int | None  # the column behind `owner`
    media_type = fields.CharField(max_length=64)  # image/jpeg | image/png | image/webp | image/gif
    width = fields.IntField()
    height = fields.IntField()
    size = fields.BigIntField(default=0)  # bytes of the largest variant
    alt = fields.TextField(default="")
    blurhash = fields.CharField(max_length=64, null=True)
    variants: fields.JSONField[Any] = fields.JSONField(default=dict)  # {"1280": "key-1280.jpg", ...}
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "media"


class Notification(Model):
    """Something a member should know: a reply, mention, follow, join or support. `recipient` is a
    local actor: a member's own, or the association's (shown to its editors and admins)."""

    id = fields.BigIntField(primary_key=True)
    recipient: fields.ForeignKeyRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="notifications", on_delete=fields.CASCADE
    )
    recipient_id: int  # the column behind `recipient`
    kind = fields.CharField(max_length=16)  # reply | mention | follow | follow_request | join | support | report
    source: fields.ForeignKeyNullableRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="notifications_caused", null=True, on_delete=fields.CASCADE
    )
    source_id: int | None  # the column behind `source`
    object_uri = fields.CharField(max_length=URI, null=True)
    text = fields.TextField(default="")
    read_at = fields.DatetimeField(null=True)
    dedupe_key = fields.CharField(max_length=URI, null=True, unique=True)  # one notification per cause
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "notifications"
        indexes = (("recipient_id", "read_at"),)


class SiteSetting(Model):
    """Node settings changed from the admin console (federation mode, held replies...), as JSON values.
    A key here overrides the config file's value."""

    key = fields.CharField(max_length=64, primary_key=True)
    value: fields.JSONField[Any] = fields.JSONField()
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "site_settings"


class AuditEntry(Model):
    """One moderation or admin action: who did what to what, and when. Never edited."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="audit_entries", null=True, on_delete=fields.SET_NULL
    )
    user_id: int | None  # the column behind `user`
    by = fields.CharField(max_length=128)  # username, "cli" or "system" (kept when the user is gone)
    action = fields.CharField(max_length=64, db_index=True)  # e.g. domain.suspend, report.dismiss, user.role
    target = fields.CharField(max_length=URI, default="")
    details: fields.JSONField[Any] = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "audit_log"
