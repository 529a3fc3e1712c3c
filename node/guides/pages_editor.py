"""The guide form (new guide, edit, proposal), plugged into the one editor flow (node/web/editor.py):
an editor or trusted writer saves a revision (federated at once); any other member's save is a
proposal, a pending revision an editor accepts or rejects (pages_history.py)."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from node.core import i18n
from node.core.models import Actor
from node.core.multilingual import Translation
from node.guides import guides
from node.guides.access import can_write
from node.guides.inputs import GuideError, GuideInput
from node.guides.links import guide_path, with_links
from node.guides.models import Guide
from node.guides.pages_common import guide_at, signed_in, writer
from node.guides.topics import all_topics
from node.web import compose
from node.web.editor import Editor, association_author, form_page
from node.web.forms import checked_form, rows_from_translations, translations_from_rows
from node.web.pages import node_of

_l = i18n.lazy
FIELDS = ("title", "topic", "language", "text", "note", "position", "review_days")
LABELS: dict[str, Any] = {"title": _l("Title"), "topic": _l("Topic"), "language": _l("Main language (a code like en, fr or ar)"),
                          "text": _l("The guide (Markdown; link another guide with [[its-address]])"),
                          "note": _l("What changed (a note for the history)"), "position": _l("Order in the topic"),
                          "review_days": _l("Review every (days; empty for the site's default)")}


def _number(value: str, name: str) -> int | None:
    text = value.strip()
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or len(text) > 6:
        raise GuideError(f"{name}: a whole number", name)
    return int(text)


def guide_input(values: dict[str, str], translations: tuple[Translation, ...]) -> GuideInput:
    return GuideInput(title=values["title"], topic=values["topic"], language=values["language"], source=values["text"],
                      translations=translations, note=values["note"],
                      position=_number(values["position"], "position") or 0,
                      review_days=_number(values["review_days"], "review_days"))


def stored_values(guide: Guide) -> dict[str, str]:
    return {"title": guide.title, "topic": guide.topic, "language": guide.language or "", "text": guide.source,
            "note": "", "position": str(guide.position), "review_days": str(guide.review_days or "")}


def stored_rows(guide: Guide) -> list[dict[str, str]]:
    names = guide.name_map if isinstance(guide.name_map, dict) else {}
    sources = guide.source_map if isinstance(guide.source_map, dict) else {}
    items = tuple(Translation(language=tag, title=str(names.get(tag) or ""), text=str(text))
                  for tag, text in sources.items() if tag != guide.language)
    return rows_from_translations(items)


class GuideEditor(Editor[GuideInput]):
    refusals = (GuideError,)

    def __init__(self, request: Request, form: FormData, author: Actor, guide: Guide | None, trusted: bool) -> None:
        super().__init__(request, form, author)
        self.guide = guide
        self.trusted = trusted
        self.values = {key: str(form.get(key) or "") for key in FIELDS}

    async def draft(self) -> GuideInput:
        return guide_input(self.values, translations_from_rows(self.rows))

    async def checked(self, draft: GuideInput) -> GuideInput:
        return await guides.checked(draft)

    async def store(self, draft: GuideInput) -> GuideInput:
        return draft  # guides carry no pictures of their own

    async def preview(self, draft: GuideInput) -> list[dict[str, Any]]:
        draft = await self.checked(draft)
        versions = [(draft.language, {"title": draft.title, "text": await with_links(draft.source, draft.language)})]
        for item in draft.translations:
            versions.append((item.language, {"title": item.title or draft.title,
                                             "text": await with_links(item.text, item.language)}))
        return compose.rendered_versions(self.node, draft.language, versions)

    def labels(self) -> dict[str, Any]:
        return LABELS

    async def save(self, draft: GuideInput) -> str:
        if self.guide is None:
            association = await association_author(self.node)
            return guide_path(await guides.create_guide(self.node, association, self.author, draft))
        if self.trusted:
            await guides.save_revision(self.node, self.guide, self.author, draft)
            return guide_path(self.guide)
        await guides.propose(self.guide, self.author, draft)
        return guide_path(self.guide) + "?proposed=1"

    async def page(self, *, status: int = 200, error: str | None = None,
                   preview: list[dict[str, Any]] | None = None) -> Response:
        return await guide_form(self.request, self.values, self.guide, trusted=self.trusted, status=status,
                                error=error, rows=self.rows, preview=preview, problems=self.problems)


async def guide_form(request: Request, values: dict[str, str], guide: Guide | None, *, trusted: bool,
                     **context: Any) -> Response:
    action = "/guides/new" if guide is None else f"{guide_path(guide)}/edit"
    return await form_page(request, "guides/form.html", values=values, guide=guide, trusted=trusted, action=action,
                           topics=await all_topics(), **context)


async def new_guide(request: Request) -> Response:
    _, author = await writer(request)
    if request.method == "GET":
        node = node_of(request)
        topic = request.query_params.get("topic", "")
        values = dict.fromkeys(FIELDS, "") | {"language": node.settings.association.language or "en", "topic": topic}
        return await guide_form(request, values, None, trusted=True)
    form = await checked_form(request)
    return await GuideEditor(request, form, author, None, True).submit()


async def edit_guide(request: Request) -> Response:
    """Editors and trusted writers save; other members propose."""
    guide = await guide_at(request)
    user, author = await signed_in(request)
    trusted = await can_write(user)
    if request.method == "GET":
        return await guide_form(request, stored_values(guide), guide, trusted=trusted, rows=stored_rows(guide))
    form = await checked_form(request)
    return await GuideEditor(request, form, author, guide, trusted).submit()
