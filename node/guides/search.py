"""Search over guides, ours and the network's, in every language they are written in: the title and
text of each language (Markdown source for ours, plain text of the received HTML for the network's).
Guides are few (hundreds), so they are matched here rather than by the database's JSON operators,
which SQLite and PostgreSQL do not share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from node.core.sanitize import plain_text
from node.guides.models import Guide

SCAN = 3000


@dataclass(frozen=True)
class GuideHit:
    title: str
    link: str
    text: str  # plain text in the language that matched
    moment: datetime
    language: str
    network: bool


def texts_of(guide: Guide) -> dict[str, tuple[str, str]]:
    """(title, text) by language, the guide's own first."""
    names = guide.name_map if isinstance(guide.name_map, dict) else {}
    sources = guide.source_map if isinstance(guide.source_map, dict) else {}
    contents = guide.content_map if isinstance(guide.content_map, dict) else {}
    own = guide.language or ""
    found = {own: (guide.title, guide.source or plain_text(guide.content, 50_000))}
    for tag in [*contents, *names]:
        if tag not in found:
            source = sources.get(tag)
            body = source if isinstance(source, str) else plain_text(str(contents.get(tag) or ""), 50_000)
            found[tag] = (str(names.get(tag) or guide.title), body)
    return found


def guide_link(guide: Guide) -> str:
    return f"/guides/{guide.slug}" if guide.local else f"/guides/network/{guide.id}"


async def search_guides(query: str, limit: int, *, network: bool = True) -> list[GuideHit]:
    """Up to `limit` guides containing `query` (case-insensitive) in a title or text of any language,
    most recently changed first."""
    needle = query.casefold()
    if not needle:
        return []
    rows = Guide.filter(deleted_at=None) if network else Guide.filter(deleted_at=None, local=True)
    hits: list[GuideHit] = []
    for guide in await rows.order_by("-updated", "-published", "-id").limit(SCAN):
        for tag, (title, body) in texts_of(guide).items():
            if needle in title.casefold() or needle in body.casefold():
                hits.append(GuideHit(title, guide_link(guide), body, guide.updated or guide.published,
                                     tag or "en", not guide.local))
                break
        if len(hits) >= limit:
            break
    return hits
