"""/admin/subscribers: the mailing list for the admins (its addresses with their status and choices,
counts, a search), importing a CSV list and exporting it (node/mailing/subscribers_csv.py)."""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from node.core import i18n
from node.mailing import subscriber_list, subscribers_csv
from node.mailing.models import KINDS
from node.mailing.subscribers import SubscriberError
from node.web.admin_access import admin_form, page, staff
from node.web.forms import FORM_MARGIN, FormTooLarge, FormUnreadable, no_store, read_form

MAX_UPLOAD = 5_000_000
SHOWN_ERRORS = 200  # lines of an import's report shown on the page
_ = i18n.lazy


async def _list_page(request: Request, status: int = 200, **context: object) -> Response:
    query = request.query_params.get("q", "")[:320]
    wanted = request.query_params.get("status", "")
    number = request.query_params.get("page", "1")
    current = int(number) if number.isdigit() and len(number) < 7 else 1
    rows, more = await subscriber_list.search(query, wanted, current)
    return await page(request, "mailing/admin_subscribers.html", status=status, rows=rows, counts=await subscriber_list.counts(),
                      kinds=KINDS, q=query, wanted=wanted, newer=current - 1 if current > 1 else None,
                      older=current + 1 if more else None, **context)


async def subscribers_page(request: Request) -> Response:
    await staff(request)
    return await _list_page(request)


async def _upload_text(request: Request) -> str:
    try:
        raw = await read_form(request, MAX_UPLOAD + FORM_MARGIN, files=1)
    except (FormTooLarge, FormUnreadable):
        raise SubscriberError(_("the upload could not be read (files up to %(num)s MB)", num=MAX_UPLOAD // 1_000_000)) from None
    _user, form = await admin_form(request, raw)
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            raise SubscriberError(_("the file is larger than %(num)s MB", num=MAX_UPLOAD // 1_000_000))
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise SubscriberError(_("the file is not UTF-8 text (byte %(num)s)", num=exc.start)) from None
    text = form.get("text")
    if isinstance(text, str) and text.strip():
        return text
    raise SubscriberError(_("choose a file or paste a list"))


async def import_submit(request: Request) -> Response:
    """The import's report is shown at once on the list page (its errors, line by line)."""
    await staff(request)
    try:
        result = await subscribers_csv.import_csv(request.app.state.node, await _upload_text(request))
    except SubscriberError as exc:
        return await _list_page(request, status=400, import_error=str(exc))
    return await _list_page(request, imported=result, import_errors=result.errors[:SHOWN_ERRORS])


async def export_csv(request: Request) -> Response:
    await staff(request)
    return no_store(Response(await subscribers_csv.export_csv(), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="subscribers.csv"'}))


def routes() -> list[BaseRoute]:
    return [
        Route("/admin/subscribers", subscribers_page, methods=["GET"]),
        Route("/admin/subscribers/import", import_submit, methods=["POST"]),
        Route("/admin/subscribers/export.csv", export_csv, methods=["GET"]),
    ]
