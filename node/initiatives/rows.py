"""An initiative's input as stored columns: the language settled, every language's title, summary and
story rendered, the dated status history; and the creation of the row with its needs."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from typing import Any

from federation import vocab
from node.core.models import Actor
from node.core.multilingual import normalize_tag
from node.core.runtime import Node
from node.initiatives.documents import translations_of
from node.initiatives.inputs import MAX_TAGS, InitiativeInput
from node.initiatives.models import Initiative, Need
from node.initiatives.pledges import need_values
from node.posts.content import new_slug
from node.posts.publishable import kept_translations, language_columns, rendered_story


def prepared(node: Node, inp: InitiativeInput, keep: Initiative | None = None) -> InitiativeInput:
    """The input with its language settled and its translations (kept ones for an edit giving none)
    without blanks or the default language."""
    language = normalize_tag(inp.language or (keep.language if keep else None) or node.settings.association.language)
    translations = kept_translations(inp.translations, language, stored=translations_of(keep) if keep else None)
    return dataclasses.replace(inp, language=language, translations=translations)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def initiative_values(node: Node, inp: InitiativeInput) -> dict[str, Any]:
    html, found, languages = rendered_story(node.urls, inp.description, inp.translations, summaries=True)
    language = normalize_tag(inp.language or node.settings.association.language)
    tags = [t.lstrip("#").strip().lower() for t in inp.tags] + [t["name"].lstrip("#") for t in found if t["type"] == "Hashtag"]
    values: dict[str, Any] = {
        "title": inp.title.strip(), "summary": inp.summary.strip(), "source": inp.description, "content": html,
        "kind": inp.kind, "place_there": dataclasses.asdict(inp.place_there) if inp.place_there else None,
        "place_here": dataclasses.asdict(inp.place_here) if inp.place_here else None,
        "cover_url": inp.cover_url, "cover_alt": inp.cover_alt, "cover_media_type": inp.cover_media_type,
        "language": language,
        "tags": list(dict.fromkeys(tags))[:MAX_TAGS], "responsible": [r.strip() for r in inp.responsible],
        "supporters_public": inp.supporters_public,
    }
    if inp.translations is not None:
        values |= language_columns(language, languages, name=values["title"], summary=values["summary"],
                                   content=html, source=inp.description)
    return values


def stamp(status: str, at: datetime) -> dict[str, str]:
    return {"status": status, "at": vocab.iso(at)}


async def create_row(node: Node, organizer: Actor, inp: InitiativeInput, *, status: str = "proposed",
                  history: list[dict[str, str]] | None = None, published: datetime | None = None) -> Initiative:
    now = utcnow()
    uri = node.urls.initiative(new_slug())
    initiative = await Initiative.create(
        uri=uri, url=uri, local=True, organizer=organizer, status=status,
        status_history=history if history is not None else [stamp(status, now)],
        published=published or now, draft=inp.draft, **initiative_values(node, inp),
    )
    for i, need in enumerate(inp.needs):
        await Need.create(initiative=initiative, **need_values(need, i))
    return initiative

