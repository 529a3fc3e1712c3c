"""The editors' initiative form (new and edit), plugged into the one editor flow (node/web/editor.py):
the fields of a new initiative, of an existing one, of a submitted form, and the submitted values read
into an InitiativeInput (InitiativeError says what is wrong)."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from federation.events import Place
from node.core import i18n
from node.core.models import Actor, Media
from node.core.runtime import Node
from node.initiatives import initiatives
from node.initiatives.documents import translations_of
from node.initiatives.inputs import InitiativeError, InitiativeInput, NeedInput
from node.initiatives.models import Initiative, Need
from node.initiatives.pages_common import (
    NEED_KIND_LABELS, PLACE_FIELDS, decimal_text, editor_initiative, initiative_path, kinds, parse_int,
)
from node.web import compose
from node.web.compose import N_, Picture
from node.web.editor import Editor, Problem, association_author, form_page
from node.web.forms import rows_from_translations, translations_from_rows
from node.web.pages import editor, node_of, upload_form

_t = i18n.gettext  # texts translated at once (after i18n.activate_request)
_l = i18n.lazy  # labels translated when shown

NEED_ROWS = 5
COVER = Picture(file="cover_file", alt="cover_alt", url="cover_url",
                no_alt=N_("describe the cover image for people who cannot see it (alt text)"),
                refused=N_("the cover image: %(error)s"))

FIELDS = ("title", "kind", "summary", "description", "cover_url", "cover_alt", "language", "tags", "responsible",
          *(f"{side}_{f}" for side in ("there", "here") for f in PLACE_FIELDS))
NEED_FIELDS = ("kind", "title", "description", "skills", "quantity", "goal", "currency")
CHECKBOXES = ("supporters_public",)
LABELS: dict[str, Any] = {  # the visible label of each field a problem may be about, as the form shows it
    "title": _l("Title"), "kind": _l("Kind"), "language": _l("Main language (a code like en, fr or ar)"),
    "summary": _l("Summary (one or two sentences, shown in lists and on other servers)"),
    "description": _l("The story (Markdown; #hashtags)"), "there_name": _l("Where it acts, there"),
    "here_name": _l("Where it acts, here"), "cover_file": _l("Cover image: upload a picture"),
    "cover_url": _l("or give its address"), "cover_alt": _l("Cover description (alt text, required with a cover)"),
    "tags": _l("Tags (comma-separated)"),
    "responsible": _l("People responsible (one per line: a name or a profile address)"),
}
NEED_LABELS = {"kind": _l("Kind"), "title": _l("Title"), "description": _l("Description"),
               "skills": _l("Skills sought (volunteers; comma-separated)"),
               "quantity": _l("How many (people or items)"), "goal": _l("Money goal"), "currency": _l("Currency")}
SERVICE_FIELDS = {"place_there": "there_name", "place_here": "here_name", "cover_media_type": "cover_file"}
NEED_KEY = re.compile(r"needs\[(\d+)\]\.(\w+)")


def _need_rows(form: FormData | None, count: int) -> list[dict[str, str]]:
    return [{f: (str(form.get(f"need{i}_{f}") or "") if form is not None else "") for f in NEED_FIELDS}
            for i in range(count)]


def form_values(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {key: str(form.get(key) or "") for key in FIELDS}
    values.update({key: "on" if form.get(key) else "" for key in CHECKBOXES})
    count = NEED_ROWS
    while count < 100 and any(form.get(f"need{count}_{f}") for f in NEED_FIELDS):
        count += 1
    values["needs"] = _need_rows(form, count)
    return values


def new_values(request: Request) -> dict[str, Any]:
    values: dict[str, Any] = dict.fromkeys(FIELDS, "")
    values.update(language=node_of(request).settings.association.language or "", supporters_public="on",
                  kind=kinds()[0][0] if kinds() else "")
    values["needs"] = _need_rows(None, NEED_ROWS)
    return values


async def initiative_values(initiative: Initiative) -> dict[str, Any]:
    values: dict[str, Any] = dict.fromkeys(FIELDS, "")
    values.update(
        title=initiative.title, kind=initiative.kind, summary=initiative.summary, description=initiative.source,
        cover_url=initiative.cover_url or "", cover_alt=initiative.cover_alt, language=initiative.language or "",
        tags=", ".join(str(t) for t in initiative.tags),
        responsible="\n".join(str(r) for r in initiative.responsible),
        supporters_public="on" if initiative.supporters_public else "",
    )
    for side, place in (("there", initiative.place_there), ("here", initiative.place_here)):
        if isinstance(place, dict):
            for f in PLACE_FIELDS:
                values[f"{side}_{f}"] = str(place.get(f) or "")
    rows = []
    for need in await Need.filter(initiative=initiative).order_by("position", "id"):
        rows.append({
            "kind": need.kind, "title": need.title, "description": need.description,
            "skills": ", ".join(str(s) for s in need.skills),
            "quantity": "" if need.quantity is None else str(need.quantity),
            "goal": decimal_text(need.goal_minor, need.currency), "currency": need.currency or "",
        })
    rows += _need_rows(None, max(0, NEED_ROWS - len(rows)))
    values["needs"] = rows
    return values


def _place(values: dict[str, Any], side: str, keep: Any) -> Place | None:
    parts = {f: str(values[f"{side}_{f}"]).strip() for f in PLACE_FIELDS}
    if not any(parts.values()):
        return None
    if any(len(v) > 500 for v in parts.values()):
        raise InitiativeError(_t("a place field is longer than 500 characters"))
    label = parts["name"] or parts["locality"] or parts["region"] or parts["country"] or parts["street"]
    extra: dict[str, Any] = {}
    if isinstance(keep, dict) and (keep.get("name") or "") == parts["name"]:  # same place: keep what the form lacks
        extra = {"postal_code": str(keep.get("postal_code") or ""),
                 "latitude": keep.get("latitude") if isinstance(keep.get("latitude"), (int, float)) else None,
                 "longitude": keep.get("longitude") if isinstance(keep.get("longitude"), (int, float)) else None}
    return Place(name=label, street=parts["street"], locality=parts["locality"], region=parts["region"],
                 country=parts["country"], **extra)


def filled_rows(values: dict[str, Any]) -> list[int]:
    """The form's need rows that describe a need (an empty row is skipped: its kind and currency have
    defaults), in order: the n-th need of the input is row filled_rows(values)[n]."""
    return [i for i, row in enumerate(values["needs"])
            if any(str(row[f]).strip() for f in ("title", "description", "skills", "quantity", "goal"))]


def _needs(values: dict[str, Any], problems: list[tuple[str, str]]) -> list[NeedInput]:
    needs = []
    for index in filled_rows(values):
        row = {k: str(v).strip() for k, v in values["needs"][index].items()}
        if not row["title"]:
            problems.append((f"need{index}_title", _t("need %(number)s: give it a title", number=index + 1)))
        try:
            quantity = parse_int(row["quantity"], f"need {index + 1}: the quantity")
        except InitiativeError as exc:
            problems.append((f"need{index}_quantity", str(exc)))
            quantity = None
        needs.append(NeedInput(
            kind=row["kind"], title=row["title"], description=row["description"],
            skills=tuple(s for s in (p.strip() for p in row["skills"].split(",")) if s),
            quantity=quantity, goal=row["goal"] or None, currency=row["currency"].upper() or None,
        ))
    return needs


def initiative_input(values: dict[str, Any], keep: Initiative | None = None,
                     rows: list[dict[str, str]] | None = None,
                     problems: list[tuple[str, str]] | None = None) -> InitiativeInput:
    """The form's values (and its language blocks) as an InitiativeInput; InitiativeError carries every
    problem found (`problems`: (form field, message)), those already in `problems` too."""
    problems = problems if problems is not None else []
    needs = _needs(values, problems)
    cover_url = str(values["cover_url"]).strip() or None
    cover_alt = str(values["cover_alt"]).strip()
    if cover_url and not cover_alt:
        problems.append(("cover_alt", _t("describe the cover image for people who cannot see it (alt text)")))
    places: dict[str, Place | None] = {}
    for side in ("there", "here"):
        try:
            places[side] = _place(values, side, getattr(keep, f"place_{side}") if keep else None)
        except InitiativeError as exc:
            problems.append((f"{side}_name", str(exc)))
    if problems:
        raise InitiativeError(problems[0][1], problems=tuple(problems))
    tags = tuple(t for t in (p.strip().lstrip("#").strip() for p in str(values["tags"]).split(",")) if t)
    responsible = tuple(r for r in (p.strip() for p in str(values["responsible"]).splitlines()) if r)
    return InitiativeInput(
        title=str(values["title"]).strip(), kind=str(values["kind"]).strip(), summary=str(values["summary"]).strip(),
        description=str(values["description"]),
        place_there=places["there"], place_here=places["here"],
        cover_url=cover_url, cover_alt=cover_alt if cover_url else "",
        cover_media_type=keep.cover_media_type if keep is not None and keep.cover_url == cover_url else None,
        language=str(values["language"]).strip() or None, tags=tags, responsible=responsible,
        needs=tuple(needs), supporters_public=bool(values["supporters_public"]),
        translations=translations_from_rows(rows) if rows is not None else None,
    )


async def initiative_form(request: Request, values: dict[str, Any], *, initiative: Initiative | None = None,
                          error: str | None = None, status: int = 200, rows: list[dict[str, str]] | None = None,
                          preview: list[dict[str, Any]] | None = None,
                          problems: list[dict[str, str]] | None = None) -> Response:
    return await form_page(
        request, "initiatives/form.html", status=status, values=values, initiative=initiative, error=error,
        problems=problems,
        kinds=kinds(), need_kinds=NEED_KIND_LABELS,
        action=f"{initiative_path(initiative)}/edit" if initiative else "/initiatives/new", rows=rows, preview=preview,
    )


def preview_versions(node: Node, inp: InitiativeInput) -> list[dict[str, Any]]:
    """The initiative as it will look in each of its languages: title, summary, story (nothing saved)."""
    language = inp.language or node.settings.association.language
    parts = [(language, {"title": inp.title, "lead": inp.summary, "text": inp.description})]
    parts += [(t.language, {"title": t.title or inp.title, "lead": t.summary or inp.summary, "text": t.text})
              for t in inp.translations or ()]
    return compose.rendered_versions(node, language, parts)


class InitiativeEditor(Editor[InitiativeInput]):
    refusals = (InitiativeError,)

    def __init__(self, request: Request, form: FormData, author: Actor, initiative: Initiative | None) -> None:
        super().__init__(request, form, author)
        self.initiative = initiative
        self.values = form_values(form)
        self.cover_stored = False

    async def draft(self) -> InitiativeInput:
        problems: list[tuple[str, str]] = []
        if compose.chosen_file(self.form, COVER.file) is not None and not str(self.values[COVER.alt]).strip():
            problems.append((COVER.alt, _t(COVER.no_alt)))
        return initiative_input(self.values, keep=self.initiative, rows=self.rows, problems=problems)

    async def checked(self, draft: InitiativeInput) -> InitiativeInput:
        """The input as it will be saved; every problem the checks found, each on its form field."""
        try:
            return initiatives.checked(self.node, draft, keep=self.initiative)
        except InitiativeError as exc:
            rows = filled_rows(self.values)
            raise InitiativeError(str(exc), problems=tuple((self._form_field(key, rows), reason)
                                                           for key, reason in exc.problems)) from None

    @staticmethod
    def _form_field(key: str, rows: list[int]) -> str:
        """The form field a check's key is about ("needs[0].goal": the goal of the first filled row)."""
        need = NEED_KEY.fullmatch(key)
        if need is not None:
            index = int(need.group(1))
            return f"need{rows[index]}_{need.group(2)}" if index < len(rows) else ""
        return SERVICE_FIELDS.get(key.split(".")[0], key)

    def labels(self) -> dict[str, Any]:
        labels = dict(LABELS)
        for index in range(len(self.values["needs"])):
            labels.update({f"need{index}_{name}": _l("%(field)s of need %(number)s", field=label, number=index + 1)
                           for name, label in NEED_LABELS.items()})
        return labels

    async def keep_pictures(self) -> list[Problem]:
        """A cover chosen in the refused form is stored now (the form then carries its address);
        without its description it cannot be (that problem is listed already)."""
        if self.cover_stored or not str(self.values[COVER.alt]).strip():
            return []
        try:
            await self._store_cover()
        except InitiativeError as exc:
            return [(COVER.file, str(exc))]
        return []

    async def _store_cover(self) -> Media | None:
        """The cover chosen as a file, stored once (its address goes into the form's values)."""
        media = await compose.store_chosen_picture(self.node, self.author, self.form, self.values, COVER,
                                                   InitiativeError)
        self.cover_stored = self.cover_stored or media is not None
        return media

    async def store(self, draft: InitiativeInput) -> InitiativeInput:
        """A cover chosen as a file: stored (it then has our address) and put in the input and the form."""
        try:
            media = await self._store_cover()
        except InitiativeError as exc:
            raise InitiativeError(str(exc), problems=((COVER.file, str(exc)),)) from None
        if media is None:
            return draft
        return dataclasses.replace(draft, cover_url=self.values["cover_url"],
                                   cover_alt=str(self.values["cover_alt"]).strip(), cover_media_type=media.media_type)

    async def preview(self, draft: InitiativeInput) -> list[dict[str, Any]]:
        return preview_versions(self.node, await self.checked(draft))

    async def save(self, draft: InitiativeInput) -> str:
        if self.initiative is None:
            created = await initiatives.create_initiative(self.node, self.author,
                                                          dataclasses.replace(draft, draft=self.keeps_draft))
            return initiative_path(created)
        await initiatives.update_initiative(self.node, self.initiative, draft)
        if self.initiative.draft and self.publishes:
            await initiatives.publish_initiative(self.node, self.initiative)
        return initiative_path(self.initiative)

    async def page(self, *, status: int = 200, error: str | None = None,
                   preview: list[dict[str, Any]] | None = None) -> Response:
        return await initiative_form(self.request, self.values, initiative=self.initiative, error=error,
                                     status=status, rows=self.rows, preview=preview, problems=self.problems)


async def _initiative_form_post(request: Request, initiative: Initiative | None) -> Response:
    form = await upload_form(request)  # also activates the reader's language for the errors
    author = await association_author(node_of(request))
    return await InitiativeEditor(request, form, author, initiative).submit()


async def new_initiative(request: Request) -> Response:
    await editor(request)
    if request.method == "GET":
        return await initiative_form(request, new_values(request))
    return await _initiative_form_post(request, None)


async def edit_initiative(request: Request) -> Response:
    initiative = await editor_initiative(request)
    if request.method == "GET":
        return await initiative_form(request, await initiative_values(initiative), initiative=initiative,
                                     rows=rows_from_translations(translations_of(initiative)))
    return await _initiative_form_post(request, initiative)
