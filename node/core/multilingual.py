"""Content in several languages: the translations an editor writes next to the default language, the
language maps they become (`contentMap`, `nameMap`, `summaryMap` on the wire; `*_map` columns here),
and which language a reader is shown.

A reader is shown, in this order of wishes: the language asked for in the address (`?lang=fr`), the
member's own preference, the language chosen with the switcher (its cookie), the languages of their
browser (`Accept-Language`, by weight, so a Portuguese reader gets a Portuguese version even though the
interface has no Portuguese), then the interface language. For each wish the exact tag is taken when the object has it, else the same
primary language ("fr-CA" reads "fr", "pt" reads "pt-BR"); when nothing matches, the default version.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import jinja2
from babel import Locale, UnknownLocaleError

from federation.vocab import is_language_tag
from node.core.i18n import COOKIE as LANGUAGE_COOKIE
from node.core.models import Post, User
from node.core.requestlike import RequestLike

MAX_TRANSLATIONS = 9  # besides the default language
MAX_ACCEPT = 20  # Accept-Language entries read


@runtime_checkable
class EventTexts(Protocol):
    """What is shown of an event (node/events/models.Event) in the reader's language."""

    language: str | None
    name: str
    name_map: Any
    content: str
    content_map: Any


@runtime_checkable
class InitiativeTexts(Protocol):
    """What is shown of an initiative (node/initiatives/models.Initiative) in the reader's language."""

    language: str | None
    title: str
    name_map: Any
    summary: str
    summary_map: Any
    content: str
    content_map: Any


@dataclass(frozen=True)
class Translation:
    """One more language of a post (text + content warning), an event (title + description) or an
    initiative (title + summary + description). Markdown, like the default language."""

    language: str
    title: str = ""
    summary: str = ""
    text: str = ""

    def is_blank(self) -> bool:
        return not (self.title.strip() or self.summary.strip() or self.text.strip())


def normalize_tag(tag: str) -> str:
    """"PT_br" -> "pt-BR", "zh-hant" -> "zh-Hant": BCP 47's usual casing, so that tags compare."""
    parts = tag.strip().replace("_", "-").split("-")
    out = [parts[0].lower()]
    for part in parts[1:]:
        if len(part) == 2 and part.isalpha():
            out.append(part.upper())
        elif len(part) == 4 and part.isalpha():
            out.append(part.title())
        else:
            out.append(part.lower())
    return "-".join(out)


def check_translations(default: str, translations: Sequence[Translation], error: type[Exception],
                       *, needs_text: bool = False, needs_title: bool = False) -> None:
    """Raise `error` with a message a person can act on when the translations cannot be kept."""
    if len(translations) > MAX_TRANSLATIONS:
        raise error(f"at most {MAX_TRANSLATIONS} translations")
    seen = {default.lower()}
    for number, item in enumerate(translations, start=1):
        where = f"translation {number}"
        if not is_language_tag(item.language):
            raise error(f"{where}: give its language as a code like fr, ar or pt-BR")
        if item.language.lower() in seen:
            raise error(f"{where}: the language {item.language} is written twice")
        seen.add(item.language.lower())
        if needs_text and not item.text.strip():
            raise error(f"{where} ({item.language}): write the text in that language")
        if needs_title and not item.title.strip():
            raise error(f"{where} ({item.language}): give the title in that language")


def ordered(default: str | None, value: str, others: Mapping[str, str] | None) -> dict[str, str]:
    """A language map with the default language first (Mastodon shows the first key), then the others
    by tag, so that the order is the same whatever the database kept (PostgreSQL's jsonb reorders
    keys); blank values left out."""
    mapped: dict[str, str] = {default: value} if default and value else {}
    for key, item in sorted((others or {}).items()):
        if key not in mapped and isinstance(item, str) and item:
            mapped[key] = item
    return mapped


def others(default: str | None, mapped: Mapping[str, Any] | None) -> dict[str, str]:
    """The entries of a stored language map that are not the default language."""
    return {k: v for k, v in (mapped or {}).items() if k != default and isinstance(k, str) and isinstance(v, str)}


# ------------------------------------------------------------------ what a reader is shown


def accept_languages(header: str) -> list[str]:
    """The tags of an Accept-Language header, most wanted first ("*" and malformed entries skipped)."""
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:MAX_ACCEPT]):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip()
        if not is_language_tag(tag):
            continue
        weight = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                weight = float(params[2:])
            except ValueError:
                continue
        if weight > 0:
            weighted.append((-weight, index, tag))
    return [tag for _, _, tag in sorted(weighted)]


def choose(available: Sequence[str], wishes: Sequence[str]) -> str | None:
    """The first wish the object has: the exact tag, else the same primary language."""
    lowered = {a.lower(): a for a in available}
    for wish in wishes:
        if not wish:
            continue
        wish = wish.lower()
        if wish in lowered:
            return lowered[wish]
        primary = wish.split("-")[0]
        for tag in available:
            if tag.lower().split("-")[0] == primary:
                return tag
    return None


# The names babel gives the languages offered in the language fields (node/web/pages.LANGUAGE_CHOICES),
# and whether each is written right to left: naming them through babel loads each one's whole locale
# data (about 18 MB for these 21, kept for the process's life) on the first page with a comment box.
# tests/core/test_language_names.py checks the table against babel; other tags still ask babel.
ENDONYMS: dict[str, tuple[str, bool]] = {
    "en": ("English", False), "fr": ("français", False), "ar": ("العربية", True), "es": ("español", False),
    "pt": ("português", False), "fa": ("فارسی", True), "ti": ("ትግርኛ", False), "am": ("አማርኛ", False),
    "so": ("Soomaali", False), "uk": ("українська", False), "de": ("Deutsch", False), "it": ("italiano", False),
    "tr": ("Türkçe", False), "ru": ("русский", False), "sw": ("Kiswahili", False), "wo": ("Wolof", False),
    "ln": ("lingála", False), "ha": ("Hausa", False), "ur": ("اردو", True), "bn": ("বাংলা", False),
    "zh": ("中文", False),
}


@functools.lru_cache(maxsize=256)
def _locale(tag: str) -> Locale | None:
    if tag.lower() in ("und", "zxx", "mul"):
        return None
    try:
        return Locale.parse(tag, sep="-")
    except (UnknownLocaleError, ValueError, TypeError):
        return None


def language_name(tag: str) -> str:
    """The language's name in itself ("français", "العربية"), or the tag when babel does not know it."""
    if tag in ENDONYMS:
        return ENDONYMS[tag][0]
    found = _locale(tag)
    name = found.get_display_name(found) if found is not None else None
    return name or tag


def direction(tag: str) -> str:
    if tag in ENDONYMS:
        return "rtl" if ENDONYMS[tag][1] else "ltr"
    found = _locale(tag)
    return "rtl" if found is not None and found.character_order == "right-to-left" else "ltr"


@dataclass(frozen=True)
class Shown:
    """An object as one reader sees it: the chosen language and its texts, and every language there is."""

    language: str
    dir: str
    title: str
    summary: str
    content: str
    languages: tuple[tuple[str, str], ...]  # (tag, name), the default language first

    @property
    def alternatives(self) -> list[tuple[str, str]]:
        return [(tag, name) for tag, name in self.languages if tag != self.language]


def shown(default: str, wishes: Sequence[str], title: tuple[str, Mapping[str, Any] | None],
          summary: tuple[str, Mapping[str, Any] | None], content: tuple[str, Mapping[str, Any] | None]) -> Shown:
    """Each field is (default text, map); a language missing from a field's map shows its default text."""
    tags = list(dict.fromkeys([default, *(k for _, m in (title, summary, content) for k in (m or {}) if isinstance(k, str))]))
    language = choose(tags, wishes) or default

    def pick(field: tuple[str, Mapping[str, Any] | None]) -> str:
        value = (field[1] or {}).get(language) if language != default else None
        return value if isinstance(value, str) and value else field[0]

    return Shown(language=language, dir=direction(language), title=pick(title), summary=pick(summary),
                 content=pick(content), languages=tuple((t, language_name(t)) for t in tags))


def show_post(post: Post, wishes: Sequence[str], fallback: str) -> Shown:
    default = post.language or fallback
    return shown(default, wishes, ("", None), (post.summary, post.summary_map), (post.content, post.content_map))


def show_event(event: EventTexts, wishes: Sequence[str], fallback: str) -> Shown:
    default = event.language or fallback
    return shown(default, wishes, (event.name, event.name_map), ("", None), (event.content, event.content_map))


def show_initiative(initiative: InitiativeTexts, wishes: Sequence[str], fallback: str) -> Shown:
    default = initiative.language or fallback
    return shown(default, wishes, (initiative.title, initiative.name_map), (initiative.summary, initiative.summary_map),
                 (initiative.content, initiative.content_map))


def reader_wishes(query_lang: str | None, preference: str | None, chosen: str | None, accept_language: str) -> list[str]:
    """The languages a reader wants, most wanted first (see the module's docstring)."""
    wishes: list[str] = []
    for explicit in (query_lang, preference, chosen):
        if explicit and is_language_tag(explicit.strip()):
            wishes.append(explicit.strip())
    wishes += accept_languages(accept_language)
    return list(dict.fromkeys(wishes))


def request_wishes(request: RequestLike | None, user: User | None) -> list[str]:
    """reader_wishes of a request: `?lang=`, the member's preference, the language switcher's cookie,
    then Accept-Language (the interface language comes from the same sources, node/i18n.py)."""
    if request is None:
        return []
    return reader_wishes(request.query_params.get("lang"), getattr(user, "locale", None),
                         request.cookies.get(LANGUAGE_COOKIE), request.headers.get("accept-language", ""))


def wishes_of_context(context: Mapping[str, Any]) -> list[str]:
    """request_wishes for the page a template renders, ending with its interface language."""
    user = context.get("user")
    wishes = request_wishes(context.get("request"), user if isinstance(user, User) else None)
    interface = context.get("locale")
    return wishes + [interface] if isinstance(interface, str) and interface not in wishes else wishes


@jinja2.pass_context
def localized(context: Any, obj: Any) -> Shown | None:
    """In templates: `{% set shown = localized(post) %}` for a Post, an Event or an Initiative."""
    fallback = str(getattr(context.get("association"), "language", "") or "en")
    wishes = wishes_of_context(context)
    if isinstance(obj, Post):
        return show_post(obj, wishes, fallback)
    if isinstance(obj, InitiativeTexts):
        return show_initiative(obj, wishes, fallback)
    if isinstance(obj, EventTexts):
        return show_event(obj, wishes, fallback)
    return None


def install(env: jinja2.Environment) -> None:
    env.globals["localized"] = localized
    env.globals["language_name"] = language_name
    env.globals["language_direction"] = direction
