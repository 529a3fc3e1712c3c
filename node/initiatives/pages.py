"""Initiative pages (HTML): the lists (ours and the network's), the initiative page with its story,
needs and pledges, ledger, supporters and status history, the editors' forms, the ledger's CSV export
and the JSON export. The AS2 form of an initiative is served by node/activitypub/routes.py, which calls
`initiative_page` for browsers.

Like the event pages, everything works without JavaScript: every change is a POST form carrying the
session's CSRF token, and a refused change shows the same page again with status 400, the reason and
what was entered. Progress bars are `<progress>` elements with the figures written next to them (the
Content-Security-Policy forbids inline styles, and the text is what screen readers and text browsers
need anyway)."""

from __future__ import annotations

import copy
import csv
import dataclasses
import io
import json
import logging
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from babel.numbers import get_currency_precision
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from federation import initiatives as wire
from federation.events import Place
from node.core import i18n, multilingual
from node.initiatives import initiatives
from node.core import media as media_service
from node.initiatives.initiatives import InitiativeError, InitiativeInput, NeedInput
from node.core.models import Actor, Post
from node.initiatives.models import Initiative, LedgerEntry, Need, Pledge, Support
from node.core.runtime import Node
from node.core.sanitize import plain_text
from node.web import auth, compose, forms
from node.events.pages_common import place_view
from node.core.csvcells import csv_cell
from node.web.forms import (
    action_of, no_store, rows_from_translations, text_field, translation_rows, translations_from_rows,
)
from node.web.pages import (
    association_actor, checked_form, editor, member_post, message, node_of, render, send_home, upload_form,
    writing_context,
)

log = logging.getLogger("agora.web")
_l = i18n.lazy  # labels translated when shown
_t = i18n.gettext  # texts translated at once (after i18n.activate_request)

PAGE_SIZE = 20
LIST_SCAN = 1000  # the place filter reads places in Python (JSON fields): at most this many rows
NEED_ROWS = 5
PLACE_FIELDS = ("name", "street", "locality", "region", "country")

KIND_LABELS = {
    "development": _l("Development project"), "humanitarian": _l("Humanitarian appeal"),
    "advocacy": _l("Advocacy or petition"), "mutual_aid": _l("Mutual aid"), "cultural": _l("Cultural"),
}
STATUS_LABELS = {
    "proposed": _l("Proposed"), "active": _l("Active"), "achieved": _l("Achieved"), "closed": _l("Closed"),
    "abandoned": _l("Abandoned"),
}
# What the button that moves an initiative to a status says.
STATUS_ACTIONS = {
    "proposed": _l("Back to proposed"), "active": _l("Start: mark as active"), "achieved": _l("Mark as achieved"),
    "closed": _l("Close"), "abandoned": _l("Abandon"),
}
NEED_KIND_LABELS = {"volunteers": _l("Volunteers"), "materials": _l("Materials"), "money": _l("Money")}
DIRECTION_LABELS = {"received": _l("Received"), "spent": _l("Spent")}
NATURE_LABELS = {"money": _l("Money"), "in_kind": _l("In kind")}


def _codes(values: Any, fallback: dict[str, str]) -> list[str]:
    """KINDS / STATUSES of federation.initiatives as a list of codes, whatever their container."""
    try:
        codes = [str(v) for v in values]
    except TypeError:
        codes = []
    return codes or list(fallback)


def kinds() -> list[tuple[str, str]]:
    return [(k, kind_label(k)) for k in _codes(getattr(wire, "KINDS", ()), KIND_LABELS)]


def statuses() -> list[tuple[str, str]]:
    return [(s, status_label(s)) for s in _codes(getattr(wire, "STATUSES", ()), STATUS_LABELS)]


def kind_label(code: str | None) -> str:
    return KIND_LABELS.get(code or "", (code or "").replace("_", " ").capitalize())


def status_label(code: str | None) -> str:
    return STATUS_LABELS.get(code or "", (code or "").capitalize())


# ------------------------------------------------------------------ money


def _precision(currency: str | None) -> int:
    try:
        return int(get_currency_precision((currency or "").upper()))
    except Exception:  # noqa: BLE001 - an unknown code: two decimals, like most currencies
        return 2


def money_text(minor: int | None, currency: str | None, locale: str) -> str:
    """Minor units in the page's language, through federation.initiatives.format_money."""
    if minor is None or not currency:
        return ""
    return str(wire.format_money(wire.Money(minor, currency), locale))


def decimal_text(minor: int | None, currency: str | None) -> str:
    """Minor units as a plain decimal (the CSV and the form fields): 150050 EUR -> "1500.50"."""
    if minor is None:
        return ""
    digits = _precision(currency)
    sign = "-" if minor < 0 else ""
    whole, part = divmod(abs(minor), 10 ** digits)
    return f"{sign}{whole}.{part:0{digits}d}" if digits else f"{sign}{whole}"


# ------------------------------------------------------------------ lookups and small helpers


def _slug(request: Request) -> str:
    return str(request.path_params["slug"])


def initiative_path(initiative: Initiative) -> str:
    return "/initiatives/" + initiative.uri.rsplit("/", 1)[-1]


def _lang(request: Request, initiative: Initiative) -> str:
    return initiative.language or node_of(request).settings.association.language or "en"


async def find_initiative(request: Request) -> Initiative | Response:
    node = node_of(request)
    await i18n.activate_request(request, node)  # labels, money and errors in the reader's language
    initiative = await Initiative.get_or_none(uri=f"{node.urls.base}/initiatives/{_slug(request)}", local=True)
    if initiative is not None and initiative.draft:  # a draft: for editors and admins only
        user = await auth.current_user(request)
        if not (user and user.role in auth.PUBLISHING_ROLES and not user.disabled):
            initiative = None
    if initiative is None:
        return await message(request, 404, "Not found", "There is no such initiative here.")
    if initiative.deleted_at is not None:
        return await message(request, 410, "Deleted", "This initiative was deleted by its organizers.")
    return initiative


async def _editor_initiative(request: Request) -> Initiative | Response:
    user = await editor(request)
    return await find_initiative(request)


def _place_line(place: Any) -> str:
    if not isinstance(place, dict):
        return ""
    name = place_view(place)["name"]
    town = place.get("locality") or place.get("region") or place.get("country") or ""
    return f"{name}, {town}" if town and town.casefold() != name.casefold() else name


def _place_text(place: Any) -> str:
    """Every text of a place, for the place filter."""
    if not isinstance(place, dict):
        return ""
    return " ".join(str(place.get(k) or "") for k in ("name", "street", "postal_code", "locality", "region", "country"))


def _when(value: Any) -> tuple[str, str]:
    """An ISO 8601 moment of the status history as (machine value, "2026-07-11")."""
    text = str(value or "")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text, text[:10]
    return moment.isoformat(), moment.date().isoformat()


def _allowed(initiative: Initiative) -> list[str]:
    return sorted(initiatives.TRANSITIONS.get(initiative.status, set()),
                  key=lambda s: list(STATUS_LABELS).index(s) if s in STATUS_LABELS else 99)


# ------------------------------------------------------------------ the lists


def _list_item(initiative: Initiative) -> dict[str, Any]:
    places = [p for p in (_place_line(initiative.place_there), _place_line(initiative.place_here)) if p]
    organizer = getattr(initiative, "organizer", None)
    return {
        "initiative": initiative,
        "link": initiative_path(initiative) if initiative.local else (initiative.url or initiative.uri),
        "kind": kind_label(initiative.kind), "status": status_label(initiative.status),
        "there": _place_line(initiative.place_there), "here": _place_line(initiative.place_here),
        "places": places,
        "by": (organizer.name or organizer.handle) if not initiative.local and isinstance(organizer, Actor) else None,
    }


def _shown_copy(initiative: Initiative, wishes: list[str], fallback: str) -> Initiative:
    """A copy carrying the reader's version of the title, summary and language (the row is not touched)."""
    shown = multilingual.show_initiative(initiative, wishes, fallback)
    initiative = copy.copy(initiative)
    initiative.title, initiative.summary, initiative.content = shown.title, shown.summary, shown.content
    initiative.language = shown.language
    return initiative


async def list_page(request: Request, *, local: bool) -> Response:
    node = node_of(request)
    await i18n.activate_request(request, node)
    wishes = [*multilingual.request_wishes(request, await auth.current_user(request)), i18n.current()]
    fallback = node.settings.association.language
    params = request.query_params
    base = "/initiatives" if local else "/initiatives/network"
    kind = params.get("kind", "").strip()[:32]
    status = params.get("status", "").strip()[:16]
    place = params.get("place", "").strip()[:200]
    try:
        page = max(1, min(int(params.get("page", "1")), 10_000))
    except ValueError:
        page = 1
    query = Initiative.filter(local=local, deleted_at=None, draft=False)
    if not local:
        query = query.prefetch_related("organizer")
    if kind:
        query = query.filter(kind=kind)
    if status:
        query = query.filter(status=status)
    query = query.order_by("-published", "-id")
    if place:
        needle = place.casefold()
        rows = [i for i in await query.limit(LIST_SCAN)
                if needle in (_place_text(i.place_there) + " " + _place_text(i.place_here)).casefold()]
        rows = rows[(page - 1) * PAGE_SIZE:page * PAGE_SIZE + 1]
    else:
        rows = await query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    filters = {k: v for k, v in (("kind", kind), ("status", status), ("place", place)) if v}
    return await render(
        request, "initiatives/list.html", local=local, base=base, kind=kind, status_filter=status, place=place,
        kinds=kinds(), statuses=statuses(), filters=filters, items=[_list_item(_shown_copy(i, wishes, fallback)) for i in rows[:PAGE_SIZE]],
        newer=f"{base}?{urlencode({**filters, 'page': page - 1})}" if page > 1 else None,
        older=f"{base}?{urlencode({**filters, 'page': page + 1})}" if len(rows) > PAGE_SIZE else None,
    )


async def local_list(request: Request) -> Response:
    return await list_page(request, local=True)


async def network_list(request: Request) -> Response:
    return await list_page(request, local=False)


# ------------------------------------------------------------------ the initiative page


async def _need_view(need: Need) -> dict[str, Any]:
    """A need's progress; the template formats the amounts in the reader's language."""
    pledged, goal = await initiatives.need_progress(need)
    money = need.kind == "money"
    percent = min(100, round(100 * pledged / goal)) if goal else None
    return {
        "need": need, "kind": NEED_KIND_LABELS.get(need.kind, need.kind), "money": money,
        "pledged": pledged, "goal": goal, "bar_value": min(pledged, goal) if goal else None,
        "percent": percent,
        "pledges": await Pledge.filter(need=need).count(),
    }


async def show_initiative(
    request: Request, initiative: Initiative, *, status: int = 200, errors: dict[str, str] | None = None,
    entered: dict[str, Any] | None = None,
) -> Response:
    """The page. `errors` by box: "pledge-<need id>", "ledger", "progress", "status", "support";
    `entered` keeps what the refused form carried, by the same keys."""
    node = node_of(request)
    organizer = await Actor.get(id=initiative.organizer_id)  # type: ignore[attr-defined]
    user = await auth.current_user(request)
    # The reader's language (node/multilingual.py): the page shows a copy carrying that version's title,
    # summary, story and language; the row itself is not touched.
    interface = i18n.choose(request, node, user)
    i18n.activate(interface)  # labels and amounts in the reader's language
    wishes = [*multilingual.request_wishes(request, user), interface]
    shown = multilingual.show_initiative(initiative, wishes, node.settings.association.language)
    lang = _lang(request, initiative)
    initiative = copy.copy(initiative)
    initiative.title, initiative.summary, initiative.content = shown.title, shown.summary, shown.content
    organizer_view = bool(user and user.role in auth.PUBLISHING_ROLES)
    supporting = bool(user and await Support.exists(initiative=initiative, actor_id=user.actor_id))  # type: ignore[attr-defined]
    needs = [await _need_view(n) for n in await Need.filter(initiative=initiative).order_by("position", "id")]
    entries = await LedgerEntry.filter(initiative=initiative).order_by("-occurred_on", "-id")
    totals = [
        {"currency": t.currency, "received": money_text(t.received_minor, t.currency, interface),
         "spent": money_text(t.spent_minor, t.currency, interface),
         "balance": money_text(t.received_minor - t.spent_minor, t.currency, interface)}
        for t in await initiatives.ledger_totals(initiative)
    ]
    show_supporters = organizer_view or initiative.supporters_public
    supporters = (await Support.filter(initiative=initiative, held=False).prefetch_related("actor").order_by("created_at", "id").limit(500)
                  if show_supporters else [])
    updates = await Post.filter(in_reply_to_uri=initiative.uri, author_id=initiative.organizer_id,  # type: ignore[attr-defined]
                                deleted_at=None, visibility__in=["public", "unlisted"]).order_by("-published").limit(50)
    responsible: list[tuple[str, Actor | None]] = []
    names = [r for r in initiative.responsible if isinstance(r, str) and r.strip()][:50]
    if names:
        known = {a.uri: a for a in await Actor.filter(uri__in=names)}
        responsible = [(r, known.get(r)) for r in names]
    history = [{"status": status_label(h.get("status")), "at": _when(h.get("at"))}
               for h in initiative.status_history if isinstance(h, dict)]
    return no_store(await render(
        request, "initiatives/initiative.html", status=status, initiative=initiative, lang=lang,
        organizer=organizer,
        organizer_handle=organizer.handle if not organizer.local else f"@{organizer.username}@{node.urls.host}",
        organizer_view=organizer_view, supporting=supporting, needs=needs, entries=entries, totals=totals,
        show_supporters=show_supporters, supporters=supporters, updates=updates, responsible=responsible,
        history=history, kind=kind_label(initiative.kind), status_label=status_label(initiative.status),
        transitions=[(s, STATUS_ACTIONS.get(s, status_label(s))) for s in _allowed(initiative)],
        there=place_view(initiative.place_there) if isinstance(initiative.place_there, dict) else None,
        here=place_view(initiative.place_here) if isinstance(initiative.place_here, dict) else None,
        path=initiative_path(initiative), errors=errors or {}, entered=entered or {},
        decimal_text=decimal_text, direction_labels=DIRECTION_LABELS, nature_labels=NATURE_LABELS,
        today=date.today().isoformat(), description=plain_text(initiative.summary or initiative.content or initiative.title),
        shown=shown, content_dir=shown.dir, other_languages=shown.alternatives,
    ))


async def initiative_page(request: Request) -> Response:
    """GET /initiatives/{slug} for browsers (the AS2 route calls this)."""
    initiative = await find_initiative(request)
    if isinstance(initiative, Response):
        return initiative
    return await show_initiative(request, initiative)


# ------------------------------------------------------------------ pledges and support


async def pledge_submit(request: Request) -> Response:
    """A pledge against one need: members pledge as themselves, visitors give a name (and an email)."""
    node = node_of(request)
    initiative = await find_initiative(request)
    if isinstance(initiative, Response):
        return initiative
    form = await checked_form(request)
    ident = text_field(form, "need")
    need = await Need.get_or_none(id=int(ident), initiative=initiative) if ident.isdigit() else None
    if need is None:
        return await message(request, 400, "No such need", "This need is not part of the initiative (any more).")
    user = await auth.current_user(request)
    entered = {k: text_field(form, k) for k in ("name", "email", "quantity", "amount", "message")}
    key = f"pledge-{need.id}"
    try:
        quantity = _int(entered["quantity"], "the quantity")
        if user is not None:
            actor = await Actor.get(id=user.actor_id)  # type: ignore[attr-defined]
            await initiatives.pledge(node, need, actor=actor, name=actor.name or user.username, quantity=quantity,
                                     amount=entered["amount"] or None, message=entered["message"][:2000])
        else:
            await initiatives.pledge(node, need, name=entered["name"], email=entered["email"] or None,
                                     quantity=quantity, amount=entered["amount"] or None,
                                     message=entered["message"][:2000])
    except InitiativeError as exc:
        return await show_initiative(request, initiative, status=400, errors={key: str(exc)}, entered={key: entered})
    return RedirectResponse(f"{initiative_path(initiative)}?pledged={need.id}#need-{need.id}", status_code=303)


async def _support_action(request: Request, act: Any) -> Response:
    """Support or withdraw support, as the logged-in member."""
    initiative = await find_initiative(request)
    if isinstance(initiative, Response):
        return initiative
    posted = await member_post(request)
    try:
        await act(node_of(request), initiative, posted[0])
    except InitiativeError as exc:
        return await show_initiative(request, initiative, status=400, errors={"support": str(exc)})
    return RedirectResponse(f"{initiative_path(initiative)}#support", status_code=303)


async def support_submit(request: Request) -> Response:
    return await _support_action(request, initiatives.support)


async def withdraw_submit(request: Request) -> Response:
    return await _support_action(request, initiatives.unsupport)


async def remote_support(request: Request) -> Response:
    """A visitor gives their Fediverse address; we send them to their own server's interaction page for
    the initiative, where a like (a favourite) counts as support."""
    initiative = await find_initiative(request)
    if isinstance(initiative, Response):
        return initiative
    return await send_home(request, initiative.uri, _l("search for %(uri)s in your app and favourite it.", uri=initiative.uri))


# ------------------------------------------------------------------ organizers: status, ledger, progress


async def status_submit(request: Request) -> Response:
    initiative = await _editor_initiative(request)
    if isinstance(initiative, Response):
        return initiative
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
    initiative = await _editor_initiative(request)
    if isinstance(initiative, Response):
        return initiative
    form = await checked_form(request)
    entered = {k: text_field(form, k) for k in LEDGER_FIELDS}
    try:
        occurred = _date(entered["occurred_on"], "the date")
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
    if isinstance(initiative, Response):
        return initiative
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
        headers={"Content-Disposition": f'attachment; filename="ledger-{_slug(request)}.csv"',
                 "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )


async def progress_submit(request: Request) -> Response:
    initiative = await _editor_initiative(request)
    if isinstance(initiative, Response):
        return initiative
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
    if isinstance(initiative, Response):
        return initiative
    document = await initiatives.export_json(initiative)
    return Response(
        json.dumps(document, ensure_ascii=False, indent=2, default=str),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="initiative-{_slug(request)}.json"',
                 "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )


async def delete_submit(request: Request) -> Response:
    initiative = await _editor_initiative(request)
    if isinstance(initiative, Response):
        return initiative
    if request.method == "GET":
        return no_store(await render(
            request, "initiatives/confirm.html", title=_l("Delete this initiative"), initiative=initiative,
            text=_l("The initiative disappears from this site and from followers' servers, with its needs, "
                    "pledges, ledger and supporters. Download its JSON export first to keep a copy."),
            action=request.url.path, button=_l("Delete the initiative for good"), danger=True,
            back=initiative_path(initiative), lang=_lang(request, initiative),
        ))
    form = await checked_form(request)
    await initiatives.delete_initiative(node_of(request), initiative)
    return RedirectResponse("/initiatives", status_code=303)


# ------------------------------------------------------------------ the editors' form

FIELDS = ("title", "kind", "summary", "description", "cover_url", "cover_alt", "language", "tags", "responsible",
          *(f"{side}_{f}" for side in ("there", "here") for f in PLACE_FIELDS))
NEED_FIELDS = ("kind", "title", "description", "skills", "quantity", "goal", "currency")
CHECKBOXES = ("supporters_public",)


def _need_rows(form: FormData | None, count: int) -> list[dict[str, str]]:
    return [{f: (str(form.get(f"need{i}_{f}") or "") if form is not None else "") for f in NEED_FIELDS}
            for i in range(count)]


def form_values(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {key: str(form.get(key) or "") for key in FIELDS}
    values.update({key: "on" if form.get(key) else "" for key in CHECKBOXES})
    count = NEED_ROWS
    while count < 100 and any(form.get(f"need{count}_{f}") for f in NEED_FIELDS):
        count += 1
    values["needs"] = _need_rows(form, count)
    return values


def new_values(request: Request) -> dict[str, Any]:
    values: dict[str, Any] = dict.fromkeys(FIELDS, "")
    values.update(language=node_of(request).settings.association.language or "", supporters_public="on",
                  kind=kinds()[0][0] if kinds() else "")
    values["needs"] = _need_rows(None, NEED_ROWS)
    return values


async def initiative_values(initiative: Initiative) -> dict[str, Any]:
    values: dict[str, Any] = dict.fromkeys(FIELDS, "")
    values.update(
        title=initiative.title, kind=initiative.kind, summary=initiative.summary, description=initiative.source,
        cover_url=initiative.cover_url or "", cover_alt=initiative.cover_alt, language=initiative.language or "",
        tags=", ".join(str(t) for t in initiative.tags),
        responsible="\n".join(str(r) for r in initiative.responsible),
        supporters_public="on" if initiative.supporters_public else "",
    )
    for side, place in (("there", initiative.place_there), ("here", initiative.place_here)):
        if isinstance(place, dict):
            for f in PLACE_FIELDS:
                values[f"{side}_{f}"] = str(place.get(f) or "")
    rows = []
    for need in await Need.filter(initiative=initiative).order_by("position", "id"):
        rows.append({
            "kind": need.kind, "title": need.title, "description": need.description,
            "skills": ", ".join(str(s) for s in need.skills),
            "quantity": "" if need.quantity is None else str(need.quantity),
            "goal": decimal_text(need.goal_minor, need.currency), "currency": need.currency or "",
        })
    rows += _need_rows(None, max(0, NEED_ROWS - len(rows)))
    values["needs"] = rows
    return values


def _int(text: str, what: str) -> int | None:
    return forms.parse_int(text, what, InitiativeError)


def _date(text: str, what: str) -> date | None:
    return forms.parse_date(text, what, InitiativeError)


def _place(values: dict[str, Any], side: str, keep: Any) -> Place | None:
    parts = {f: str(values[f"{side}_{f}"]).strip() for f in PLACE_FIELDS}
    if not any(parts.values()):
        return None
    if any(len(v) > 500 for v in parts.values()):
        raise InitiativeError(_t("a place field is longer than 500 characters"))
    label = parts["name"] or parts["locality"] or parts["region"] or parts["country"] or parts["street"]
    extra: dict[str, Any] = {}
    if isinstance(keep, dict) and (keep.get("name") or "") == parts["name"]:  # same place: keep what the form lacks
        extra = {"postal_code": str(keep.get("postal_code") or ""),
                 "latitude": keep.get("latitude") if isinstance(keep.get("latitude"), (int, float)) else None,
                 "longitude": keep.get("longitude") if isinstance(keep.get("longitude"), (int, float)) else None}
    return Place(name=label, street=parts["street"], locality=parts["locality"], region=parts["region"],
                 country=parts["country"], **extra)


def initiative_input(values: dict[str, Any], keep: Initiative | None = None,
                     rows: list[dict[str, str]] | None = None) -> InitiativeInput:
    """The form's values (and its language blocks) as an InitiativeInput; InitiativeError names what is wrong."""
    needs = []
    for number, row in enumerate(values["needs"], start=1):
        row = {k: str(v).strip() for k, v in row.items()}
        if not any(row[f] for f in ("title", "description", "skills", "quantity", "goal")):
            continue  # an empty row (its kind and currency have defaults)
        if not row["title"]:
            raise InitiativeError(_t("need %(number)s: give it a title", number=number))
        needs.append(NeedInput(
            kind=row["kind"], title=row["title"], description=row["description"],
            skills=tuple(s for s in (p.strip() for p in row["skills"].split(",")) if s),
            quantity=_int(row["quantity"], f"need {number}: the quantity"),
            goal=row["goal"] or None, currency=row["currency"].upper() or None,
        ))
    cover_url = str(values["cover_url"]).strip() or None
    cover_alt = str(values["cover_alt"]).strip()
    if cover_url and not cover_alt:
        raise InitiativeError(_t("describe the cover image for people who cannot see it (alt text)"))
    tags = tuple(t for t in (p.strip().lstrip("#").strip() for p in str(values["tags"]).split(",")) if t)
    responsible = tuple(r for r in (p.strip() for p in str(values["responsible"]).splitlines()) if r)
    return InitiativeInput(
        title=str(values["title"]).strip(), kind=str(values["kind"]).strip(), summary=str(values["summary"]).strip(),
        description=str(values["description"]),
        place_there=_place(values, "there", keep.place_there if keep else None),
        place_here=_place(values, "here", keep.place_here if keep else None),
        cover_url=cover_url, cover_alt=cover_alt if cover_url else "",
        cover_media_type=keep.cover_media_type if keep is not None and keep.cover_url == cover_url else None,
        language=str(values["language"]).strip() or None, tags=tags, responsible=responsible,
        needs=tuple(needs), supporters_public=bool(values["supporters_public"]),
        translations=translations_from_rows(rows) if rows is not None else None,
    )


async def form_page(request: Request, values: dict[str, Any], *, initiative: Initiative | None = None,
                    error: str | None = None, status: int = 200, rows: list[dict[str, str]] | None = None,
                    preview: list[dict[str, Any]] | None = None) -> Response:
    return no_store(await render(
        request, "initiatives/form.html", status=status, values=values, initiative=initiative, error=error,
        kinds=kinds(), need_kinds=NEED_KIND_LABELS,
        action=f"{initiative_path(initiative)}/edit" if initiative else "/initiatives/new",
        rows=rows if rows is not None else rows_from_translations(()), preview=preview,
        **writing_context(node_of(request)),
    ))


def preview_versions(node: Node, inp: InitiativeInput) -> list[dict[str, Any]]:
    """The initiative as it will look in each of its languages: title, summary, story (nothing saved)."""
    language = inp.language or node.settings.association.language
    parts = [(language, {"title": inp.title, "lead": inp.summary, "text": inp.description})]
    parts += [(t.language, {"title": t.title or inp.title, "lead": t.summary or inp.summary, "text": t.text})
              for t in inp.translations or ()]
    return compose.rendered_versions(node, language, parts)


async def _cover(node: Node, actor: Actor, form: FormData, values: dict[str, Any], inp: InitiativeInput) -> InitiativeInput:
    """A cover chosen as a file: stored (it then has our address) and put in the input and the form."""
    upload = compose.chosen_file(form, "cover_file")
    if upload is None:
        return inp
    alt = str(values["cover_alt"]).strip()
    if not alt:
        raise InitiativeError(_t("describe the cover image for people who cannot see it (alt text)"))
    try:
        media = await compose.store_picture(node, actor, upload, alt)
    except media_service.MediaError as exc:
        raise InitiativeError(_t("the cover image: %(error)s", error=str(exc))) from None
    values["cover_url"] = compose.picture_url(node, media)
    return dataclasses.replace(inp, cover_url=values["cover_url"], cover_alt=alt, cover_media_type=media.media_type)


async def _initiative_form_post(request: Request, initiative: Initiative | None) -> Response:
    """The editors' form sent: preview (nothing saved), add a language block, save a draft, publish
    (or, for a published initiative, save the changes)."""
    node = node_of(request)
    form = await upload_form(request)  # also activates the reader's language for the errors below
    if isinstance(form, Response):
        return form
    actor = await association_actor(node)
    if actor is None:
        return await message(request, 500, "No association", "The association account is missing; run agora init.")
    action = action_of(form)
    values = form_values(form)
    rows = translation_rows(form, add=action == "add_language")
    try:
        if compose.chosen_file(form, "cover_file") is not None and not str(values["cover_alt"]).strip():
            raise InitiativeError(_t("describe the cover image for people who cannot see it (alt text)"))
        inp = initiative_input(values, keep=initiative, rows=rows)
        if action in ("preview", "add_language"):
            inp = await _cover(node, actor, form, values, inp)
            preview = preview_versions(node, initiatives.checked(node, inp, keep=initiative)) if action == "preview" else None
            return await form_page(request, values, initiative=initiative, rows=rows, preview=preview)
        inp = initiatives.checked(node, inp, keep=initiative)
        inp = await _cover(node, actor, form, values, inp)
        if initiative is None:
            created = await initiatives.create_initiative(node, actor, dataclasses.replace(inp, draft=action == "draft"))
            return RedirectResponse(initiative_path(created), status_code=303)
        await initiatives.update_initiative(node, initiative, inp)
        if initiative.draft and action == "publish":
            await initiatives.publish_initiative(node, initiative)
    except InitiativeError as exc:
        return await form_page(request, values, initiative=initiative, error=str(exc), status=400, rows=rows)
    return RedirectResponse(initiative_path(initiative), status_code=303)


async def new_initiative(request: Request) -> Response:
    user = await editor(request)
    if request.method == "GET":
        return await form_page(request, new_values(request))
    return await _initiative_form_post(request, None)


async def edit_initiative(request: Request) -> Response:
    initiative = await _editor_initiative(request)
    if isinstance(initiative, Response):
        return initiative
    if request.method == "GET":
        return await form_page(request, await initiative_values(initiative), initiative=initiative,
                               rows=rows_from_translations(initiatives.translations_of(initiative)))
    return await _initiative_form_post(request, initiative)


def routes() -> list[Route]:
    """Fixed paths: mounted before the `/initiatives/{slug}` route (app.py), whose HTML side is
    `initiative_page`."""
    return [
        Route("/initiatives", local_list, methods=["GET"]),
        Route("/initiatives/network", network_list, methods=["GET"]),
        Route("/initiatives/new", new_initiative, methods=["GET", "POST"]),
        Route("/initiatives/{slug}.json", export_json, methods=["GET"]),
        Route("/initiatives/{slug}/edit", edit_initiative, methods=["GET", "POST"]),
        Route("/initiatives/{slug}/delete", delete_submit, methods=["GET", "POST"]),
        Route("/initiatives/{slug}/status", status_submit, methods=["POST"]),
        Route("/initiatives/{slug}/ledger", ledger_submit, methods=["POST"]),
        Route("/initiatives/{slug}/ledger.csv", ledger_csv, methods=["GET"]),
        Route("/initiatives/{slug}/progress", progress_submit, methods=["POST"]),
        Route("/initiatives/{slug}/pledge", pledge_submit, methods=["POST"]),
        Route("/initiatives/{slug}/support", support_submit, methods=["POST"]),
        Route("/initiatives/{slug}/withdraw", withdraw_submit, methods=["POST"]),
        Route("/initiatives/{slug}/remote-support", remote_support, methods=["GET"]),
    ]
