"""The posting form (any member), plugged into the one editor flow (node/web/editor.py): the fields,
the submitted values read into an OpportunityInput, the preview, and the save (published at once, or
waiting for a moderator)."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from node.core import i18n
from node.core.models import Actor, User
from node.opportunities import opportunities
from node.opportunities.inputs import OpportunityError, OpportunityInput, validate
from node.opportunities.pages_common import kind_choices, labels, path_of
from node.web import auth, compose
from node.web.editor import Editor, association_author, form_page
from node.web.errors import PageRefusal
from node.web.forms import checked_form, parse_date, translations_from_rows
from node.web.pages import node_of

_l = i18n.lazy
FIELDS = ("title", "kind", "purpose", "place_kind", "place_name", "starts", "ends", "expires", "language",
          "languages", "tags", "text")
LABELS: dict[str, Any] = {
    "title": _l("Title"), "kind": _l("Kind"), "purpose": _l("Offer or request"), "place_kind": _l("Where"),
    "place_name": _l("Place (a town, a country, or where for remote)"), "starts": _l("Starts on"),
    "ends": _l("Ends on (optional)"), "expires": _l("Open until (default: 30 days)"),
    "language": _l("Main language (a code like en, fr or ar)"),
    "languages": _l("Languages it asks for or offers (codes, comma-separated)"), "tags": _l("Tags (comma-separated)"),
    "text": _l("Description (Markdown)"),
}


def form_values(form: FormData | None, default_language: str = "") -> dict[str, str]:
    values = {key: str(form.get(key) or "").strip() if form is not None else "" for key in FIELDS}
    if form is not None:
        values["text"] = str(form.get("text") or "")
    values["kind"] = values["kind"] or "job"
    values["purpose"] = values["purpose"] or "offer"
    values["place_kind"] = values["place_kind"] or "here"
    values["language"] = values["language"] or default_language
    return values


def _listed(text: str) -> tuple[str, ...]:
    return tuple(t for t in (p.strip().lstrip("#").strip() for p in text.split(",")) if t)


def opportunity_input(values: dict[str, str], rows: list[dict[str, str]]) -> OpportunityInput:
    problems: list[tuple[str, str]] = []
    dates: dict[str, Any] = {}
    for key in ("starts", "ends", "expires"):
        try:
            dates[key] = parse_date(values[key], str(LABELS[key]), OpportunityError)
        except OpportunityError as exc:
            problems.append((key, str(exc)))
    if problems:
        raise OpportunityError(problems[0][1], tuple(problems))
    return OpportunityInput(
        title=values["title"], kind=values["kind"], text=values["text"], purpose=values["purpose"],
        place_kind=values["place_kind"], place_name=values["place_name"], language=values["language"] or None,
        languages=_listed(values["languages"]), tags=_listed(values["tags"]),
        translations=translations_from_rows(rows), **dates)


class OpportunityEditor(Editor[OpportunityInput]):
    refusals = (OpportunityError,)

    def __init__(self, request: Request, form: FormData, author: Actor, poster: Actor, user: User) -> None:
        super().__init__(request, form, author)
        self.poster = poster
        self.user = user
        self.values = form_values(form)

    async def draft(self) -> OpportunityInput:
        return opportunity_input(self.values, self.rows)

    async def checked(self, draft: OpportunityInput) -> OpportunityInput:
        validate(draft, opportunities.utcnow())
        return draft

    async def store(self, draft: OpportunityInput) -> OpportunityInput:
        return draft  # no pictures

    async def preview(self, draft: OpportunityInput) -> list[dict[str, Any]]:
        language = draft.language or self.node.settings.association.language
        parts = [(language, {"title": draft.title, "lead": "", "text": draft.text})]
        parts += [(t.language, {"title": t.title or draft.title, "lead": "", "text": t.text}) for t in draft.translations]
        return compose.rendered_versions(self.node, language, parts)

    def labels(self) -> dict[str, Any]:
        return LABELS

    async def save(self, draft: OpportunityInput) -> str:
        created = await opportunities.create_opportunity(self.node, self.poster, self.user,
                                                         draft, self.author)
        return path_of(created)

    async def page(self, *, status: int = 200, error: str | None = None,
                   preview: list[dict[str, Any]] | None = None) -> Response:
        return await opportunity_form(self.request, self.values, status=status, error=error, rows=self.rows,
                                      preview=preview, problems=self.problems)


async def opportunity_form(request: Request, values: dict[str, str], *, status: int = 200, error: str | None = None,
                           rows: list[dict[str, str]] | None = None, preview: list[dict[str, Any]] | None = None,
                           problems: list[dict[str, str]] | None = None) -> Response:
    return await form_page(request, "opportunities/form.html", status=status, values=values, error=error,
                           rows=rows, preview=preview, problems=problems, kind_choices=kind_choices(),
                           approval=await opportunities.approval_required(), **labels())


async def new_opportunity(request: Request) -> Response:
    user = await auth.current_user(request)
    if user is None:
        raise PageRefusal.login()
    node = node_of(request)
    if request.method == "GET":
        return await opportunity_form(request, form_values(None, node.settings.association.language or ""))
    form = await checked_form(request)
    poster = await Actor.get(id=user.actor_id)
    author = await association_author(node)
    return await OpportunityEditor(request, form, author, poster, user).submit()
