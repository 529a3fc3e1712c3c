"""The editors' mailing pages: the list (/admin/mailings), one mailing with its preview in each language,
its counts and each recipient's status, and its buttons: send a test to me, schedule, send now, cancel."""

from __future__ import annotations

from datetime import datetime, timezone

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from node.core.mail import Connection, MailError
from node.newsletters import sending
from node.newsletters.audience import AudienceError
from node.newsletters.mailings import MailingError, cancel, input_of, send_test
from node.newsletters.models import RECIPIENT_STATUSES, Mailing, MailingRecipient
from node.newsletters.pages_editor import editable, preview_versions
from node.web import admin_access
from node.web.forms import checked_form, text_field
from node.web.pages import editor, node_of

RECIPIENTS_SHOWN = 200


def _back(path: str) -> Response:
    return RedirectResponse(path, status_code=303)


async def mailing_list(request: Request) -> Response:
    await editor(request)
    mailings = await Mailing.all().order_by("-id").limit(200)
    return await admin_access.page(request, "newsletters/admin_list.html", mailings=mailings)


async def mailing_page(request: Request) -> Response:
    await editor(request)
    mailing = await editable(request)
    shown = request.query_params.get("status", "")
    query = MailingRecipient.filter(mailing_id=mailing.id)
    if shown in RECIPIENT_STATUSES:
        query = query.filter(status=shown)
    recipients = await query.order_by("id").limit(RECIPIENTS_SHOWN)
    counts = await sending.count(mailing) if mailing.status in ("sending", "sent", "cancelled") else {}
    return await admin_access.page(request, "newsletters/admin_mailing.html", mailing=mailing,
                                   preview=preview_versions(node_of(request), input_of(mailing)), recipients=recipients,
                                   counts=counts, statuses=RECIPIENT_STATUSES, shown=shown, limit=RECIPIENTS_SHOWN)


async def test_submit(request: Request) -> Response:
    user = await editor(request)
    await checked_form(request)
    mailing = await editable(request)
    node = node_of(request)
    path = f"/admin/mailings/{mailing.id}"
    connection = Connection(node.settings)
    try:
        sent = await send_test(node, mailing, user, connection)
    except MailError as exc:
        admin_access.flash(request, "The test was not sent: %(reason)s", error=True, reason=str(exc))
        return _back(path)
    finally:
        await connection.close()
    return admin_access.done(request, path, "Test sent to %(email)s (%(num)s languages).", email=user.email, num=sent)


def _when(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise MailingError("write the time like 2026-07-11T19:30") from None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


async def send_submit(request: Request) -> Response:
    """Send now (no time given) or schedule (a time in UTC)."""
    await editor(request)
    form = await checked_form(request)
    mailing = await editable(request)
    node = node_of(request)
    path = f"/admin/mailings/{mailing.id}"
    when = text_field(form, "when")
    try:
        if when:
            moment = _when(when)
            if moment > datetime.now(timezone.utc):
                await sending.schedule(node, mailing, moment)
                return admin_access.done(request, path, "Scheduled for %(when)s (UTC).", when=moment.strftime("%Y-%m-%d %H:%M"))
        queued = await sending.send_now(node, mailing)
    except (MailingError, AudienceError) as exc:
        admin_access.flash(request, "Not sent: %(reason)s", error=True, reason=str(exc))
        return _back(path)
    return admin_access.done(request, path, "Sending to %(num)s recipients.", num=queued)


async def cancel_submit(request: Request) -> Response:
    await editor(request)
    await checked_form(request)
    mailing = await editable(request)
    path = f"/admin/mailings/{mailing.id}"
    if await cancel(mailing):
        return admin_access.done(request, path, "Cancelled: nothing more is sent.")
    return admin_access.done(request, path, "There was nothing to cancel.")
