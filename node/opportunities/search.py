"""Site search over the open opportunities, ours and the network's, in every language they are written
in: the folded text of every title and description (`search_text`, accents and case removed) holds
each word of the query; the hit is shown in the language whose text matched, else the default one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from node.core.sanitize import plain_text
from node.opportunities.models import Opportunity
from node.opportunities.money import folded


@dataclass(frozen=True)
class OpportunityHit:
    title: str
    link: str
    text: str  # plain text in the language that matched
    moment: datetime
    language: str


def _path(row: Opportunity) -> str:
    return "/opportunities/" + row.uri.rsplit("/", 1)[-1] if row.local else (row.url or row.uri)


async def search_opportunities(query: str, limit: int) -> list[OpportunityHit]:
    words = folded(query).split()[:8]
    if not words:
        return []
    rows = Opportunity.filter(status="open", expires__gt=datetime.now(timezone.utc))
    for word in words:
        rows = rows.filter(search_text__contains=word)
    hits = []
    for row in await rows.order_by("-published", "-id").limit(limit):
        language, title, text = row.language or "", row.title, plain_text(row.content, 5000)
        for tag, html in (row.content_map or {}).items():
            candidate = (row.name_map or {}).get(tag, row.title)
            if all(w in folded(f"{candidate} {plain_text(html, 5000)}") for w in words):
                language, title, text = tag, candidate, plain_text(html, 5000)
                break
        hits.append(OpportunityHit(title, _path(row), text, row.published, language))
    return hits
