"""The topics guides are filed under: the built-in ones (names translated like the interface) and the
admin's own (GuideTopic rows, named in several languages), in the order they are shown."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from node.core import i18n
from node.guides.models import GuideTopic

_l = i18n.lazy

BUILT_IN: tuple[tuple[str, Any], ...] = (
    ("residence", _l("Residence and papers")),
    ("housing", _l("Housing")),
    ("work", _l("Work")),
    ("health", _l("Health")),
    ("schooling", _l("Schooling")),
    ("language-courses", _l("Language courses")),
    ("money", _l("Money")),
    ("consular", _l("Consular services")),
)
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")


class TopicError(ValueError):
    pass


@dataclass(frozen=True)
class Topic:
    slug: str
    name: str
    builtin: bool


def _name_of(row: GuideTopic, language: str | None) -> str:
    names = row.name_map if isinstance(row.name_map, dict) else {}
    value = names.get(language or "") if language else None
    return value if isinstance(value, str) and value else row.name


async def all_topics(language: str | None = None) -> list[Topic]:
    """Every topic in order: the built-in ones, then the admin's by position (names in `language`
    when the admin gave one, built-in names in the interface's active language)."""
    found = [Topic(slug, str(name), True) for slug, name in BUILT_IN]
    for row in await GuideTopic.all().order_by("position", "id"):
        found.append(Topic(row.slug, _name_of(row, language), False))
    return found


async def topic(slug: str, language: str | None = None) -> Topic | None:
    for item in await all_topics(language):
        if item.slug == slug:
            return item
    return None


async def add_topic(slug: str, name: str, names: dict[str, str] | None = None, position: int = 100) -> GuideTopic:
    """The admin's own topic; TopicError for a bad or taken slug."""
    slug = slug.strip().lower()
    if not SLUG.fullmatch(slug):
        raise TopicError("slug: lower-case letters, digits and dashes, at most 63")
    if not name.strip() or len(name) > 200:
        raise TopicError("name: 1 to 200 characters")
    if slug in dict(BUILT_IN) or await GuideTopic.filter(slug=slug).exists():
        raise TopicError(f"slug: the topic {slug} exists already")
    return await GuideTopic.create(slug=slug, name=name.strip(), name_map=names or None, position=position)
