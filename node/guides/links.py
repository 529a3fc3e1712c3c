"""Links between guides: `[[slug]]` in a guide's Markdown becomes a link to that guide with its title,
or, when there is no such guide, the slug marked as a missing guide (before the Markdown is rendered)."""

from __future__ import annotations

import re

from node.core import i18n
from node.guides.models import Guide

LINK = re.compile(r"\[\[([a-z0-9][a-z0-9-]{0,99})\]\]")


def guide_path(guide: Guide) -> str:
    return f"/guides/{guide.slug}"


def linked_slugs(source: str) -> list[str]:
    return list(dict.fromkeys(LINK.findall(source)))


def _escaped(text: str) -> str:
    return re.sub(r"([\\`*_{}\[\]()#+\-.!<>|~])", r"\\\1", text)


async def with_links(source: str, language: str | None) -> str:
    """The Markdown with each `[[slug]]` replaced by a Markdown link titled in `language` (or the guide's
    own title), or by the slug in italics followed by "(no such guide yet)"."""
    slugs = linked_slugs(source)
    if not slugs:
        return source
    found = {g.slug: g for g in await Guide.filter(local=True, deleted_at=None, slug__in=slugs)}

    def replace(match: re.Match[str]) -> str:
        guide = found.get(match.group(1))
        if guide is None:
            missing = i18n.gettext("no such guide yet")
            return f"*{match.group(1)}* ({_escaped(missing)})"
        names = guide.name_map if isinstance(guide.name_map, dict) else {}
        title = names.get(language or "") or guide.title
        return f"[{_escaped(str(title))}]({guide.url or guide.uri})"  # absolute: it federates

    return LINK.sub(replace, source)
