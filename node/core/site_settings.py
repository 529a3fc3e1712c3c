"""Runtime settings changed from the admin console, stored in SiteSetting (a key there overrides the
config file's value), and the association's "about" texts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from markdown_it import MarkdownIt

from node.core.models import SiteSetting
from node.core.runtime import Node
from node.core.sanitize import clean_html
from node.core.settings import Settings

ABOUT_KEY = "about"
ABOUT_SECTIONS = ("mission", "contacts", "statutes", "rules")
MAX_ABOUT_SOURCE = 50_000

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": True, "typographer": False}).enable(
    ["linkify", "strikethrough"]
)


@dataclass(frozen=True)
class Flag:
    """A yes/no setting the admin console may override: its SiteSetting key and its config default."""

    key: str
    label: str
    help: str
    default: Callable[[Settings], bool]


FLAGS = (
    Flag("registrations_open", "Registrations open",
         "Anyone may create an account without an invitation.", lambda s: s.registration.open),
    Flag("hold_remote_replies", "Hold remote replies",
         "Replies, comments and support from other servers wait for a moderator before they are shown.",
         lambda s: s.policy.hold_remote_replies),
)
FLAG_KEYS = {flag.key: flag for flag in FLAGS}


async def get(key: str, default: Any = None) -> Any:
    row = await SiteSetting.get_or_none(key=key)
    return default if row is None else row.value


async def put(key: str, value: Any) -> None:
    await SiteSetting.update_or_create(defaults={"value": value}, key=key)


async def flag(node: Node, key: str) -> bool:
    """The effective value of a yes/no setting: the admin console's, else the config file's."""
    value = await get(key)
    if isinstance(value, bool):
        return value
    return FLAG_KEYS[key].default(node.settings)


def markdown_html(source: str) -> str:
    """Markdown written by an admin -> sanitized HTML (the one sanitizer, nh3)."""
    return clean_html(_markdown.render(source)) if source.strip() else ""


async def about() -> dict[str, dict[str, str]]:
    """{section: {"source": Markdown, "html": sanitized HTML}} for every section (empty when unset)."""
    stored = await get(ABOUT_KEY, {})
    result: dict[str, dict[str, str]] = {}
    for section in ABOUT_SECTIONS:
        entry = stored.get(section) if isinstance(stored, dict) else None
        source = entry.get("source") if isinstance(entry, dict) else None
        html = entry.get("html") if isinstance(entry, dict) else None
        result[section] = {
            "source": source if isinstance(source, str) else "",
            "html": html if isinstance(html, str) else "",
        }
    return result


async def save_about(sources: dict[str, str]) -> dict[str, dict[str, str]]:
    """Store the about texts (Markdown) with their sanitized HTML. Raises ValueError when too long."""
    value: dict[str, dict[str, str]] = {}
    for section in ABOUT_SECTIONS:
        source = sources.get(section, "").replace("\r\n", "\n").replace("\x00", "")
        if len(source) > MAX_ABOUT_SOURCE:
            raise ValueError(f"{section}: longer than {MAX_ABOUT_SOURCE} characters")
        value[section] = {"source": source, "html": markdown_html(source)}
    await put(ABOUT_KEY, value)
    return value
