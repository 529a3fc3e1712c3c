"""An opportunity on the wire: its `Note` document (federation/opportunities) and the activities that
carry it to the association's followers (Create, Update when it changes or closes, Delete when a
moderator removes it)."""

from __future__ import annotations

import secrets
from datetime import datetime, timezone
from typing import Any

from federation import opportunities as wire
from federation import vocab
from node.core.models import Actor
from node.core.multilingual import others
from node.core.runtime import Node
from node.opportunities.models import Opportunity
from node.posts.publishable import send_document
from node.social.delivery import publish


def addressing(organizer: Actor) -> tuple[list[str], list[str]]:
    return vocab.addressing("public", organizer.followers_url or "")


def opportunity_data(opportunity: Opportunity, organizer: Actor) -> wire.OpportunityData:
    to, cc = addressing(organizer)
    return wire.OpportunityData(
        id=opportunity.uri, url=opportunity.url or opportunity.uri, title=opportunity.title,
        content_html=opportunity.content, kind=opportunity.kind, purpose=opportunity.purpose,
        place_kind=opportunity.place_kind, place_name=opportunity.place_name,
        status="closed" if opportunity.status == "closed" else "open", expires=opportunity.expires,
        organizer=organizer.uri, starts=opportunity.starts, ends=opportunity.ends, closed=opportunity.closed_at,
        language=opportunity.language, languages=tuple(opportunity.languages or ()),
        tags=tuple(opportunity.tags or ()), published=opportunity.published, updated=opportunity.updated,
        to=tuple(to), cc=tuple(cc), name_map=others(opportunity.language, opportunity.name_map),
        content_map=others(opportunity.language, opportunity.content_map),
    )


async def opportunity_doc(opportunity: Opportunity) -> dict[str, Any]:
    organizer = await Actor.get(id=opportunity.organizer_id)
    return wire.opportunity_document(opportunity_data(opportunity, organizer))


async def send(node: Node, opportunity: Opportunity, kind: str) -> None:
    """`kind` (Create or Update) of its Note to the followers (in the caller's transaction)."""
    organizer = await Actor.get(id=opportunity.organizer_id)
    doc = wire.opportunity_document(opportunity_data(opportunity, organizer))
    stamp = f"{int(datetime.now(timezone.utc).timestamp() * 1000)}-{secrets.token_hex(3)}"
    suffix = "create" if kind == "Create" else f"updates/{stamp}"
    await send_document(node, organizer, kind, f"{opportunity.uri}#{suffix}", doc)


async def send_delete(node: Node, opportunity: Opportunity, when: datetime) -> None:
    organizer = await Actor.get(id=opportunity.organizer_id)
    tombstone = vocab.tombstone(opportunity.uri, "Note", when)
    tombstone.pop("@context")
    to, cc = addressing(organizer)
    await publish(node, organizer, vocab.activity("Delete", f"{opportunity.uri}#delete", organizer.uri, tombstone,
                                                  to=to, cc=cc))
