"""Translations in templates: Jinja's i18n extension with newstyle gettext reading the current context's
catalog, `_(variable)` for texts that are not template literals, and the formatting filters."""

from __future__ import annotations

import functools
from typing import Any

import jinja2
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream
from jinja2.runtime import Context
from markupsafe import Markup, escape

from node.core import i18n
from node.core.formats import FILTERS


def _filled(context: Context, translated: str, source: str, variables: dict[str, Any]) -> str:
    """A template literal's translation with its placeholders filled (as markup when escaping)."""
    if context.eval_ctx.autoescape:
        return i18n.fill(Markup(translated), Markup(source), variables)
    return i18n.fill(translated, source, variables)


@jinja2.pass_context
def _jinja_gettext(context: Context, message: Any, **variables: Any) -> str:
    text = str(message) if message is not None else ""
    return _filled(context, i18n.translations().gettext(text) if text else "", text, variables)


@jinja2.pass_context
def _jinja_ngettext(context: Context, singular: Any, plural: Any, num: int, **variables: Any) -> str:
    variables.setdefault("num", num)
    source = str(singular) if num == 1 else str(plural)
    return _filled(context, i18n.translations().ngettext(str(singular), str(plural), num), source, variables)


@jinja2.pass_context
def _jinja_pgettext(context: Context, message_context: str, message: Any, **variables: Any) -> str:
    text = str(message) if message is not None else ""
    return _filled(context, i18n.translations().pgettext(message_context, text) if text else "", text, variables)


def _jinja_text(message: Any) -> Markup:
    """`_(variable)`: a text that is not a template literal (a message title or text from Python, a
    label) translated when the catalog has it, and always escaped: it may carry what a visitor typed."""
    text = str(message) if message is not None else ""
    return escape(i18n.translations().gettext(text) if text else "")


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
        lambda s: i18n.translations().gettext(s),
        lambda s, p, n: i18n.translations().ngettext(s, p, n),
        newstyle=True,
    )
    env.globals.update(gettext=_jinja_gettext, ngettext=_jinja_ngettext, pgettext=_jinja_pgettext, _text=_jinja_text)
    env.filters.update({name: _per_request(function) for name, function in FILTERS.items()})
