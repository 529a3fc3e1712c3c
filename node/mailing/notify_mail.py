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

from node.core import i18n, jobs, sql
from node.core.models import Actor, Notification
from node.core.runtime import Node
from node.mailing import messages, sending
from node.mailing.models import Subscriber

NOTIFICATION_JOB = "mail.notification"


def job_key(notification_id: int) -> str:
    return f"{NOTIFICATION_JOB} {notification_id}"


# The member's own active address row (Subscriber.user), when the member is not disabled: read for
# every notification written, so in plain SQL (node/core/sql.py).
_ADDRESS_SQL = (
    "SELECT s.id, s.notify_kinds FROM mail_subscribers s JOIN users u ON u.id = s.user_id"
    " WHERE u.actor_id = ? AND u.disabled = ? AND s.status = 'active' ORDER BY s.id LIMIT 1"
)


async def _subscriber_id(recipient_id: int, kind: str) -> int | None:
    """The id of the member's own active address row when it has chosen this kind by email."""
    row = await sql.first(_ADDRESS_SQL, [recipient_id, False])
    if row is None:
        return None
    chosen = sql.json_value(row["notify_kinds"])
    return int(row["id"]) if isinstance(chosen, list) and kind in chosen else None


async def notified(notification: Notification, recipient: Actor) -> None:
    """A notification was written: queue its email when its recipient wants this kind by email. A
    member's account is always a Person: the association's own notifications, and a category's, have
    no address to go to, and are not looked up (most likes and replies a node receives are theirs)."""
    if recipient.kind != "Person" or await _subscriber_id(notification.recipient_id, notification.kind) is None:
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
    subscriber_id = await _subscriber_id(notification.recipient_id, notification.kind)
    subscriber = await Subscriber.get_or_none(id=subscriber_id) if subscriber_id is not None else None
    if subscriber is None:
        return
    source = await Actor.get_or_none(id=notification.source_id) if notification.source_id else None
    await sending.deliver(node, subscriber, lambda: message(node, subscriber, notification, source), payload, attempt)


def job_handlers(node: Node) -> dict[str, jobs.JobHandler]:
    async def notification_job(payload: Mapping[str, Any], attempt: int) -> None:
        await send_notification(node, payload, attempt)

    return {NOTIFICATION_JOB: notification_job}
