"""Interface languages: the locale of a request, gettext for templates, babel formatting.

STUB written by the lead: null translations so that templates can already use _() and {% trans %}."""

from __future__ import annotations

from typing import Any

import jinja2
from starlette.requests import Request

from node.models import User
from node.runtime import Node


def install(env: jinja2.Environment) -> None:
    env.add_extension("jinja2.ext.i18n")
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]


def template_context(request: Request, node: Node, user: User | None) -> dict[str, Any]:
    """Extra variables for every page (locale, lang, dir); also selects the request's translations."""
    return {"locale": node.settings.association.language, "dir": "ltr"}
