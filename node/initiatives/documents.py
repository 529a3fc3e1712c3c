"""An initiative on the wire: its `Article` document (needs with their progress, ledger totals, every
language) and the activity that carries it to the organizer's followers."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, cast

from federation import initiatives as wire
from federation import vocab
from federation.events import Place
from node.core.models import Actor
from node.core.multilingual import Translation, others
from node.core.runtime import Node
from node.initiatives.ledger import ledger_totals
from node.initiatives.models import Initiative, Need
from node.initiatives.pledges import need_progress
from node.posts.publishable import organizer_of, send_document, stored_translations


def _place(value: Mapping[str, Any] | None) -> Place | None:
    if not value:
        return None
    names = {f.name for f in dataclasses.fields(Place)}
    return Place(**{k: v for k, v in value.items() if k in names})


def _history(initiative: Initiative) -> tuple[tuple[str, datetime], ...]:
    out: list[tuple[str, datetime]] = []
    for item in initiative.status_history or []:
        at = vocab.parse_datetime(item.get("at")) if isinstance(item, Mapping) else None
        if at is not None and item.get("status") in wire.STATUSES:
            out.append((item["status"], at))
    return tuple(out)


async def _need_data(need: Need) -> wire.NeedData:
    pledged, _ = await need_progress(need)
    goal = wire.Money(need.goal_minor, need.currency) if need.kind == "money" and need.goal_minor is not None and need.currency else None
    return wire.NeedData(
        kind=cast(wire.NeedKind, need.kind), title=need.title, description=need.description, skills=tuple(need.skills or ()),
        quantity=need.quantity, goal=goal, pledged_quantity=0 if need.kind == "money" else pledged,
        pledged=wire.Money(pledged, need.currency) if goal is not None and need.currency else None,
    )


def addressing(organizer: Actor) -> tuple[list[str], list[str]]:
    return vocab.addressing("public", organizer.followers_url or "")


async def initiative_data(node: Node, initiative: Initiative) -> wire.InitiativeData:
    organizer = await organizer_of(initiative)
    needs = await Need.filter(initiative=initiative).order_by("position", "id")
    to, cc = addressing(organizer)
    return wire.InitiativeData(
        id=initiative.uri, url=initiative.url or initiative.uri, title=initiative.title,
        summary=initiative.summary, content_html=initiative.content, kind=initiative.kind,
        status=initiative.status, status_history=_history(initiative),
        place_there=_place(initiative.place_there), place_here=_place(initiative.place_here),
        cover_url=initiative.cover_url, cover_alt=initiative.cover_alt, cover_media_type=initiative.cover_media_type,
        language=initiative.language, tags=tuple(initiative.tags or ()), responsible=tuple(initiative.responsible or ()),
        needs=tuple([await _need_data(n) for n in needs]), totals=tuple(await ledger_totals(initiative)),
        support_count=initiative.support_count, organizer=organizer.uri, published=initiative.published,
        updated=initiative.updated, to=tuple(to), cc=tuple(cc),
        name_map=others(initiative.language, initiative.name_map),
        summary_map=others(initiative.language, initiative.summary_map),
        content_map=others(initiative.language, initiative.content_map),
    )


def translations_of(initiative: Initiative) -> tuple[Translation, ...]:
    """An initiative's other languages as written (Markdown stories), for its edit form and export."""
    return stored_translations(initiative.language, initiative.name_map, initiative.source_map, initiative.summary_map)


async def initiative_doc(node: Node, initiative: Initiative) -> dict[str, Any]:
    return wire.initiative_document(await initiative_data(node, initiative), locale=initiative.language)


async def send(node: Node, initiative: Initiative, kind: str) -> None:
    if initiative.draft:  # nothing leaves the node before publish_initiative
        return
    organizer = await organizer_of(initiative)
    doc = await initiative_doc(node, initiative)
    suffix = "create" if kind == "Create" else f"updates/{int(datetime.now(timezone.utc).timestamp() * 1000)}-{secrets.token_hex(3)}"
    await send_document(node, organizer, kind, f"{initiative.uri}#{suffix}", doc)
