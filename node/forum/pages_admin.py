"""The admin's forum pages: /admin/forum lists the categories, /admin/forum/new creates one and
/admin/forum/<slug>/edit changes one (names and descriptions by language, order, icon, colour, who may
start topics and read, approval of newcomers' first posts, the category's own moderators). The
services (node/forum/categories.py) write the audit entries."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from tortoise.transactions import in_transaction

from node.core import i18n
from node.core.models import User
from node.core.multilingual import language_name
from node.core.runtime import Node
from node.forum.access import ForumError
from node.forum.categories import (
    CategoryInput, category_by_slug, create_category, localized, ordered_categories, set_moderators, update_category,
)
from node.forum.models import Category, CategoryModerator
from node.web import admin_access
from node.web.errors import PageRefusal
from node.web.forms import text_field
from node.web.pages import node_of

_l = i18n.lazy
START_LABELS = {"members": _l("Members"), "editors": _l("Editors and moderators only"),
                "everyone": _l("Everyone: members and accounts of other servers")}
READ_LABELS = {"public": _l("Everyone (public, followable from the Fediverse)"), "members": _l("Members only")}


def languages_of(node: Node, category: Category | None) -> list[str]:
    """The languages the form offers: the association's, the interface's, and any the category has."""
    codes = [node.settings.association.language, *node.settings.ui.languages]
    if category is not None:
        codes += [*category.name_map, *category.description_map]
    return list(dict.fromkeys(codes))


def values_of(category: Category | None, moderators: list[str]) -> dict[str, Any]:
    if category is None:
        return {"slug": "", "names": {}, "descriptions": {}, "position": "0", "icon": "", "color": "",
                "start_policy": "members", "read_access": "public", "approve_new": False, "moderators": ""}
    return {"slug": category.slug, "names": dict(category.name_map), "descriptions": dict(category.description_map),
            "position": str(category.position), "icon": category.icon, "color": category.color,
            "start_policy": category.start_policy, "read_access": category.read_access,
            "approve_new": category.approve_new, "moderators": ", ".join(moderators)}


def values_from(form: FormData, languages: list[str]) -> dict[str, Any]:
    return {
        "slug": text_field(form, "slug"),
        "names": {code: text_field(form, f"name_{code}") for code in languages},
        "descriptions": {code: text_field(form, f"description_{code}") for code in languages},
        "position": text_field(form, "position") or "0", "icon": text_field(form, "icon"),
        "color": text_field(form, "color"), "start_policy": text_field(form, "start_policy"),
        "read_access": text_field(form, "read_access"), "approve_new": form.get("approve_new") == "on",
        "moderators": text_field(form, "moderators"),
    }


def input_of(values: dict[str, Any]) -> CategoryInput:
    """The category the form describes; ForumError says what is wrong."""
    position = str(values["position"])
    if not position.lstrip("-").isascii() or not position.lstrip("-").isdigit() or len(position) > 6:
        raise ForumError(i18n.gettext("The position is a number between -10000 and 10000."))
    return CategoryInput(names=values["names"], descriptions=values["descriptions"], position=int(position),
                         color=values["color"], icon=values["icon"], start_policy=values["start_policy"],
                         read_access=values["read_access"], approve_new=values["approve_new"])


def usernames(text: str) -> list[str]:
    return sorted({name.strip().lstrip("@") for name in text.replace("\n", ",").split(",") if name.strip()})


async def moderator_names(category: Category) -> list[str]:
    ids = await CategoryModerator.filter(category=category).values_list("actor_id", flat=True)
    return sorted(await User.filter(actor_id__in=list(ids)).values_list("username", flat=True))  # type: ignore[arg-type]


async def form_page(request: Request, category: Category | None, values: dict[str, Any], *,
                    error: str | None = None, status: int = 200) -> Response:
    node = node_of(request)
    languages = [(code, language_name(code)) for code in languages_of(node, category)]
    return await admin_access.page(request, "forum/admin_form.html", status=status, category=category, values=values,
                                   form_languages=languages, error=error, start_labels=START_LABELS, read_labels=READ_LABELS)


async def categories_page(request: Request) -> Response:
    """GET /admin/forum: every category with its settings and counts."""
    await admin_access.staff(request)
    language = i18n.choose(request, node_of(request), None)
    rows = [{"category": c, "name": localized(c.name_map, language, c.slug)} for c in await ordered_categories()]
    return await admin_access.page(request, "forum/admin_list.html", rows=rows, start_labels=START_LABELS,
                                   read_labels=READ_LABELS)


async def new_category(request: Request) -> Response:
    """GET/POST /admin/forum/new: a new category (its Group actor made with it)."""
    await admin_access.staff(request)
    if request.method == "GET":
        return await form_page(request, None, values_of(None, []))
    user, form = await admin_access.admin_form(request)
    node = node_of(request)
    values = values_from(form, languages_of(node, None))
    try:
        async with in_transaction():  # an unknown moderator leaves no category behind
            category = await create_category(node, values["slug"], input_of(values), by=user)
            await set_moderators(category, usernames(values["moderators"]), by=user)
    except ForumError as exc:
        return await form_page(request, None, values, error=str(exc), status=400)
    return admin_access.done(request, "/admin/forum", _l("Category created: %(name)s."), name=category.slug)


async def edit_category(request: Request) -> Response:
    """GET/POST /admin/forum/<slug>/edit: change a category and its moderators."""
    await admin_access.staff(request)
    category = await category_by_slug(request.path_params["slug"])
    if category is None:
        raise PageRefusal(404, _l("Category not found"), _l("There is no such category here."))
    if request.method == "GET":
        return await form_page(request, category, values_of(category, await moderator_names(category)))
    user, form = await admin_access.admin_form(request)
    node = node_of(request)
    values = values_from(form, languages_of(node, category))
    values["slug"] = category.slug
    try:
        await update_category(node, category, input_of(values), by=user)
        wanted = usernames(values["moderators"])
        if wanted != await moderator_names(category):
            await set_moderators(category, wanted, by=user)
    except ForumError as exc:
        return await form_page(request, category, values, error=str(exc), status=400)
    return admin_access.done(request, "/admin/forum", _l("Category saved: %(name)s."), name=category.slug)


def routes() -> list[BaseRoute]:
    return [
        Route("/admin/forum", categories_page, methods=["GET"]),
        Route("/admin/forum/new", new_category, methods=["GET", "POST"]),
        Route("/admin/forum/{slug}/edit", edit_category, methods=["GET", "POST"]),
    ]
