"""Subscriptions to topics and categories, and what a new post of a thread notifies: the topic's and
the category's subscribers, the author replied to and the members mentioned hear of it in the web and,
unless they said no, by email (through the job queue, so a mail server outage loses nothing).

The email is written when its job runs, from the rows as they are then: a post deleted, held or
removed meanwhile, a member disabled or gone, or a member who turned forum emails off, gets nothing."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from tortoise.expressions import Q

from node.core import i18n, jobs
from node.core.mail import MailError, send_mail
from node.core.models import Actor, Post, User
from node.core.runtime import Node
from node.core.sanitize import plain_text
from node.forum.access import can_read
from node.forum.categories import localized
from node.forum.models import Category, Entry, Subscription, Topic
from node.social import notify

log = logging.getLogger("agora.forum")

MAIL_JOB = "forum.mail"
EMAIL_CHOICE = "forum_email"  # in the member's Actor.data: False turns forum emails off
MAIL_EXCERPT = 1500


async def subscribe(actor: Actor, *, topic: Topic | None = None, category_id: int | None = None) -> None:
    await Subscription.get_or_create(actor=actor, topic=topic, category_id=category_id)


async def unsubscribe(actor: Actor, *, topic: Topic | None = None, category_id: int | None = None) -> None:
    await Subscription.filter(actor=actor, topic=topic, category_id=category_id).delete()


async def is_subscribed(actor: Actor, *, topic: Topic | None = None, category_id: int | None = None) -> bool:
    return await Subscription.filter(actor=actor, topic=topic, category_id=category_id).exists()


def wants_email(actor: Actor) -> bool:
    """Forum emails are on unless the member turned them off."""
    return not (isinstance(actor.data, dict) and actor.data.get(EMAIL_CHOICE) is False)


async def set_email_choice(actor: Actor, wanted: bool) -> None:
    data = dict(actor.data) if isinstance(actor.data, dict) else {}
    data[EMAIL_CHOICE] = wanted
    actor.data = data
    await actor.save(update_fields=["data"])


def _mentioned(post: Post) -> set[str]:
    tags = post.tags if isinstance(post.tags, list) else []
    return {t["href"] for t in tags if isinstance(t, dict) and t.get("type") == "Mention" and isinstance(t.get("href"), str)}


async def _readers(category: Category, actor_ids: set[int]) -> dict[int, User]:
    """The active members among these actors who may read the category, by actor id."""
    users = await User.filter(actor_id__in=actor_ids, disabled=False)
    return {u.actor_id: u for u in users if can_read(category, u)}


async def posted(node: Node, topic: Topic, post: Post) -> None:
    """A post became visible in a thread: the author replied to and the members mentioned (see
    social/notify.local_post), then the topic's subscribers (a reply) or the category's (a new topic,
    or any post when they follow the whole category), the author excepted, each once."""
    author = await Actor.get(id=post.author_id)
    category = await Category.get(id=topic.category_id)
    opening = post.id == topic.post_id
    concerned = await notify.local_post(node, post)
    query = Subscription.filter(category_id=topic.category_id, topic_id=None)
    if not opening:
        query = Subscription.filter(Q(category_id=topic.category_id, topic_id=None) | Q(topic=topic))
    ids = {int(row["actor_id"]) for row in await query.values("actor_id")}
    readers = await _readers(category, ids | concerned)
    mentioned = {a.id for a in await Actor.filter(uri__in=_mentioned(post), local=True)} if concerned else set()
    for recipient in await Actor.filter(id__in=ids - concerned, local=True, deleted_at=None):
        if recipient.id in readers:
            await notify.notify(recipient, "topic" if opening else "reply", author, post.uri, post.url or post.uri,
                                text=topic.title)
    for actor_id, user in readers.items():
        if actor_id == author.id:
            continue
        kind = "mention" if actor_id in mentioned else "topic" if opening else "reply"
        await jobs.enqueue(MAIL_JOB, {"user": user.id, "post": post.id, "kind": kind},
                           dedupe_key=f"{MAIL_JOB} {user.id} {post.id}")


# ------------------------------------------------------------------ the email job


async def _shown_entry(post_id: int) -> tuple[Post, Topic, Category] | None:
    """The post, its topic and category, while the post is still shown in its thread."""
    post = await Post.get_or_none(id=post_id, deleted_at=None, draft=False)
    entry = await Entry.get_or_none(post_id=post_id, held=False, removed_at=None) if post is not None else None
    if post is None or entry is None:
        return None
    topic = await Topic.get(id=entry.topic_id)
    if topic.removed_at is not None or topic.held:
        return None
    return post, topic, await Category.get(id=topic.category_id)


def _mail_text(node: Node, kind: str, who: str, post: Post, topic: Topic, category: Category, language: str) -> tuple[str, str]:
    name = localized(category.name_map, language, category.slug)
    title = localized(topic.title_map, language, topic.title)
    if kind == "mention":
        subject = i18n.gettext("%(who)s mentioned you in %(title)s", who=who, title=title)
    elif kind == "topic":
        subject = i18n.gettext("New topic in %(category)s: %(title)s", category=name, title=title)
    else:
        subject = i18n.gettext("New reply in %(title)s", title=title)
    body = plain_text(post.content, MAIL_EXCERPT)
    link = post.url or post.uri
    text = "\n\n".join([
        i18n.gettext("%(who)s wrote in %(title)s (%(category)s):", who=who, title=title, category=name),
        body, link,
        i18n.gettext("You receive this because you follow this topic or category, or were mentioned. "
                     "Stop forum emails: %(link)s", link=f"{node.urls.base}/account#forum-email"),
    ])
    return subject, text + "\n"


async def send_notice(node: Node, payload: Mapping[str, Any], attempt: int) -> None:
    """The job: one forum email, if it is still due; a mail server that does not answer is tried again."""
    user = await User.get_or_none(id=payload.get("user"), disabled=False)
    actor = await Actor.get_or_none(id=user.actor_id, deleted_at=None) if user is not None else None
    found = await _shown_entry(int(payload.get("post") or 0))
    if user is None or actor is None or found is None or not wants_email(actor) or not user.email:
        return
    post, topic, category = found
    if not can_read(category, user):
        return
    author = await Actor.get(id=post.author_id)
    language = user.locale or node.settings.association.language
    i18n.activate(language)
    subject, text = _mail_text(node, str(payload.get("kind")), author.name or author.handle, post, topic, category, language)
    try:
        await send_mail(node.settings, user.email, subject, text)
    except MailError as exc:
        raise jobs.RetryLater(str(exc), jobs.generic_retry_delay(attempt)) from exc


def job_handlers(node: Node) -> dict[str, jobs.JobHandler]:
    async def mail(payload: Mapping[str, Any], attempt: int) -> None:
        await send_notice(node, payload, attempt)

    return {MAIL_JOB: mail}
