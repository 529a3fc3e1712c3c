"""What a mail relay's webhook reports (POST /mail/webhook, node/mailing/routes_bounces.py): pure
readers of the decoded JSON body into bounce events, each with its ref (the relay's event or message
id, so that a retried delivery of the same event counts nothing).

Accepted shapes:
- generic: {"events": [{"type": "bounce" | "complaint", "email": "...", "hard": true, "detail": "...",
  "id": "..."}]} ("hard" defaults to true, "id" is optional);
- Amazon SES, through SNS or not: {"Type": "Notification", "Message": "<SES notification as JSON>"}
  with notificationType (or eventType) Bounce (bounceType Permanent: hard, else soft) or Complaint;
- Postmark: {"RecordType": "Bounce", "Type": "HardBounce", "Email": ...} or RecordType SpamComplaint."""

from __future__ import annotations

import base64
import hmac
import json
import logging
from typing import Any

from node.mailing.bounces import COMPLAINT_TYPES, Event, address_of

log = logging.getLogger("agora.mail")

MAX_BODY = 512 * 1024
MAX_EVENTS = 500
POSTMARK_HARD = ("HardBounce", "BadEmailAddress", "ManuallyDeactivated")
POSTMARK_COMPLAINTS = ("SpamComplaint", "SpamNotification")

Item = tuple[Event, str]  # an event and its ref


class WebhookError(Exception):
    """The body is not a report this webhook reads (the 400's reason)."""


def authorized(header: str, secret: str) -> bool:
    """`Authorization: Bearer <secret>`, or Basic with the secret as password (how SNS and Postmark
    send a secret put in the webhook's URL); compared in constant time."""
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "basic":
        try:
            value = base64.b64decode(value, validate=True).decode("utf-8").partition(":")[2]
        except (ValueError, UnicodeDecodeError):
            return False
    elif scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(value.encode("utf-8", "replace"), secret.encode("utf-8"))


def _text(value: Any, limit: int = 500) -> str:
    return " ".join(value.split())[:limit] if isinstance(value, str) else ""


def _address(value: Any) -> str:
    addr = address_of(value) if isinstance(value, str) else ""
    if not addr:
        raise WebhookError(f"not an email address: {str(value)[:80]!r}")
    return addr


def _generic(events: Any) -> list[Item]:
    if not isinstance(events, list):
        raise WebhookError('"events" must be a list')
    items: list[Item] = []
    for number, entry in enumerate(events[:MAX_EVENTS]):
        if not isinstance(entry, dict):
            raise WebhookError(f"event {number}: not an object")
        kind = entry.get("type")
        if kind not in ("bounce", "complaint"):
            raise WebhookError(f'event {number}: "type" must be "bounce" or "complaint"')
        hard = entry.get("hard", True)
        if not isinstance(hard, bool):
            raise WebhookError(f'event {number}: "hard" must be true or false')
        ref = _text(entry.get("id"), 200) or (str(entry["id"]) if isinstance(entry.get("id"), int) else "")
        items.append((Event(kind, _address(entry.get("email")), hard, _text(entry.get("detail"))), ref))
    return items


def _ses(notification: Any) -> list[Item]:
    if not isinstance(notification, dict):
        raise WebhookError("the SES notification is not an object")
    kind = notification.get("notificationType") or notification.get("eventType")
    mail = notification.get("mail")
    message_id = _text(mail.get("messageId"), 120) if isinstance(mail, dict) else ""
    if kind == "Bounce":
        bounce = notification.get("bounce")
        if not isinstance(bounce, dict) or not isinstance(bounce.get("bouncedRecipients"), list):
            raise WebhookError("an SES bounce without bouncedRecipients")
        hard = bounce.get("bounceType") == "Permanent"
        ref = f"ses:{message_id}:{_text(bounce.get('feedbackId'), 120)}"
        return [(Event("bounce", _address(r.get("emailAddress") if isinstance(r, dict) else None), hard,
                       _text(r.get("diagnosticCode")) or _text(bounce.get("bounceSubType"))), ref)
                for r in bounce["bouncedRecipients"][:MAX_EVENTS]]
    if kind == "Complaint":
        complaint = notification.get("complaint")
        if not isinstance(complaint, dict) or not isinstance(complaint.get("complainedRecipients"), list):
            raise WebhookError("an SES complaint without complainedRecipients")
        feedback = _text(complaint.get("complaintFeedbackType"), 40)
        if feedback and feedback not in COMPLAINT_TYPES and feedback != "other":
            return []  # not-spam, virus, auth-failure: no complaint about us
        ref = f"ses:{message_id}:{_text(complaint.get('feedbackId'), 120)}"
        return [(Event("complaint", _address(r.get("emailAddress") if isinstance(r, dict) else None), True,
                       feedback or "complaint"), ref) for r in complaint["complainedRecipients"][:MAX_EVENTS]]
    return []  # deliveries, opens, sends: nothing to record


def _sns(body: dict[str, Any]) -> list[Item]:
    if body.get("Type") == "SubscriptionConfirmation":
        log.warning("mail webhook: Amazon SNS asks to confirm the subscription; open %s",
                    _text(body.get("SubscribeURL"), 1000))
        return []
    message = body.get("Message")
    if not isinstance(message, str):
        raise WebhookError('an SNS notification without "Message"')
    try:
        return _ses(json.loads(message))
    except ValueError:
        raise WebhookError("the SNS Message is not JSON") from None


def _postmark(body: dict[str, Any]) -> list[Item]:
    record, kind = body.get("RecordType"), _text(body.get("Type"), 60)
    ref = f"postmark:{body.get('ID')}" if isinstance(body.get("ID"), (int, str)) else ""
    if record == "SpamComplaint" or kind in POSTMARK_COMPLAINTS:
        return [(Event("complaint", _address(body.get("Email")), True, kind or "SpamComplaint"), ref)]
    if record == "Bounce":
        detail = _text(body.get("Description")) or _text(body.get("Details"))
        return [(Event("bounce", _address(body.get("Email")), kind in POSTMARK_HARD, f"{kind} {detail}".strip()), ref)]
    return []


def events_of(body: Any) -> list[Item]:
    """The events of a decoded body; WebhookError when it is none of the accepted shapes."""
    if not isinstance(body, dict):
        raise WebhookError("the body must be a JSON object")
    if "events" in body:
        return _generic(body["events"])
    if body.get("Type") in ("Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation"):
        return _sns(body) if body.get("Type") != "UnsubscribeConfirmation" else []
    if "notificationType" in body or "eventType" in body:
        return _ses(body)
    if "RecordType" in body:
        return _postmark(body)
    raise WebhookError('unknown format: expected "events", an SES or SNS notification, or a Postmark record')
