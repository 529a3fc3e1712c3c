"""Interface languages: which language a request gets, and its translations (node/core/catalogs.py).

The request's translations live in a context variable set by `template_context` (called by
`pages.render`) or `activate`; `gettext`, `ngettext` and `lazy_gettext` read it in Python code, the
Jinja helpers in templates (node/core/i18n_jinja.py), and the date and number formatting
(node/core/formats.py).

The language of a request, first match wins, always one of `settings.ui.languages`: the member's
`User.locale`, the `lang` cookie set by the switcher (/language), the browser's `Accept-Language`, the
association's language, the first offered language."""

from __future__ import annotations

import contextvars
import functools
import gettext as gettext_module
import re
from dataclasses import dataclass
from typing import Any, Sequence

from babel import Locale, UnknownLocaleError, negotiate_locale
from babel.support import LazyProxy

from node.core.catalogs import translations_for
from node.core.models import User
from node.core.requestlike import RequestLike
from node.core.runtime import Node

COOKIE = "lang"
COOKIE_AGE = 365 * 24 * 3600
DEFAULT = "en"  # the language of the msgids
# Right-to-left languages, for tags babel does not know (babel's character_order decides otherwise).
RTL = frozenset({"ar", "arc", "ckb", "dv", "fa", "ha-arab", "he", "khw", "ks", "ku-arab", "ps", "sd", "syr",
                 "ug", "ur", "yi"})
# The switcher's entries for the languages the node ships (locales/), named in themselves: drawing the
# menu on every page would otherwise load babel's locale data of each of them (~1 MB of memory apiece)
# for a visitor who reads one. Other offered tags are named by babel (tests/core/test_i18n.py checks
# that this table says what babel says).
SHIPPED = {"en": ("English", "ltr"), "fr": ("Français", "ltr"), "ar": ("العربية", "rtl"),
           "es": ("Español", "ltr")}
_TAG = re.compile(r"^[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*$")
_MAX_HEADER = 1024
_MAX_RANGES = 32

_translations: contextvars.ContextVar[gettext_module.NullTranslations] = contextvars.ContextVar(
    "agora_translations", default=gettext_module.NullTranslations())
_locale: contextvars.ContextVar[str] = contextvars.ContextVar("agora_locale", default=DEFAULT)


# ------------------------------------------------------------------ tags


def normalize(tag: object) -> str | None:
    """A language tag in BCP 47 spelling ("pt-BR", "ar"), or None when it is not one."""
    if not isinstance(tag, str):
        return None
    tag = tag.strip()
    if not tag or len(tag) > 35 or not _TAG.match(tag):
        return None
    parts = re.split(r"[-_]", tag)
    out = [parts[0].lower()]
    for part in parts[1:]:
        out.append(part.upper() if len(part) == 2 else part.title() if len(part) == 4 else part.lower())
    return "-".join(out)


@functools.lru_cache(maxsize=256)
def babel_locale(tag: str) -> Locale:
    """The babel Locale of a tag, falling back to its language, then to English."""
    for candidate in (tag, tag.split("-")[0], DEFAULT):
        try:
            return Locale.parse(candidate, sep="-")
        except (UnknownLocaleError, ValueError, TypeError):
            continue
    return Locale.parse(DEFAULT)


def direction(tag: str) -> str:
    """"rtl" or "ltr" for a language tag."""
    lowered = tag.lower()
    if lowered in RTL or lowered.split("-")[0] in RTL:
        return "rtl"
    try:
        locale = Locale.parse(tag, sep="-")
    except (UnknownLocaleError, ValueError, TypeError):
        return "ltr"
    return "rtl" if locale.character_order == "right-to-left" else "ltr"


# ------------------------------------------------------------------ choosing the language


def parse_accept_language(header: str | None) -> list[str]:
    """The language ranges of an Accept-Language header, most wanted first (q=0 and "*" left out,
    malformed entries skipped, equal weights kept in the header's order)."""
    if not header:
        return []
    ranked: list[tuple[float, int, str]] = []
    for index, item in enumerate(header[:_MAX_HEADER].split(",")[:_MAX_RANGES]):
        tag, *params = (p.strip() for p in item.split(";"))
        weight = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value.strip())
                except ValueError:
                    weight = -1.0
        clean = normalize(tag)
        if clean is None or not 0.0 < weight <= 1.0:
            continue
        ranked.append((-weight, index, clean))
    return [tag for _, _, tag in sorted(ranked)]


def match(preferred: Sequence[str], offered: Sequence[str]) -> str | None:
    """The first offered language that one of `preferred` asks for: exactly, by a shorter form of the
    tag ("ar-EG" -> "ar", babel's negotiate_locale), or by the same base language ("pt" -> "pt-BR")."""
    spelled = {o.lower(): o for o in offered}
    for wanted in preferred:
        found = negotiate_locale([wanted], list(spelled), sep="-", aliases={})  # no "fr" -> "fr_FR" guessing
        if found is None:
            parts = wanted.lower().split("-")
            while len(parts) > 1 and found is None:
                parts.pop()
                found = "-".join(parts) if "-".join(parts) in spelled else None
        if found is None:
            base = wanted.lower().split("-")[0]
            found = next((o for o in spelled if o.split("-")[0] == base), None)
        if found is not None:
            return spelled[found.lower()]
    return None


def offered(node: Node) -> list[str]:
    languages = [n for n in (normalize(t) for t in node.settings.ui.languages) if n]
    return list(dict.fromkeys(languages)) or [DEFAULT]


def supported(node: Node, tag: object) -> str | None:
    """`tag` as one of the node's interface languages, or None."""
    clean = normalize(tag)
    return match([clean], offered(node)) if clean else None


def choose(request: RequestLike, node: Node, user: User | None) -> str:
    languages = offered(node)
    if user is not None and user.locale:
        found = supported(node, user.locale)
        if found:
            return found
    found = supported(node, request.cookies.get(COOKIE))
    if found:
        return found
    found = match(parse_accept_language(request.headers.get("accept-language")), languages)
    if found:
        return found
    return supported(node, node.settings.association.language) or languages[0]


@dataclass(frozen=True)
class Language:
    code: str
    name: str  # in the language itself
    dir: str


@functools.lru_cache(maxsize=32)
def _languages(codes: tuple[str, ...]) -> tuple[Language, ...]:
    out = []
    for code in codes:
        if code in SHIPPED:
            out.append(Language(code, *SHIPPED[code]))
            continue
        name = babel_locale(code).get_display_name(babel_locale(code)) or code
        out.append(Language(code=code, name=name[:1].upper() + name[1:], dir=direction(code)))
    return tuple(out)


def languages(node: Node) -> tuple[Language, ...]:
    """The switcher's entries: each offered language named in itself."""
    return _languages(tuple(offered(node)))


def activate(tag: str) -> None:
    """Make `tag` the language of the current context (request, task or test)."""
    _locale.set(tag)
    _translations.set(translations_for(tag))


async def activate_request(request: RequestLike, node: Node) -> str:
    """Choose and activate the request's language before any page is rendered (for handlers that
    translate in Python); `render` does it again on its own."""
    uid = request.session.get("uid") if "session" in request.scope else None
    user = await User.get_or_none(id=uid) if isinstance(uid, int) else None
    tag = choose(request, node, user)
    activate(tag)
    return tag


def local_path(target: object) -> str:
    """`target` when it is a path of this site ("/events?view=month"), else "/"."""
    if not isinstance(target, str) or not target.startswith("/") or target.startswith("//"):
        return "/"
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return "/"
    return target


def template_context(request: RequestLike, node: Node, user: User | None) -> dict[str, Any]:
    """Extra variables for every page (locale, dir, languages, language_next: the path the switcher
    returns to); also activates the request's translations for the rendering that follows. (They are
    merged over the page's own variables: keep these names out of page contexts.)"""
    tag = choose(request, node, user)
    activate(tag)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return {
        "locale": tag,
        "dir": direction(tag),
        "languages": languages(node),
        "language_next": local_path(here),
    }


# ------------------------------------------------------------------ gettext for Python code


def current() -> str:
    """The language tag of the current context."""
    return _locale.get()


def current_locale() -> Locale:
    return babel_locale(_locale.get())


def translations() -> gettext_module.NullTranslations:
    """The compiled catalog of the current context's language."""
    return _translations.get()


def fill(text: str, fallback: str, variables: dict[str, Any]) -> str:
    """`text % variables`, falling back to the source string when a translation's placeholders are
    broken, and to the unformatted text rather than failing a page."""
    if not variables:
        return text.replace("%%", "%")
    for candidate in (text, fallback):
        try:
            return candidate % variables
        except (KeyError, ValueError, TypeError):
            continue
    return text


def gettext(message: str, **variables: Any) -> str:
    """`message` in the current language, `%(name)s` placeholders filled from `variables`."""
    text = str(message)
    if not text:
        return ""
    return fill(_translations.get().gettext(text), text, variables)


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    variables.setdefault("num", num)
    source = str(singular) if num == 1 else str(plural)
    return fill(_translations.get().ngettext(str(singular), str(plural), num), source, variables)


def pgettext(context: str, message: str, **variables: Any) -> str:
    """`message` as meant in `context` (a status "Open" against a button "Open"), in the current language."""
    text = str(message)
    if not text:
        return ""
    return fill(_translations.get().pgettext(context, text), text, variables)


_ = gettext


def lazy_gettext(message: str, **variables: Any) -> Any:
    """A string translated each time it is used (for labels defined at import time)."""
    return LazyProxy(gettext, message, enable_cache=False, **variables)


def lazy_pgettext(context: str, message: str, **variables: Any) -> Any:
    return LazyProxy(pgettext, context, message, enable_cache=False, **variables)


lazy = lazy_gettext
