"""The pledges of an initiative, for its organizers only (the initiative's organizer, editors and
admins): who pledged, how to reach them, what they wrote, for which need and how much; marked
fulfilled or cancelled here (POST with the CSRF token); the same list as CSV. Nobody else sees a
contact or a message: the public page only counts pledges."""

from __future__ import annotations

import csv
import io
from datetime import timezone
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from node.accounts.roles import PUBLISHING_ROLES
from node.core import i18n
from node.core.csvcells import csv_cell
from node.core.models import Actor
from node.initiatives.inputs import InitiativeError
from node.initiatives.models import Initiative, Pledge
from node.initiatives.pages_common import NEED_KIND_LABELS, decimal_text, find_initiative, initiative_path, slug_of
from node.initiatives.pledges import PLEDGE_STATUSES, pledges_of, set_pledge_status
from node.web import auth
from node.web.errors import PageRefusal
from node.web.forms import checked_form, no_store, text_field
from node.web.pages import render

_l = i18n.lazy  # labels translated when shown

PLEDGE_STATUS_LABELS = {"pledged": _l("Pledged"), "fulfilled": _l("Fulfilled"), "cancelled": _l("Cancelled")}
# What the button that gives a pledge a status says.
PLEDGE_ACTIONS = {"pledged": _l("Back to pledged"), "fulfilled": _l("Mark fulfilled"), "cancelled": _l("Cancel")}


async def organizer_initiative(request: Request) -> Initiative:
    """The initiative of the address, for its organizers only: the member whose actor organizes it,
    or an editor or admin; a visitor is sent to the login page, anyone else refused."""
    user = await auth.current_user(request)
    if user is None:
        raise PageRefusal.login()
    initiative = await find_initiative(request)
    if user.disabled or not (user.role in PUBLISHING_ROLES or user.actor_id == initiative.organizer_id):
        raise PageRefusal(403, "Not allowed", "Only the organizers of this initiative see its pledges.")
    return initiative


def contact_of(row: Pledge) -> str:
    """How to reach who pledged: a member's Fediverse address, a visitor's email (or nothing)."""
    actor: Actor | None = row.actor
    return actor.handle if actor is not None else row.email or ""


def offered(row: Pledge) -> str:
    """What was pledged, as plain text: an amount in the need's currency or a number."""
    if row.amount_minor is not None:
        return f"{decimal_text(row.amount_minor, row.need.currency)} {row.need.currency or ''}".strip()
    return str(row.quantity) if row.quantity is not None else ""


async def pledges_page(request: Request) -> Response:
    """GET: the list. POST (`pledge`, `status`): mark one pledge, then the list again."""
    initiative = await organizer_initiative(request)
    path = initiative_path(initiative)
    if request.method == "POST":
        form = await checked_form(request)
        ident = text_field(form, "pledge")
        try:
            await set_pledge_status(initiative, int(ident) if ident.isdigit() else 0, text_field(form, "status"))
        except InitiativeError as exc:
            raise PageRefusal(400, "Not possible", str(exc)) from None
        return RedirectResponse(f"{path}/pledges#pledge-{ident}", status_code=303)
    rows = await pledges_of(initiative)
    counts: dict[str, Any] = {status: sum(1 for r in rows if r.status == status) for status in PLEDGE_STATUSES}
    return no_store(await render(
        request, "initiatives/pledges.html", initiative=initiative, rows=rows, path=path, contact=contact_of,
        offered=offered, status_labels=PLEDGE_STATUS_LABELS, actions=PLEDGE_ACTIONS, kinds=NEED_KIND_LABELS,
        counts=counts,
    ))


async def pledges_csv(request: Request) -> Response:
    """The same list as CSV (every cell a person wrote made formula-safe)."""
    initiative = await organizer_initiative(request)
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(["date", "name", "contact", "need", "kind", "quantity", "amount", "currency", "message", "status"])
    for row in await pledges_of(initiative):
        contact = contact_of(row)
        writer.writerow([
            row.created_at.astimezone(timezone.utc).isoformat(timespec="seconds") if row.created_at else "",
            csv_cell(row.name), contact.removeprefix("@") if row.actor_id else csv_cell(contact),
            csv_cell(row.need.title), row.need.kind, "" if row.quantity is None else str(row.quantity),
            decimal_text(row.amount_minor, row.need.currency), row.need.currency or "", csv_cell(row.message), row.status,
        ])
    return Response(
        "\ufeff" + out.getvalue(),  # the BOM lets spreadsheets read names in any script as UTF-8
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="pledges-{slug_of(request)}.csv"',
                 "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )
