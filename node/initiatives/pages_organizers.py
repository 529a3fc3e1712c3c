"""What the organizers of an initiative do: move it to another status, keep its ledger, post news of
its progress, delete it; and the public exports (the ledger as CSV, the whole initiative as JSON)."""

from __future__ import annotations

import csv
import io
import json

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from node.core import i18n
from node.core.csvcells import csv_cell
from node.initiatives import initiatives, transfer
from node.initiatives.inputs import InitiativeError
from node.initiatives.models import LedgerEntry
from node.initiatives.pages_common import (
    decimal_text, editor_initiative, find_initiative, initiative_path, language_of, parse_date, slug_of,
)
from node.initiatives.pages_initiative import show_initiative
from node.web.forms import checked_form, no_store, text_field
from node.web.pages import node_of, render

_l = i18n.lazy  # labels translated when shown
_t = i18n.gettext  # texts translated at once (after i18n.activate_request)


async def status_submit(request: Request) -> Response:
    initiative = await editor_initiative(request)
    form = await checked_form(request)
    wanted = text_field(form, "status")
    try:
        await initiatives.set_status(node_of(request), initiative, wanted)
    except InitiativeError as exc:
        await initiative.refresh_from_db()
        return await show_initiative(request, initiative, status=400, errors={"status": str(exc)})
    return RedirectResponse(f"{initiative_path(initiative)}#status", status_code=303)


LEDGER_FIELDS = ("direction", "nature", "description", "occurred_on", "amount", "currency", "receipt_url")


async def ledger_submit(request: Request) -> Response:
    initiative = await editor_initiative(request)
    form = await checked_form(request)
    entered = {k: text_field(form, k) for k in LEDGER_FIELDS}
    try:
        occurred = parse_date(entered["occurred_on"], "the date")
        if occurred is None:
            raise InitiativeError(_t("give the date of the entry"))
        await initiatives.add_ledger_entry(
            node_of(request), initiative, direction=entered["direction"], nature=entered["nature"] or "money",
            description=entered["description"], occurred_on=occurred, amount=entered["amount"] or None,
            currency=entered["currency"].upper() or None, receipt_url=entered["receipt_url"] or None,
        )
    except InitiativeError as exc:
        return await show_initiative(request, initiative, status=400, errors={"ledger": str(exc)},
                                     entered={"ledger": entered})
    return RedirectResponse(f"{initiative_path(initiative)}#ledger", status_code=303)


async def ledger_csv(request: Request) -> Response:
    """The transparency ledger as CSV: public, like the ledger on the page."""
    initiative = await find_initiative(request)
    entries = await LedgerEntry.filter(initiative=initiative).order_by("occurred_on", "id")
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(["date", "direction", "nature", "amount", "currency", "description", "receipt"])
    for entry in entries:
        writer.writerow([
            entry.occurred_on.isoformat(), entry.direction, entry.nature,
            csv_cell(decimal_text(entry.amount_minor, entry.currency)), csv_cell(entry.currency or ""),
            csv_cell(entry.description), csv_cell(entry.receipt_url or ""),
        ])
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="ledger-{slug_of(request)}.csv"',
                 "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )


async def progress_submit(request: Request) -> Response:
    initiative = await editor_initiative(request)
    form = await checked_form(request)
    text = str(form.get("text") or "")
    try:
        await initiatives.post_progress(node_of(request), initiative, text)
    except InitiativeError as exc:
        return await show_initiative(request, initiative, status=400, errors={"progress": str(exc)},
                                     entered={"progress": {"text": text}})
    return RedirectResponse(f"{initiative_path(initiative)}#story", status_code=303)


async def export_json(request: Request) -> Response:
    """The whole initiative as JSON (`agora initiative import` takes it back). Public, like the page:
    it counts pledges and supporters but never lists them."""
    initiative = await find_initiative(request)
    document = await transfer.export_json(initiative)
    return Response(
        json.dumps(document, ensure_ascii=False, indent=2, default=str),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="initiative-{slug_of(request)}.json"',
                 "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )


async def delete_submit(request: Request) -> Response:
    initiative = await editor_initiative(request)
    if request.method == "GET":
        return no_store(await render(
            request, "initiatives/confirm.html", title=_l("Delete this initiative"), initiative=initiative,
            text=_l("The initiative disappears from this site and from followers' servers, with its needs, "
                    "pledges, ledger and supporters. Download its JSON export first to keep a copy."),
            action=request.url.path, button=_l("Delete the initiative for good"), danger=True,
            back=initiative_path(initiative), lang=language_of(request, initiative),
        ))
    await checked_form(request)
    await initiatives.delete_initiative(node_of(request), initiative)
    return RedirectResponse("/initiatives", status_code=303)
