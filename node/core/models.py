"""Tortoise models. Migrations live in node/migrations (Tortoise's built-in migration commands)."""

from __future__ import annotations

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
    data = fields.JSONField(null=True)
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
    must_change_password = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_login_at = fields.DatetimeField(null=True)
    locale = fields.CharField(max_length=16, null=True)  # UI language preference (None: Accept-Language)
    failed_logins = fields.IntField(default=0)  # consecutive wrong passwords (lockout with backoff)
    locked_until = fields.DatetimeField(null=True)
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
    target: fields.ForeignKeyRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="followers_rel", on_delete=fields.CASCADE
    )
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
    url = fields.CharField(max_length=URI, null=True)
    source = fields.TextField(default="")
    content = fields.TextField(default="")
    content_map = fields.JSONField(null=True)
    summary = fields.TextField(default="")
    sensitive = fields.BooleanField(default=False)
    language = fields.CharField(max_length=35, null=True)
    visibility = fields.CharField(max_length=16, default="public")
    in_reply_to_uri = fields.CharField(max_length=URI, null=True, db_index=True)
    in_reply_to: fields.ForeignKeyNullableRelation[Post] = fields.ForeignKeyField(
        "models.Post", related_name="replies", null=True, on_delete=fields.SET_NULL
    )
    tags = fields.JSONField(default=list)
    to = fields.JSONField(default=list)
    cc = fields.JSONField(default=list)
    data = fields.JSONField(null=True)
    held = fields.BooleanField(default=False)  # a reply waiting for a moderator (moderated events)
    draft = fields.BooleanField(default=False, db_index=True)  # local, not published nor federated yet
    summary_map = fields.JSONField(null=True)  # {language: content warning}, several languages
    attachments = fields.JSONField(default=list)  # [{type, url, mediaType, name, width, height, blurhash}]
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
    post: fields.ForeignKeyRelation[Post] = fields.ForeignKeyField(
        "models.Post", related_name="interactions", on_delete=fields.CASCADE
    )
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
    data = fields.JSONField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "activities"


class Job(Model):
    """The durable queue. Leases, not deletes: a crashed worker's jobs return when locked_until passes."""

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharField(max_length=32)
    payload = fields.JSONField()
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


class Event(Model):
    """One occurrence of an event: ours (local) or received from the network calendar (remote).
    A recurring series is stored as its occurrences, which share `series_uid`."""

    id = fields.BigIntField(primary_key=True)
    uri = fields.CharField(max_length=URI, unique=True)
    local = fields.BooleanField(default=False, db_index=True)
    organizer: fields.ForeignKeyRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="events", on_delete=fields.CASCADE
    )
    group_uri = fields.CharField(max_length=URI, null=True)
    url = fields.CharField(max_length=URI, null=True)
    name = fields.CharField(max_length=1000)
    source = fields.TextField(default="")
    content = fields.TextField(default="")
    start = fields.DatetimeField(db_index=True)
    end = fields.DatetimeField(null=True)
    timezone = fields.CharField(max_length=64, default="UTC")
    all_day = fields.BooleanField(default=False)
    places = fields.JSONField(default=list)
    online_url = fields.CharField(max_length=URI, null=True)
    status = fields.CharField(max_length=16, default="CONFIRMED")
    join_mode = fields.CharField(max_length=16, default="free")
    capacity = fields.IntField(null=True)
    category = fields.CharField(max_length=64, null=True)
    language = fields.CharField(max_length=35, null=True)
    tags = fields.JSONField(default=list)
    external_url = fields.CharField(max_length=URI, null=True)
    banner_url = fields.CharField(max_length=URI, null=True)
    banner_alt = fields.CharField(max_length=1000, default="")
    banner_media_type = fields.CharField(max_length=64, null=True)
    name_map = fields.JSONField(null=True)  # {language: name} when written in several languages
    content_map = fields.JSONField(null=True)  # {language: sanitized HTML}
    source_map = fields.JSONField(null=True)  # {language: Markdown source} (local events)
    draft = fields.BooleanField(default=False, db_index=True)
    contacts = fields.JSONField(default=list)
    anonymous_participation = fields.BooleanField(default=False)
    comments_enabled = fields.BooleanField(default=True)
    replies_moderation = fields.CharField(max_length=16, default="allow_all")
    ical_uid = fields.CharField(max_length=512, null=True, db_index=True)
    series_uid = fields.CharField(max_length=512, null=True, db_index=True)
    participant_count = fields.IntField(default=0)
    data = fields.JSONField(null=True)
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
    actor: fields.ForeignKeyNullableRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="participations", null=True, on_delete=fields.CASCADE
    )
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


class Initiative(Model):
    """A community project (development, humanitarian appeal, advocacy, mutual aid, culture): ours
    (local) or received from another Agora node (the network initiatives)."""

    id = fields.BigIntField(primary_key=True)
    uri = fields.CharField(max_length=URI, unique=True)
    local = fields.BooleanField(default=False, db_index=True)
    organizer: fields.ForeignKeyRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="initiatives", on_delete=fields.CASCADE
    )
    url = fields.CharField(max_length=URI, null=True)
    title = fields.CharField(max_length=300)
    summary = fields.TextField(default="")
    source = fields.TextField(default="")
    content = fields.TextField(default="")
    kind = fields.CharField(max_length=32)  # development | humanitarian | advocacy | mutual_aid | cultural
    status = fields.CharField(max_length=16, default="proposed")  # proposed | active | achieved | closed | abandoned
    status_history = fields.JSONField(default=list)  # [{"status": ..., "at": ISO 8601}]
    place_there = fields.JSONField(null=True)  # a Place (federation.events.Place as a dict)
    place_here = fields.JSONField(null=True)
    cover_url = fields.CharField(max_length=URI, null=True)
    cover_alt = fields.CharField(max_length=1000, default="")
    cover_media_type = fields.CharField(max_length=64, null=True)
    name_map = fields.JSONField(null=True)  # {language: title}
    summary_map = fields.JSONField(null=True)  # {language: abstract}
    content_map = fields.JSONField(null=True)  # {language: sanitized HTML}
    source_map = fields.JSONField(null=True)  # {language: Markdown source} (local initiatives)
    draft = fields.BooleanField(default=False, db_index=True)
    replies_moderation = fields.CharField(max_length=16, default="default")  # default | allow_all | moderated | closed
    language = fields.CharField(max_length=35, null=True)
    tags = fields.JSONField(default=list)
    responsible = fields.JSONField(default=list)  # actor ids or names of the people responsible
    supporters_public = fields.BooleanField(default=True)
    support_count = fields.IntField(default=0)
    totals = fields.JSONField(default=dict)  # derived ledger totals, for remote initiatives as received
    data = fields.JSONField(null=True)
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
    kind = fields.CharField(max_length=16)  # volunteers | materials | money
    title = fields.CharField(max_length=300)
    description = fields.TextField(default="")
    skills = fields.JSONField(default=list)
    quantity = fields.IntField(null=True)  # volunteers or items wanted
    goal_minor = fields.BigIntField(null=True)  # money goal in minor units (cents)
    currency = fields.CharField(max_length=3, null=True)
    position = fields.IntField(default=0)

    class Meta:
        table = "needs"


class Pledge(Model):
    """Someone offering help against a need."""

    id = fields.BigIntField(primary_key=True)
    need: fields.ForeignKeyRelation[Need] = fields.ForeignKeyField(
        "models.Need", related_name="pledges", on_delete=fields.CASCADE
    )
    actor: fields.ForeignKeyNullableRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="pledges", null=True, on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=255, default="")
    email = fields.CharField(max_length=320, null=True)
    quantity = fields.IntField(null=True)
    amount_minor = fields.BigIntField(null=True)
    message = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "pledges"


class LedgerEntry(Model):
    """One line of the transparency ledger: money or in-kind, received or spent. Totals are derived."""

    id = fields.BigIntField(primary_key=True)
    initiative: fields.ForeignKeyRelation[Initiative] = fields.ForeignKeyField(
        "models.Initiative", related_name="ledger", on_delete=fields.CASCADE
    )
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
    actor: fields.ForeignKeyRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="supports", on_delete=fields.CASCADE
    )
    held = fields.BooleanField(default=False)  # remote support waiting for a moderator
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "supports"
        unique_together = (("initiative", "actor"),)


class Media(Model):
    """An uploaded image: the original re-encoded without metadata, and smaller sizes for small screens.
    Files live under data_dir/media/, `variants` maps a width to its file name."""

    id = fields.BigIntField(primary_key=True)
    key = fields.CharField(max_length=64, unique=True)  # random, names the files: /media/<key>-<width>.<ext>
    owner: fields.ForeignKeyNullableRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="media", null=True, on_delete=fields.SET_NULL
    )
    media_type = fields.CharField(max_length=64)  # image/jpeg | image/png | image/webp | image/gif
    width = fields.IntField()
    height = fields.IntField()
    size = fields.BigIntField(default=0)  # bytes of the largest variant
    alt = fields.TextField(default="")
    blurhash = fields.CharField(max_length=64, null=True)
    variants = fields.JSONField(default=dict)  # {"1280": "key-1280.jpg", ...}
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "media"


class Invitation(Model):
    """An invitation to become a member: a single-use link with a role, optionally sent by email."""

    id = fields.BigIntField(primary_key=True)
    token_hash = fields.CharField(max_length=128, unique=True)  # sha256 of the token; the token is only in the link
    email = fields.CharField(max_length=320, null=True)
    role = fields.CharField(max_length=16, default="member")
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="invitations_sent", null=True, on_delete=fields.SET_NULL
    )
    used_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="invitation_used", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "invitations"


class Notification(Model):
    """Something a member should know: a reply, mention, follow, join or support. `recipient` is a
    local actor: a member's own, or the association's (shown to its editors and admins)."""

    id = fields.BigIntField(primary_key=True)
    recipient: fields.ForeignKeyRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="notifications", on_delete=fields.CASCADE
    )
    kind = fields.CharField(max_length=16)  # reply | mention | follow | follow_request | join | support | report
    source: fields.ForeignKeyNullableRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="notifications_caused", null=True, on_delete=fields.CASCADE
    )
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
    value = fields.JSONField()
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "site_settings"


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


class Report(Model):
    """A report about an account or content: from a member, or a remote server's Flag."""

    id = fields.BigIntField(primary_key=True)
    uri = fields.CharField(max_length=URI, null=True, unique=True)  # the Flag's id (remote) or ours
    reporter: fields.ForeignKeyNullableRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="reports_made", null=True, on_delete=fields.SET_NULL
    )
    reporter_domain = fields.CharField(max_length=255, null=True)  # for remote Flags sent by an instance actor
    target: fields.ForeignKeyNullableRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="reports_received", null=True, on_delete=fields.SET_NULL
    )
    target_uri = fields.CharField(max_length=URI)
    object_uris = fields.JSONField(default=list)
    comment = fields.TextField(default="")
    local = fields.BooleanField(default=False)  # made on this node
    forwarded_at = fields.DatetimeField(null=True)  # sent as a Flag to the target's server
    state = fields.CharField(max_length=16, default="open", db_index=True)  # open | resolved | dismissed
    action_taken = fields.CharField(max_length=32, null=True)
    resolved_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="reports_resolved", null=True, on_delete=fields.SET_NULL
    )
    resolved_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "reports"


class AuditEntry(Model):
    """One moderation or admin action: who did what to what, and when. Never edited."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="audit_entries", null=True, on_delete=fields.SET_NULL
    )
    by = fields.CharField(max_length=128)  # username, "cli" or "system" (kept when the user is gone)
    action = fields.CharField(max_length=64, db_index=True)  # e.g. domain.suspend, report.dismiss, user.role
    target = fields.CharField(max_length=URI, default="")
    details = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "audit_log"
