"""The forum's tables: categories (each public one a Group actor), topics, the posts of a thread,
edit history, per-category moderators, subscriptions and read marks.

A topic's opening post and its replies are ordinary `Post` rows (so likes, reports, holds, fetches and
delivery work as for any post); the rows here say where in which thread each one sits."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from node.core.models import URI, Actor, Post

START_POLICIES = ("members", "editors", "everyone")  # who may start topics; "everyone": also remote accounts
READ_ACCESS = ("public", "members")


class Category(Model):
    """A forum category. A public one is followable as its own Group actor (`@slug@host`), a
    members-only one has a hidden actor (its name taken), so nothing about it can leave the node."""

    id = fields.BigIntField(primary_key=True)
    slug = fields.CharField(max_length=64, unique=True)
    actor: fields.OneToOneNullableRelation[Actor] = fields.OneToOneField(
        "models.Actor", related_name="category", null=True, on_delete=fields.SET_NULL
    )
    actor_id: int | None
    name_map: fields.JSONField[Any] = fields.JSONField(default=dict)  # {language: name}
    description_map: fields.JSONField[Any] = fields.JSONField(default=dict)  # {language: Markdown-free text}
    position = fields.IntField(default=0)
    color = fields.CharField(max_length=16, default="")  # "#1f6feb" or empty
    icon = fields.CharField(max_length=16, default="")  # one emoji or empty
    start_policy = fields.CharField(max_length=16, default="members")
    read_access = fields.CharField(max_length=16, default="public")
    approve_new = fields.BooleanField(default=False)  # new members' and remote accounts' first posts wait
    topic_count = fields.IntField(default=0)
    post_count = fields.IntField(default=0)
    last_activity_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "forum_categories"
        ordering = ["position", "id"]


class Topic(Model):
    """A thread: its opening post, where it is filed, and what the lists show of it."""

    id = fields.BigIntField(primary_key=True)
    slug = fields.CharField(max_length=64, unique=True)  # /topics/<slug>: the thread page and its context
    category: fields.ForeignKeyRelation[Category] = fields.ForeignKeyField(
        "models.Category", related_name="topics", on_delete=fields.CASCADE
    )
    category_id: int
    post: fields.OneToOneRelation[Post] = fields.OneToOneField(
        "models.Post", related_name="topic", on_delete=fields.CASCADE
    )
    post_id: int
    title = fields.CharField(max_length=300)
    title_map: fields.JSONField[Any] = fields.JSONField(null=True)  # {language: title}, several languages
    pinned = fields.BooleanField(default=False, db_index=True)
    locked = fields.BooleanField(default=False)
    held = fields.BooleanField(default=False)  # waiting for a moderator's approval
    removed_at = fields.DatetimeField(null=True)
    removed_reason = fields.TextField(default="")
    reply_count = fields.IntField(default=0)  # visible replies
    like_count = fields.IntField(default=0)
    last_position = fields.IntField(default=0)  # the position of the thread's newest post
    last_activity_at = fields.DatetimeField(db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "forum_topics"


class Entry(Model):
    """One post's place in a thread: position 0 is the opening post, replies count up. A removed post
    keeps its place (the thread shows "removed") and its row, so a moderator can restore it."""

    id = fields.BigIntField(primary_key=True)
    topic: fields.ForeignKeyRelation[Topic] = fields.ForeignKeyField(
        "models.Topic", related_name="entries", on_delete=fields.CASCADE
    )
    topic_id: int
    post: fields.OneToOneRelation[Post] = fields.OneToOneField(
        "models.Post", related_name="entry", on_delete=fields.CASCADE
    )
    post_id: int
    position = fields.IntField()
    held = fields.BooleanField(default=False)  # waiting for a moderator's approval
    removed_at = fields.DatetimeField(null=True)
    removed_reason = fields.TextField(default="")
    removed_by: fields.ForeignKeyNullableRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="forum_removals", null=True, on_delete=fields.SET_NULL
    )
    removed_by_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "forum_entries"
        unique_together = (("topic", "position"),)


class Revision(Model):
    """A version a post had before an edit (moderators see the history, everyone sees "edited")."""

    id = fields.BigIntField(primary_key=True)
    post: fields.ForeignKeyRelation[Post] = fields.ForeignKeyField(
        "models.Post", related_name="revisions", on_delete=fields.CASCADE
    )
    post_id: int
    editor: fields.ForeignKeyNullableRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="forum_revisions", null=True, on_delete=fields.SET_NULL
    )
    editor_id: int | None
    title = fields.CharField(max_length=300, default="")
    source = fields.TextField(default="")
    content = fields.TextField(default="")
    content_map: fields.JSONField[Any] = fields.JSONField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "forum_revisions"
        ordering = ["id"]


class CategoryModerator(Model):
    id = fields.BigIntField(primary_key=True)
    category: fields.ForeignKeyRelation[Category] = fields.ForeignKeyField(
        "models.Category", related_name="moderators", on_delete=fields.CASCADE
    )
    category_id: int
    actor: fields.ForeignKeyRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="forum_moderations", on_delete=fields.CASCADE
    )
    actor_id: int

    class Meta:
        table = "forum_moderators"
        unique_together = (("category", "actor"),)


class Subscription(Model):
    """A member follows a topic or a whole category: notified in the web and by email."""

    id = fields.BigIntField(primary_key=True)
    actor: fields.ForeignKeyRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="forum_subscriptions", on_delete=fields.CASCADE
    )
    actor_id: int
    topic: fields.ForeignKeyNullableRelation[Topic] = fields.ForeignKeyField(
        "models.Topic", related_name="subscriptions", null=True, on_delete=fields.CASCADE
    )
    topic_id: int | None
    category: fields.ForeignKeyNullableRelation[Category] = fields.ForeignKeyField(
        "models.Category", related_name="subscriptions", null=True, on_delete=fields.CASCADE
    )
    category_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "forum_subscriptions"
        unique_together = (("actor", "topic", "category"),)


class ReadMark(Model):
    """How far a member has read a topic (the newest position seen)."""

    id = fields.BigIntField(primary_key=True)
    actor: fields.ForeignKeyRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="forum_read_marks", on_delete=fields.CASCADE
    )
    actor_id: int
    topic: fields.ForeignKeyRelation[Topic] = fields.ForeignKeyField(
        "models.Topic", related_name="read_marks", on_delete=fields.CASCADE
    )
    topic_id: int
    position = fields.IntField(default=0)
    seen_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "forum_read_marks"
        unique_together = (("actor", "topic"),)


class Visit(Model):
    """When a member last looked at the forum: topics active since then are "new" to them."""

    id = fields.BigIntField(primary_key=True)
    actor: fields.OneToOneRelation[Actor] = fields.OneToOneField(
        "models.Actor", related_name="forum_visit", on_delete=fields.CASCADE
    )
    actor_id: int
    previous_at = fields.DatetimeField(null=True)  # the visit before this one: what "new" is measured from
    seen_at = fields.DatetimeField()

    class Meta:
        table = "forum_visits"
