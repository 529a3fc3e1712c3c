"""What the mailing pages share: reading a form's choices, the public forum categories to offer."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request

from node.core import i18n
from node.forum.categories import localized
from node.mailing import subscribers
from node.web.forms import text_field
from node.web.pages import node_of

FORM_LIMIT = 64 * 1024  # the subscribe and preference forms: a few hundred choices at most


def _texts(form: FormData, name: str) -> list[str]:
    return [value for value in form.getlist(name) if isinstance(value, str)]


async def read_choices(request: Request, form: FormData, notify: bool = False) -> subscribers.Choices:
    """The what, how often and language of a submitted form (SubscriberError when not possible);
    with `notify`, the member's notification kinds by email too."""
    return await subscribers.clean_choices(
        node_of(request), _texts(form, "kinds"), _texts(form, "category"), text_field(form, "frequency") or "weekly",
        text_field(form, "language"), _texts(form, "notify") if notify else None)


async def category_choices(request: Request) -> list[dict[str, Any]]:
    """The public forum categories, named in the reader's language."""
    language = await i18n.activate_request(request, node_of(request))
    return [{"id": c.id, "name": localized(c.name_map, language, c.slug)} for c in await subscribers.public_categories()]
