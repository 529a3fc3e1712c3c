"""What events and initiatives share as publishable multilingual objects: their other languages
rendered into name, summary, content and source maps (and read back for the edit form), the languages
an input settles on, edits that are dated and federated unless the object is a draft, the activity
that carries the object's document, and deletion (a draft simply goes; a published object leaves a
Tombstone and a `Delete`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from tortoise.transactions import in_transaction

from federation import vocab
from node.core.models import Actor
from node.core.multilingual import Translation, normalize_tag, ordered, others
from node.core.runtime import Node
from node.core.urls import Urls
from node.events.models import Event
from node.initiatives.models import Initiative
from node.posts.content import render
from node.social.delivery import publish

Publishable = Event | Initiative


@dataclass
class Languages:
    """The other languages of an input, by normalized tag: titles and summaries as text, the stories
    rendered (HTML) and as written (Markdown), and the tags (hashtags, mentions) the stories produced."""

    names: dict[str, str] = field(default_factory=dict)
    summaries: dict[str, str] = field(default_factory=dict)
    contents: dict[str, str] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    found: list[dict[str, Any]] = field(default_factory=list)


def rendered_languages(urls: Urls, translations: Sequence[Translation] | None, *, summaries: bool) -> Languages:
    """Render every translation's story; summaries are read only for objects that have one."""
    out = Languages()
    for item in translations or ():
        tag = normalize_tag(item.language)
        if item.title.strip():
            out.names[tag] = item.title.strip()
        if summaries and item.summary.strip():
            out.summaries[tag] = item.summary.strip()
        if item.text.strip():
            out.contents[tag], more = render(urls, item.text, {})
            out.sources[tag] = item.text
            out.found += more
    return out


def rendered_story(urls: Urls, source: str, translations: Sequence[Translation] | None, *,
                   summaries: bool) -> tuple[str, list[dict[str, Any]], Languages]:
    """The object's own story as HTML, the tags of every language's story (its own first), and its other
    languages rendered."""
    html, found = render(urls, source, {}) if source.strip() else ("", [])
    languages = rendered_languages(urls, translations, summaries=summaries)
    return html, found + languages.found, languages


def language_columns(language: str, languages: Languages, *, name: str, content: str, source: str,
                     summary: str | None = None) -> dict[str, Any]:
    """The name/summary/content/source map columns: every language, the object's own first; None for
    all of them when there is no other language. `summary` None: the object has no summary map."""
    several = bool(languages.names or languages.summaries or languages.contents)
    columns: dict[str, Any] = {"name_map": ordered(language, name, languages.names) if several else None}
    if summary is not None:
        columns["summary_map"] = ordered(language, summary, languages.summaries) if several else None
    columns["content_map"] = ordered(language, content, languages.contents) if several else None
    columns["source_map"] = ordered(language, source, languages.sources) if several else None
    return columns


def stored_translations(language: str | None, name_map: dict[str, str] | None, source_map: dict[str, str] | None,
                        summary_map: dict[str, str] | None = None) -> tuple[Translation, ...]:
    """An object's other languages as written (Markdown sources), for its edit form and export."""
    names = others(language, name_map)
    summaries = others(language, summary_map)
    sources = others(language, source_map)
    return tuple(Translation(language=tag, title=names.get(tag, ""), summary=summaries.get(tag, ""),
                             text=sources.get(tag, "")) for tag in dict.fromkeys([*names, *summaries, *sources]))


def kept_translations(given: tuple[Translation, ...] | None, language: str, *,
                      stored: tuple[Translation, ...] | None = None,
                      drop_default: bool = True) -> tuple[Translation, ...] | None:
    """The translations an input saves: the given ones (or the stored ones when it gives none), without
    blanks and, with `drop_default`, without one in the object's own language. None: keep the maps."""
    translations = given if given is not None else stored
    if translations is None:
        return None
    return tuple(t for t in translations
                 if not t.is_blank() and not (drop_default and normalize_tag(t.language) == language))


async def organizer_of(row: Publishable) -> Actor:
    return await Actor.get(id=row.organizer_id)


async def save_edit(row: Publishable, values: dict[str, Any]) -> datetime | None:
    """Write an edit (in the caller's transaction); a published object is dated now. That date, when the
    edit is to be federated; None for a draft (nothing leaves the node)."""
    await row.update_from_dict(values)
    if row.draft:
        await row.save()
        return None
    row.updated = updated = datetime.now(timezone.utc)
    await row.save()
    return updated


async def send_document(node: Node, organizer: Actor, kind: str, activity_id: str, doc: dict[str, Any]) -> None:
    """`kind` (Create, Update) of the object's document, addressed as the document is, from its organizer."""
    context = doc.pop("@context", None)
    activity = vocab.activity(kind, activity_id, organizer.uri, doc, to=doc.get("to"), cc=doc.get("cc"))
    if context is not None:
        activity["@context"] = context
    await publish(node, organizer, activity)


async def delete_published(node: Node, row: Publishable, kind: str) -> None:
    """A draft is deleted (nobody saw it: nothing to tell); a published object is marked deleted and its
    followers get a `Delete` of a Tombstone of type `kind`."""
    if row.deleted_at is not None:
        return
    if row.draft:
        await row.delete()
        return
    organizer = await organizer_of(row)
    now = datetime.now(timezone.utc)
    async with in_transaction():
        row.deleted_at = now
        await row.save(update_fields=["deleted_at"])
        tombstone = vocab.tombstone(row.uri, kind, now)
        tombstone.pop("@context")
        to, cc = vocab.addressing("public", organizer.followers_url or "")
        await publish(node, organizer, vocab.activity("Delete", f"{row.uri}#delete", organizer.uri, tombstone, to=to, cc=cc))
