"""Members' notifications by email, per kind (`Subscriber.notify_kinds`, of node/social/notify.KINDS).

node/social/notify.notify calls `notified` after writing a Notification: when the recipient is a
member whose own address row (`Subscriber.user`) is active and has chosen that kind, one mail job is
queued (deduplicated on the notification). The job writes the message from the notification as it
is when it runs: a notification deleted meanwhile, a disabled member, an address unsubscribed or a
kind no longer chosen gets nothing. (This module imports no feature, so notify.py may import it.)"""

from __future__ import annotations

from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any

from node.core import i18n, jobs
from node.core.models import Actor, Notification
from node.core.runtime import Node
from node.mailing import messages, sending
from node.mailing.models import Subscriber

NOTIFICATION_JOB = "mail.notification"


def job_key(notification_id: int) -> str:
    return f"{NOTIFICATION_JOB} {notification_id}"


async def _subscriber_for(recipient_id: int, kind: str) -> Subscriber | None:
    """The member's own active address row when it has chosen this kind by email."""
    row = await Subscriber.filter(user__actor_id=recipient_id, user__disabled=False, status="active").first()
    chosen = row.notify_kinds if row is not None and isinstance(row.notify_kinds, list) else []
    return row if kind in chosen else None


async def notified(notification: Notification) -> None:
    """A notification was written: queue its email when its recipient wants this kind by email."""
    if await _subscriber_for(notification.recipient_id, notification.kind) is None:
        return
    key = job_key(notification.id)
    await jobs.enqueue(NOTIFICATION_JOB, {"notification": notification.id, "key": key}, dedupe_key=key)


def headline(kind: str, who: str, text: str) -> str:
    """What happened, in the active language (the strings of the notifications page)."""
    whom = i18n.gettext("you")
    lines = {
        "reply": lambda: i18n.gettext("%(who)s replied to %(whom)s", who=who, whom=whom),
        "topic": lambda: i18n.gettext("%(who)s started the topic %(title)s", who=who, title=text),
        "mention": lambda: i18n.gettext("%(who)s mentioned %(whom)s", who=who, whom=whom),
        "follow": lambda: i18n.gettext("%(who)s now follows %(whom)s", who=who, whom=whom),
        "follow_request": lambda: i18n.gettext("%(who)s asks to follow %(whom)s", who=who, whom=whom),
        "join": lambda: i18n.gettext("%(who)s joined the event %(event)s", who=who, event=text),
        "support": lambda: i18n.gettext("%(who)s supports the initiative %(title)s", who=who, title=text),
        "pledge": lambda: i18n.gettext("%(who)s pledged help to the initiative %(title)s", who=who, title=text),
        "like": lambda: i18n.gettext("%(who)s liked a post of %(whom)s", who=who, whom=whom),
        "report": lambda: i18n.gettext("A new report is waiting for a moderator"),
    }
    found = lines.get(kind)
    return found() if found is not None else i18n.gettext("New notification from %(who)s", who=who)


def message(node: Node, subscriber: Subscriber, notification: Notification, source: Actor | None) -> EmailMessage:
    i18n.activate(subscriber.language or node.settings.association.language)
    who = (source.name or source.handle) if source is not None else i18n.gettext("Someone")
    line = headline(notification.kind, who, notification.text)
    link = notification.object_uri if (notification.object_uri or "").startswith(("https://", "http://")) else ""
    quoted = notification.text if notification.kind in ("reply", "mention", "like", "report") else ""
    context = {"headline": line, "excerpt": quoted, "link": link,
               "notifications_url": f"{node.settings.base_url.rstrip('/')}/notifications"}
    return messages.compose(node, subscriber, line, messages.render("notification.txt", **context),
                            messages.render("notification.html", **context))


async def send_notification(node: Node, payload: Mapping[str, Any], attempt: int) -> None:
    notification = await Notification.get_or_none(id=payload.get("notification"))
    if notification is None:
        return  # deleted meanwhile
    subscriber = await _subscriber_for(notification.recipient_id, notification.kind)
    if subscriber is None:
        return
    source = await Actor.get_or_none(id=notification.source_id) if notification.source_id else None
    await sending.deliver(node, subscriber, lambda: message(node, subscriber, notification, source), payload, attempt)


def job_handlers(node: Node) -> dict[str, jobs.JobHandler]:
    async def notification_job(payload: Mapping[str, Any], attempt: int) -> None:
        await send_notification(node, payload, attempt)

    return {NOTIFICATION_JOB: notification_job}
