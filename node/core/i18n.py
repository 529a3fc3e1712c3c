"""Interface languages: which language a request gets, its translations, and babel formatting.

Catalogs are the `.po` files in `locales/<lang>/LC_MESSAGES/messages.po`, read at run time (no compiled
`.mo` files, no build step): each is parsed with babel, compiled in memory and cached per language (reloaded
when the file changes). The request's translations live in a context variable set by `template_context`
(called by `pages.render`) or `activate`; the Jinja helpers `_`, `gettext`, `ngettext` and the formatting
filters read it, as do `gettext`, `ngettext` and `lazy_gettext` for Python code.

The language of a request, first match wins, always one of `settings.ui.languages`: the member's
`User.locale`, the `lang` cookie set by the switcher (/language), the browser's `Accept-Language`, the
association's language, the first offered language."""

from __future__ import annotations

import contextvars
import functools
import gettext as gettext_module
import io
import logging
import os
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timezone, tzinfo
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
from babel import Locale, UnknownLocaleError, negotiate_locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, read_po
from babel.support import LazyProxy, Translations
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream
from jinja2.runtime import Context
from markupsafe import Markup, escape

from node.core.models import User
from node.core.requestlike import RequestLike
from node.core.runtime import Node

log = logging.getLogger("agora.i18n")
LOCALES_DIR = Path(__file__).resolve().parents[2] / "locales"
COOKIE = "lang"
COOKIE_AGE = 365 * 24 * 3600
DEFAULT = "en"  # the language of the msgids
# Right-to-left languages, for tags babel does not know (babel's character_order decides otherwise).
RTL = frozenset({"ar", "arc", "ckb", "dv", "fa", "ha-arab", "he", "khw", "ks", "ku-arab", "ps", "sd", "syr",
                 "ug", "ur", "yi"})
_TAG = re.compile(r"^[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*$")
_MAX_HEADER = 1024
_MAX_RANGES = 32

_translations: contextvars.ContextVar[gettext_module.NullTranslations] = contextvars.ContextVar(
    "agora_translations", default=gettext_module.NullTranslations())
_locale: contextvars.ContextVar[str] = contextvars.ContextVar("agora_locale", default=DEFAULT)


# ------------------------------------------------------------------ tags and catalogs


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


def catalog_path(tag: str) -> Path:
    return LOCALES_DIR / tag.replace("-", "_") / "LC_MESSAGES" / "messages.po"


_cache: dict[str, tuple[float, gettext_module.NullTranslations]] = {}


def _compile(path: Path, tag: str) -> gettext_module.NullTranslations:
    with path.open("rb") as po:
        catalog = read_po(po, locale=tag.replace("-", "_"), domain="messages")
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer, domain="messages")


def translations_for(tag: str) -> gettext_module.NullTranslations:
    """The compiled catalog of a language (the language, else its base language, else none), cached
    until the .po file changes."""
    for candidate in dict.fromkeys((tag, tag.split("-")[0])):
        path = catalog_path(candidate)
        try:
            mtime = os.stat(path).st_mtime
        except OSError:
            continue
        cached = _cache.get(candidate)
        if cached is None or cached[0] != mtime:
            try:
                cached = (mtime, _compile(path, candidate))
            except (OSError, ValueError, PoFileError) as exc:  # a broken catalog: English, not a 500
                log.error("cannot read %s: %s", path, exc)
                cached = (mtime, gettext_module.NullTranslations())
            _cache[candidate] = cached
        return cached[1]
    return gettext_module.NullTranslations()


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


def _format(text: str, fallback: str, variables: dict[str, Any]) -> str:
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
    return _format(_translations.get().gettext(text), text, variables)


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    variables.setdefault("num", num)
    source = str(singular) if num == 1 else str(plural)
    return _format(_translations.get().ngettext(str(singular), str(plural), num), source, variables)


_ = gettext


def lazy_gettext(message: str, **variables: Any) -> Any:
    """A string translated each time it is used (for labels defined at import time)."""
    return LazyProxy(gettext, message, enable_cache=False, **variables)


lazy = lazy_gettext


# ------------------------------------------------------------------ Jinja


@jinja2.pass_context
def _jinja_gettext(context: Context, message: Any, **variables: Any) -> str:
    text = str(message) if message is not None else ""
    translated = _translations.get().gettext(text) if text else ""
    if context.eval_ctx.autoescape:
        return _format(Markup(translated), Markup(text), variables)
    return _format(translated, text, variables)


@jinja2.pass_context
def _jinja_ngettext(context: Context, singular: Any, plural: Any, num: int, **variables: Any) -> str:
    variables.setdefault("num", num)
    source = str(singular) if num == 1 else str(plural)
    translated = _translations.get().ngettext(str(singular), str(plural), num)
    if context.eval_ctx.autoescape:
        return _format(Markup(translated), Markup(source), variables)
    return _format(translated, source, variables)


def _jinja_text(message: Any) -> Markup:
    """`_(variable)`: a text that is not a template literal (a message title or text from Python, a
    label) translated when the catalog has it, and always escaped: it may carry what a visitor typed."""
    text = str(message) if message is not None else ""
    return escape(_translations.get().gettext(text) if text else "")


class UntrustedText(Extension):
    """Rewrites `_(expression)` and `gettext(expression)` to `_text(expression)` when the argument is not
    a string literal. Jinja's newstyle gettext marks its result safe (msgids are trusted), which would let
    a variable's HTML through unescaped, and %-formats it, which fails on a stray "%"."""

    def filter_stream(self, stream: TokenStream) -> Any:
        tokens = list(stream)
        for index, token in enumerate(tokens):
            if (token.type == "name" and token.value in ("_", "gettext") and index + 1 < len(tokens)
                    and tokens[index + 1].type == "lparen" and (index == 0 or tokens[index - 1].type != "dot")):
                after = index + 2
                while after < len(tokens) and tokens[after].type == "string":
                    after += 1
                literal = after > index + 2 and after < len(tokens) and tokens[after].type in ("rparen", "comma")
                if not literal:
                    token = Token(token.lineno, "name", "_text")
            yield token


def _zone(tz: Any) -> tzinfo | None:
    if tz is None or tz == "":
        return None
    if isinstance(tz, tzinfo):
        return tz
    try:
        return ZoneInfo(str(tz))
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return timezone.utc


def _moment(value: Any) -> datetime | date | time | None:
    if isinstance(value, (datetime, date, time)):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            try:
                return date.fromisoformat(value)
            except ValueError:
                return None
    return None


def _aware(value: datetime, tz: Any) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    zone = _zone(tz)
    return value.astimezone(zone) if zone is not None else value


def format_datetime(value: Any, format: str = "medium", tz: Any = None) -> str:
    """A moment in the current language ("21 nov. 2026, 19:00" in French), shown in zone `tz`
    (a zone name or tzinfo; by default the moment's own zone, UTC when it has none)."""
    moment = _moment(value)
    if moment is None:
        return "" if value is None else str(value)
    try:
        if isinstance(moment, datetime):
            return str(babel_dates.format_datetime(_aware(moment, tz), format, locale=current_locale()))
        if isinstance(moment, date):
            return str(babel_dates.format_date(moment, format, locale=current_locale()))
        return str(babel_dates.format_time(moment, format, locale=current_locale()))
    except (ValueError, TypeError, KeyError):
        return str(value)


def format_date(value: Any, format: str = "medium", tz: Any = None) -> str:
    """A date ("21 nov. 2026"); a moment is first placed in zone `tz`."""
    moment = _moment(value)
    if moment is None or isinstance(moment, time):
        return "" if value is None else str(value)
    if isinstance(moment, datetime):
        moment = _aware(moment, tz).date()
    try:
        return str(babel_dates.format_date(moment, format, locale=current_locale()))
    except (ValueError, TypeError, KeyError):
        return str(value)


def format_time(value: Any, format: str = "short", tz: Any = None) -> str:
    """A time of day ("19:00", "7:00 PM"); a moment is first placed in zone `tz`."""
    moment = _moment(value)
    if moment is None or (isinstance(moment, date) and not isinstance(moment, datetime)):
        return "" if value is None else str(value)
    try:
        if isinstance(moment, datetime):
            return str(babel_dates.format_time(_aware(moment, tz), format, locale=current_locale()))
        return str(babel_dates.format_time(moment, format, locale=current_locale()))
    except (ValueError, TypeError, KeyError):
        return str(value)


def _number(value: Any) -> int | float | Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Decimal)):
        return value
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None


def format_number(value: Any) -> str:
    """A number with the current language's separators ("1 234,5" in French)."""
    number = _number(value)
    if number is None:
        return "" if value is None else str(value)
    return str(babel_numbers.format_decimal(number, locale=current_locale()))


def format_decimal(value: Any, format: str | None = None) -> str:
    number = _number(value)
    if number is None:
        return "" if value is None else str(value)
    try:
        return str(babel_numbers.format_decimal(number, format=format, locale=current_locale()))
    except (ValueError, TypeError):
        return str(value)


def format_percent(value: Any, format: str | None = None) -> str:
    """0.4 -> "40 %" in French, "40%" in English."""
    number = _number(value)
    if number is None:
        return "" if value is None else str(value)
    try:
        return str(babel_numbers.format_percent(number, format=format, locale=current_locale()))
    except (ValueError, TypeError):
        return str(value)


def format_currency(value: Any, currency: str, format: str | None = None) -> str:
    """An amount of money ("1 500,00 €" in French, "€1,500.00" in English)."""
    number = _number(value)
    if number is None:
        return "" if value is None else str(value)
    try:
        return str(babel_numbers.format_currency(number, str(currency or "").upper(), format=format,
                                                 locale=current_locale()))
    except (ValueError, TypeError, babel_numbers.UnknownCurrencyError):
        return f"{format_decimal(number)} {currency}"


def format_money(minor: Any, currency: str) -> str:
    """An amount kept in minor units (cents) as money: 150050, "EUR" -> "1 500,50 €" in French."""
    if isinstance(minor, bool) or not isinstance(minor, (int, Decimal)):
        return "" if minor is None else str(minor)
    code = str(currency or "").upper()
    try:
        digits = int(babel_numbers.get_currency_precision(code))
    except (ValueError, TypeError, KeyError):
        digits = 2
    return format_currency(Decimal(minor).scaleb(-digits), code)


FILTERS = {
    "format_datetime": format_datetime, "format_date": format_date, "format_time": format_time,
    "format_number": format_number, "format_decimal": format_decimal, "format_percent": format_percent,
    "format_currency": format_currency, "format_money": format_money,
}


def _per_request(function: Any) -> Any:
    """A filter Jinja may not evaluate at compile time (its output depends on the request's language)."""

    @jinja2.pass_context
    @functools.wraps(function)
    def filter_(context: Context, *args: Any, **kwargs: Any) -> Any:
        return function(*args, **kwargs)

    return filter_


def install(env: jinja2.Environment) -> None:
    """The i18n extension with newstyle gettext reading the request's translations, and the filters.

    The gettext and ngettext that Jinja's install_gettext_callables would wrap are replaced by versions
    that never fail a page: a text shown through `_()` that is not a literal (a message title from Python)
    may contain a "%" of its own, which Jinja's wrapper would try to format."""
    env.add_extension("jinja2.ext.i18n")
    env.add_extension(UntrustedText)
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda s: _translations.get().gettext(s),
        lambda s, p, n: _translations.get().ngettext(s, p, n),
        newstyle=True,
    )
    env.globals.update(gettext=_jinja_gettext, ngettext=_jinja_ngettext, _text=_jinja_text)
    env.filters.update({name: _per_request(function) for name, function in FILTERS.items()})
