"""What the organizers of an event see and do: the participant list (approve, refuse, export as CSV),
messages to the participants, and the comments a moderated event holds."""

from __future__ import annotations

import csv
import io
from datetime import timezone

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from node.core import mail
from node.core.csvcells import csv_cell
from node.core.models import Actor, Post
from node.events.inputs import EventError
from node.events.models import Participation
from node.events.pages_common import STATE_LABELS, event_path, find_event, slug_of, when_text
from node.events.participation import announce, decide
from node.web.forms import checked_form, no_store, text_field
from node.web.pages import editor, message, node_of, render


def _address(row: Participation) -> str:
    actor: Actor | None = row.actor
    if actor is not None:
        return actor.handle
    return row.email or ""


async def participants_page(request: Request, *, error: str | None = None, text: str = "", status: int = 200) -> Response:
    await editor(request)
    event = await find_event(request)
    if request.method == "POST" and error is None:
        form = await checked_form(request)
        ident = text_field(form, "participation")
        row = await Participation.get_or_none(id=int(ident), event=event, state="pending") if ident.isdigit() else None
        if row is None:
            return await message(request, 400, "Already decided", "This participation was already handled.")
        try:
            await decide(node_of(request), row, text_field(form, "decision") == "accept")
        except EventError as exc:
            await event.refresh_from_db()
            error, status = str(exc), 400
        else:
            return RedirectResponse(f"{event_path(event)}/participants", status_code=303)
    rows = await Participation.filter(event=event).prefetch_related("actor").order_by("created_at", "id")
    remaining = max(event.capacity - event.participant_count, 0) if event.capacity is not None else None
    return no_store(await render(
        request, "events/participants.html", status=status, event=event, rows=rows, address=_address,
        state_labels=STATE_LABELS, error=error, text=text, when=when_text(event), path=event_path(event),
        remaining=remaining, sent=request.query_params.get("sent"),
    ))


async def participants_csv(request: Request) -> Response:
    await editor(request)
    event = await find_event(request)
    rows = await Participation.filter(event=event).prefetch_related("actor").order_by("created_at", "id")
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(["name", "address", "state", "confirmed", "registered_at"])
    for row in rows:
        address = _address(row)
        writer.writerow([
            csv_cell(row.name), address.removeprefix("@") if row.actor_id else csv_cell(address),
            row.state, "yes" if row.confirmed else "no",
            row.created_at.astimezone(timezone.utc).isoformat(timespec="seconds") if row.created_at else "",
        ])
    slug = slug_of(request)
    return Response(
        "\ufeff" + out.getvalue(),  # the BOM lets spreadsheets read names in any script as UTF-8
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="participants-{slug}.csv"',
                 "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )


async def announce_submit(request: Request) -> Response:
    """A message to the participants: federated to the remote ones (participation.announce), shown under the
    event to the local ones, and mailed to those who registered with an email address."""
    await editor(request)
    event = await find_event(request)
    form = await checked_form(request)
    node = node_of(request)
    text = str(form.get("text") or "")
    try:
        await announce(node, event, text)
    except EventError as exc:
        return await participants_page(request, error=str(exc), text=text, status=400)
    unsent = 0
    guests = await Participation.filter(event=event, state="accepted", confirmed=True, actor_id=None, email__isnull=False)
    for guest in guests:
        body = (f"Hello {guest.name},\n\na message from the organizers of \"{event.name}\" ({when_text(event)}):\n\n"
                f"{text.strip()}\n\nThe event: {event.uri}\n"
                f"To cancel your registration: {node.urls.base}/events/cancel/{guest.token}\n\n-- \n"
                f"{node.settings.association.name}\n")
        try:
            await mail.send_mail(node.settings, guest.email or "", f"{event.name}: a message from the organizers", body)
        except mail.MailError:
            unsent += 1
    return RedirectResponse(f"{event_path(event)}/participants?sent={'partly' if unsent else 'yes'}", status_code=303)


async def moderate_comments(request: Request) -> Response:
    """Comments held by a moderated event: organizers publish or remove them."""
    await editor(request)
    event = await find_event(request)
    if request.method == "POST":
        form = await checked_form(request)
        ident = text_field(form, "comment")
        comment = await Post.get_or_none(id=int(ident), in_reply_to_uri=event.uri, held=True) if ident.isdigit() else None
        if comment is None:
            return await message(request, 400, "No such comment", "This comment was already handled.")
        if text_field(form, "decision") == "publish":
            comment.held = False
            await comment.save(update_fields=["held"])
        else:
            await comment.delete()
        return RedirectResponse(f"{event_path(event)}/comments", status_code=303)
    held = await Post.filter(in_reply_to_uri=event.uri, deleted_at=None, held=True).order_by("published").prefetch_related("author")
    return await render(request, "events/comments.html", event=event, held=held, path=event_path(event))
