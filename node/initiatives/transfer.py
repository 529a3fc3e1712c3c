"""An initiative as a versioned JSON document, to move it to another node or restore it: `export_json`
writes it, `import_json` reads it back, everything validated before anything is written."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from tortoise.transactions import in_transaction

from federation import initiatives as wire
from federation import vocab
from federation.events import Place
from node.core.models import Actor
from node.core.multilingual import Translation
from node.core.runtime import Node
from node.initiatives.documents import send, translations_of
from node.initiatives.inputs import (
    FORMAT_VERSION, MAX_LEDGER, TRANSITIONS, InitiativeError, InitiativeInput, NeedInput, amount_text, validate,
)
from node.initiatives.ledger import ledger_values, ledger_totals
from node.initiatives.models import Initiative, LedgerEntry, Need, Pledge
from node.initiatives.pledges import COUNTED, need_progress
from node.initiatives.rows import create_row, utcnow, prepared, stamp


def _place_json(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return dict(value) if value else None


async def export_json(initiative: Initiative) -> dict[str, Any]:
    """The whole initiative as a versioned document: what `import_json` reads back. Pledges are counted,
    never listed (no names or emails leave the node)."""
    needs = []
    for need in await Need.filter(initiative=initiative).order_by("position", "id"):
        pledged, _ = await need_progress(need)
        needs.append({
            "kind": need.kind, "title": need.title, "description": need.description, "skills": list(need.skills or []),
            "quantity": need.quantity,
            "goal": amount_text(need.goal_minor, need.currency) if need.goal_minor is not None and need.currency else None,
            "currency": need.currency,
            "pledge_count": await Pledge.filter(need=need, status__in=COUNTED).count(),
            "pledged": amount_text(pledged, need.currency) if need.kind == "money" and need.currency else pledged,
        })
    ledger = [
        {"direction": e.direction, "nature": e.nature, "description": e.description,
         "occurred_on": e.occurred_on.isoformat(),
         "amount": amount_text(e.amount_minor, e.currency) if e.amount_minor is not None and e.currency else None,
         "currency": e.currency, "receipt_url": e.receipt_url}
        for e in await LedgerEntry.filter(initiative=initiative).order_by("occurred_on", "id")
    ]
    totals = [{"currency": t.currency, "received": amount_text(t.received_minor, t.currency),
               "spent": amount_text(t.spent_minor, t.currency)} for t in await ledger_totals(initiative)]
    return {
        "agora_initiative": FORMAT_VERSION, "id": initiative.uri, "url": initiative.url or initiative.uri,
        "title": initiative.title, "kind": initiative.kind, "summary": initiative.summary,
        "description": initiative.source, "status": initiative.status, "status_history": list(initiative.status_history or []),
        "place_there": _place_json(initiative.place_there), "place_here": _place_json(initiative.place_here),
        "cover_url": initiative.cover_url, "cover_alt": initiative.cover_alt, "cover_media_type": initiative.cover_media_type,
        "language": initiative.language, "tags": list(initiative.tags or []), "responsible": list(initiative.responsible or []),
        "supporters_public": initiative.supporters_public, "support_count": initiative.support_count,
        "published": vocab.iso(initiative.published), "updated": vocab.iso(initiative.updated) if initiative.updated else None,
        "needs": needs, "ledger": ledger, "totals": totals,
        "translations": [{"language": t.language, "title": t.title, "summary": t.summary, "description": t.text}
                         for t in translations_of(initiative)],
    }


def _text(data: Mapping[str, Any], key: str, field: str, default: str = "") -> str:
    value = data.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise InitiativeError(f"{field}: must be text")
    return value


def _optional_text(data: Mapping[str, Any], key: str, field: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise InitiativeError(f"{field}: must be text")
    return value


def _strings(data: Mapping[str, Any], key: str, field: str) -> tuple[str, ...]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InitiativeError(f"{field}: must be a list of texts")
    return tuple(value)


def _place_in(value: Any, field: str) -> Place | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise InitiativeError(f"{field}: must be an object")
    known = {f.name: f for f in dataclasses.fields(Place)}
    unknown = set(value) - set(known)
    if unknown:
        raise InitiativeError(f"{field}.{sorted(unknown)[0]}: unknown field")
    for key, item in value.items():
        if key in ("latitude", "longitude"):
            if item is not None and (isinstance(item, bool) or not isinstance(item, (int, float))):
                raise InitiativeError(f"{field}.{key}: not a number")
        elif not isinstance(item, str):
            raise InitiativeError(f"{field}.{key}: must be text")
    if "name" not in value:
        raise InitiativeError(f"{field}.name: required")
    return Place(**dict(value))


def _needs_in(value: Any) -> tuple[NeedInput, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InitiativeError("needs: must be a list")
    out = []
    for i, item in enumerate(value):
        field = f"needs[{i}]"
        if not isinstance(item, Mapping):
            raise InitiativeError(f"{field}: must be an object")
        goal = item.get("goal")
        if goal is not None and (isinstance(goal, bool) or not isinstance(goal, (str, int, float))):
            raise InitiativeError(f"{field}.goal: not a number")
        quantity = item.get("quantity")
        if quantity is not None and (isinstance(quantity, bool) or not isinstance(quantity, int)):
            raise InitiativeError(f"{field}.quantity: not a whole number")
        out.append(NeedInput(
            kind=_text(item, "kind", f"{field}.kind"), title=_text(item, "title", f"{field}.title"),
            description=_text(item, "description", f"{field}.description"),
            skills=_strings(item, "skills", f"{field}.skills"), quantity=quantity,
            goal=None if goal is None else str(goal), currency=_optional_text(item, "currency", f"{field}.currency"),
        ))
    return tuple(out)


def _translations_in(value: Any) -> tuple[Translation, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InitiativeError("translations: must be a list")
    out = []
    for i, item in enumerate(value):
        field = f"translations[{i}]"
        if not isinstance(item, Mapping):
            raise InitiativeError(f"{field}: must be an object")
        out.append(Translation(
            language=_text(item, "language", f"{field}.language"), title=_text(item, "title", f"{field}.title"),
            summary=_text(item, "summary", f"{field}.summary"), text=_text(item, "description", f"{field}.description"),
        ))
    return tuple(out)


def _history_in(value: Any, status: str) -> list[dict[str, str]]:
    if value is None:
        return [stamp(status, utcnow())]
    if not isinstance(value, list) or not value:
        raise InitiativeError("status_history: must be a non-empty list")
    out = []
    previous: str | None = None
    for i, item in enumerate(value):
        field = f"status_history[{i}]"
        if not isinstance(item, Mapping):
            raise InitiativeError(f"{field}: must be an object")
        state = item.get("status")
        if state not in wire.STATUSES:
            raise InitiativeError(f"{field}.status: must be one of {', '.join(wire.STATUSES)}")
        if previous is None and state != "proposed" and len(value) > 1:
            raise InitiativeError(f"{field}.status: a history starts with proposed")
        if previous is not None and state not in TRANSITIONS[previous]:
            raise InitiativeError(f"{field}.status: {previous} cannot become {state}")
        at = vocab.parse_datetime(item.get("at"))
        if at is None:
            raise InitiativeError(f"{field}.at: not a date and time (ISO 8601)")
        out.append(stamp(state, at))
        previous = state
    if previous != status:
        raise InitiativeError(f"status: the history ends with {previous}, not {status}")
    return out


async def import_json(node: Node, organizer: Actor, data: Mapping[str, Any]) -> Initiative:
    """Recreate an exported initiative here (moved or restored): everything is validated first, then
    written in one transaction (status history and ledger kept; pledges are not exported) and federated."""
    if not isinstance(data, Mapping):
        raise InitiativeError("document: must be a JSON object")
    if data.get("agora_initiative") != FORMAT_VERSION:
        raise InitiativeError(f"agora_initiative: must be {FORMAT_VERSION} (this is not an Agora initiative export)")
    supporters_public = data.get("supporters_public", True)
    if not isinstance(supporters_public, bool):
        raise InitiativeError("supporters_public: must be true or false")
    inp = InitiativeInput(
        title=_text(data, "title", "title"), kind=_text(data, "kind", "kind"), summary=_text(data, "summary", "summary"),
        description=_text(data, "description", "description"),
        place_there=_place_in(data.get("place_there"), "place_there"),
        place_here=_place_in(data.get("place_here"), "place_here"),
        cover_url=_optional_text(data, "cover_url", "cover_url"), cover_alt=_text(data, "cover_alt", "cover_alt"),
        cover_media_type=_optional_text(data, "cover_media_type", "cover_media_type"),
        language=_optional_text(data, "language", "language"), tags=_strings(data, "tags", "tags"),
        responsible=_strings(data, "responsible", "responsible"), needs=_needs_in(data.get("needs")),
        supporters_public=supporters_public, translations=_translations_in(data.get("translations")),
    )
    inp = prepared(node, inp)
    validate(inp)
    status = data.get("status", "proposed")
    if status not in wire.STATUSES:
        raise InitiativeError(f"status: must be one of {', '.join(wire.STATUSES)}")
    history = _history_in(data.get("status_history"), status)
    published = vocab.parse_datetime(data.get("published")) if data.get("published") is not None else None
    if data.get("published") is not None and published is None:
        raise InitiativeError("published: not a date and time (ISO 8601)")
    raw_ledger = data.get("ledger") or []
    if not isinstance(raw_ledger, list):
        raise InitiativeError("ledger: must be a list")
    if len(raw_ledger) > MAX_LEDGER:
        raise InitiativeError(f"ledger: at most {MAX_LEDGER} entries")
    entries = []
    for i, item in enumerate(raw_ledger):
        if not isinstance(item, Mapping):
            raise InitiativeError(f"ledger[{i}]: must be an object")
        entries.append(ledger_values(
            item.get("direction"), item.get("nature", "money"), item.get("description"), item.get("occurred_on"),
            item.get("amount"), item.get("currency"), item.get("receipt_url"), prefix=f"ledger[{i}].",
        ))
    if not organizer.local:
        raise InitiativeError("organizer: must be an account of this node")
    async with in_transaction():
        initiative = await create_row(node, organizer, inp, status=status, history=history, published=published)
        for values in entries:
            await LedgerEntry.create(initiative=initiative, **values)
        await send(node, initiative, "Create")
    return initiative
