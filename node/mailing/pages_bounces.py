"""/admin/bounces: the suppression list (each address with its reason, its bounce count and the last
diagnostic), lifting an address, and importing a list of bounced addresses (bounces_import.py)."""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from node.core import audit, i18n
from node.mailing import suppression
from node.mailing.bounces_import import MAX_BYTES, MAX_WEB_ROWS, ListError, decode, import_list
from node.web.admin_access import admin_form, done, flash, page, staff
from node.web.forms import FORM_MARGIN, FormTooLarge, FormUnreadable, read_form, text_field
from node.web.pages import node_of

HOME = "/admin/bounces"
_l = i18n.lazy_gettext


async def bounces_page(request: Request) -> Response:
    await staff(request)
    node = node_of(request)
    query = request.query_params.get("q", "").strip()[:320]
    blocked_only = request.query_params.get("blocked") == "1"
    rows = await suppression.listing(query, blocked_only=blocked_only)
    blocked, pending = await suppression.counts()
    return await page(request, "admin/bounces.html", rows=rows, query=query, blocked_only=blocked_only,
                      blocked=blocked, pending=pending, threshold=node.settings.mail.bounce_threshold,
                      mailbox=node.settings.mail.bounce_mailbox, webhook=bool(node.settings.mail.webhook_secret),
                      webhook_url=f"{node.settings.base_url}/mail/webhook")


async def lift_submit(request: Request) -> Response:
    user, form = await admin_form(request)
    email = suppression.normalized(text_field(form, "email"))[:320]
    if not email or not await suppression.lift(email):
        flash(request, "No suppression for %(email)s.", error=True, email=email or "?")
        return RedirectResponse(HOME, status_code=303)
    await audit.record(user, "bounces.lift", email)
    return done(request, HOME, "%(email)s receives mail again.", email=email)


async def _uploaded(request: Request) -> tuple[str, str]:
    """(text of the list, where it came from); ListError when there is none or it cannot be read."""
    try:
        raw = await read_form(request, MAX_BYTES + FORM_MARGIN, files=1)
    except (FormTooLarge, FormUnreadable):
        raise ListError(str(_l("the upload could not be read"))) from None
    _, form = await admin_form(request, raw)
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        return decode(await upload.read(MAX_BYTES + 1)), upload.filename[:200]
    text = form.get("text")
    if isinstance(text, str) and text.strip():
        return text, "pasted list"
    raise ListError(str(_l("choose a file or paste a list")))


async def import_submit(request: Request) -> Response:
    user = await staff(request)
    try:
        text, source = await _uploaded(request)
    except ListError as exc:
        flash(request, "Nothing was imported: %(reason)s", error=True, reason=str(exc))
        return RedirectResponse(HOME, status_code=303)
    form = await read_form(request, MAX_BYTES + FORM_MARGIN, files=1)
    try:
        result = await import_list(node_of(request), text, block=form.get("block") == "1", source=f"import {source}",
                                   max_rows=MAX_WEB_ROWS)
    except ListError as exc:
        flash(request, "Nothing was imported: %(reason)s (a longer list goes in with `agora bounces import`).",
              error=True, reason=str(exc))
        return RedirectResponse(HOME, status_code=303)
    await audit.record(user, "bounces.import", source, bounces=result.bounces, soft=result.soft,
                       complaints=result.complaints, skipped=result.skipped)
    return done(request, HOME, "Imported %(bounces)s bounces, %(soft)s soft bounces and %(complaints)s complaints; "
                               "%(skipped)s lines skipped.", bounces=result.bounces, soft=result.soft,
                complaints=result.complaints, skipped=result.skipped)


def routes() -> list[BaseRoute]:
    return [
        Route(HOME, bounces_page, methods=["GET"]),
        Route(f"{HOME}/lift", lift_submit, methods=["POST"]),
        Route(f"{HOME}/import", import_submit, methods=["POST"]),
    ]
