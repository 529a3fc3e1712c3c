"""Search over the forum: topic titles and post bodies in every language they were written in.

A visitor searches the public categories, a signed-in member also the members-only ones. The default
language's title and Markdown source are matched by the database; the other languages (kept in JSON
columns, which SQLite and PostgreSQL do not search alike) are matched here among the newest `SCAN`
posts of the forum."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.expressions import Q

from node.core.models import User
from node.core.runtime import Node
from node.core.sanitize import plain_text
from node.forum.access import can_read
from node.forum.models import Category, Entry
from node.forum.threads import topic_url

SCAN = 2000  # the newest multilingual posts whose other languages are searched


@dataclass(frozen=True)
class ForumHit:
    title: str
    link: str
    text: str  # plain text of the post in the language that matched
    moment: datetime
    language: str


async def readable_categories(user: User | None) -> list[int]:
    return [c.id for c in await Category.all() if can_read(c, user)]


def _shown(category_ids: list[int]) -> Any:
    return Entry.filter(
        topic__category_id__in=category_ids, held=False, removed_at=None, topic__removed_at=None, topic__held=False,
        post__draft=False, post__deleted_at=None,
    )


def _texts(entry: Entry) -> dict[str, tuple[str, str]]:
    """(title, body source) by language, the post's own language first."""
    post, topic = entry.post, entry.topic
    data = post.data if isinstance(post.data, dict) else {}
    stored = data.get("source_map")
    sources: dict[str, Any] = stored if isinstance(stored, dict) else {}
    titles = topic.title_map if isinstance(topic.title_map, dict) else {}
    language = post.language or ""
    found: dict[str, tuple[str, str]] = {language: (topic.title, post.source or plain_text(post.content, 20_000))}
    bodies = post.content_map if isinstance(post.content_map, dict) else {}
    for tag in [*bodies, *titles]:
        if tag not in found:
            source, html = sources.get(tag), bodies.get(tag)
            body = source if isinstance(source, str) else plain_text(html, 20_000) if isinstance(html, str) else ""
            found[tag] = (str(titles.get(tag) or topic.title), body)
    return found


def _several(entry: Entry) -> bool:
    return len(entry.post.content_map or {}) > 1 or len(entry.topic.title_map or {}) > 1


def _match(entry: Entry, needle: str) -> str | None:
    """The language in which the entry matches (a title counts for the opening post only)."""
    for tag, (title, body) in _texts(entry).items():
        if needle in body.casefold() or (entry.position == 0 and needle in title.casefold()):
            return tag
    return None


def _hit(node: Node, entry: Entry, language: str) -> ForumHit:
    post, topic = entry.post, entry.topic
    title = _texts(entry)[language][0]
    html = (post.content_map or {}).get(language) or post.content
    if not (post.content_map or {}).get(language):
        language = post.language or ""  # a title in a language the body was not written in
    link = topic_url(node, topic.slug) if entry.position == 0 else f"{topic_url(node, topic.slug)}/posts/{entry.position}"
    return ForumHit(title, link, plain_text(html, 5000), post.published, language or node.settings.association.language)


async def search_forum(node: Node, query: str, user: User | None, limit: int) -> list[ForumHit]:
    """Up to `limit` posts of the categories the reader may read whose title or body contains `query`
    (case-insensitive), newest first."""
    needle = query.casefold()
    categories = await readable_categories(user)
    if not needle or not categories:
        return []
    shown = _shown(categories)
    direct = Q(post__source__icontains=query) | Q(position=0, topic__title__icontains=query) \
        | Q(post__source="", post__content__icontains=query)
    found = {e.id: e for e in await shown.filter(direct).order_by("-post__published", "-id").limit(limit)
             .prefetch_related("post", "topic")}
    for entry in await shown.order_by("-post__published", "-id").limit(SCAN).prefetch_related("post", "topic"):
        if entry.id not in found and _several(entry) and _match(entry, needle):
            found[entry.id] = entry
    hits = []
    for entry in found.values():
        language = _match(entry, needle)
        hits.append(_hit(node, entry, language if language is not None else entry.post.language or ""))
    hits.sort(key=lambda h: h.moment, reverse=True)
    return hits[:limit]
