"""The one editor flow: the form that writes something the association publishes in several languages
(a post, an event, an initiative; forum topics and guides plug in the same way), sent with one of its
buttons (web/forms.action_of):

- preview: the chosen pictures are stored (a file input cannot be filled again when the form comes
  back) and the form is shown again with each language as it will look; nothing is published;
- add_language: the same with one more language block, and no preview;
- draft, publish (or, for something already published, save the changes): every check first, then
  the pictures stored, then the object saved; the answer is a redirect to it.

A refused form (the kind's own error, `refusals`) shows the form again with status 400 and everything
that was entered: every problem found (the error's `problems`, (field, message) pairs, when it carries
them) is listed at the top, linked to its field, and shown next to the field, named by its label; a
picture chosen in the refused form is stored at once (`keep_pictures`) so the next submit keeps it. A kind plugs in by subclassing `Editor`: how its draft is read from the
form, checked, previewed and saved, how its pictures are stored, which page shows its form."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar, Generic, TypeVar

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from node.core.models import Actor
from node.core.runtime import Node
from node.web.errors import PageRefusal
from node.web.forms import action_of, no_store, rows_from_translations, translation_rows
from node.web.pages import association_actor, node_of, render, writing_context

D = TypeVar("D")
SHOWS_FORM_AGAIN = ("preview", "add_language")
Problem = tuple[str, str]  # (the form field it is about, or "", the message a person reads)


def problems_of(exc: Exception) -> list[Problem]:
    """Every problem an error carries: its `problems` when it has them, else its message (with its
    `field` when it names one)."""
    found = getattr(exc, "problems", None)
    if found:
        return [(str(name or ""), str(text)) for name, text in found]
    return [(str(getattr(exc, "field", None) or ""), str(exc))]


def problem_views(problems: list[Problem], labels: dict[str, Any]) -> list[dict[str, str]]:
    """The problems as the form shows them: the field's id (its anchor), its visible label (`labels`
    maps a field to it; a field without one is shown unnamed), the message; duplicates once."""
    views: list[dict[str, str]] = []
    for name, text in dict.fromkeys(problems):
        label = labels.get(name)
        views.append({"field": name if label is not None else "", "label": str(label or ""), "message": text})
    return views


def field_messages(views: list[dict[str, str]]) -> dict[str, str]:
    """The message to show next to each field (several joined)."""
    found: dict[str, list[str]] = {}
    for view in views:
        if view["field"]:
            found.setdefault(view["field"], []).append(view["message"])
    return {name: "; ".join(texts) for name, texts in found.items()}


async def association_author(node: Node) -> Actor:
    """The association's actor, who publishes what the editors write; a 500 page when it is missing."""
    actor = await association_actor(node)
    if actor is None:
        raise PageRefusal(500, "No association", "The association account is missing; run agora init.")
    return actor


async def form_page(request: Request, template: str, *, status: int = 200,
                    rows: list[dict[str, str]] | None = None, problems: list[dict[str, str]] | None = None,
                    **context: Any) -> Response:
    """An editor form (never cached: it carries the CSRF token and unpublished text), with the
    language fields every editor form has and its problems (`problem_views`: `problems` for the list
    at the top, `field_errors` for the message next to each field)."""
    if rows is None:
        rows = rows_from_translations(())
    return no_store(await render(request, template, status=status, rows=rows, problems=problems or [],
                                 field_errors=field_messages(problems or []), **context,
                                 **writing_context(node_of(request))))


class Editor(ABC, Generic[D]):
    """One submitted editor form of some kind of content, whose draft is a `D`."""

    refusals: ClassVar[tuple[type[Exception], ...]]  # the kind's errors: their message goes on the form

    def __init__(self, request: Request, form: FormData, author: Actor) -> None:
        self.request = request
        self.node = node_of(request)
        self.form = form
        self.author = author
        self.action = action_of(form)
        self.rows = translation_rows(form, add=self.action == "add_language")
        self.problems: list[dict[str, str]] = []  # what the refused form shows (problem_views)

    @property
    def keeps_draft(self) -> bool:
        """Saved as a draft (new content only: what is published stays published)."""
        return self.action == "draft"

    @property
    def publishes(self) -> bool:
        return self.action == "publish"

    @abstractmethod
    async def draft(self) -> D:
        """What the form describes, read from it (raises one of `refusals`)."""

    @abstractmethod
    async def checked(self, draft: D) -> D:
        """The draft checked as it will be saved (raises one of `refusals`)."""

    @abstractmethod
    async def store(self, draft: D) -> D:
        """Store the pictures chosen in the form; the draft that carries them."""

    @abstractmethod
    async def preview(self, draft: D) -> list[dict[str, Any]]:
        """Each language of the draft as it will look (nothing saved)."""

    @abstractmethod
    async def save(self, draft: D) -> str:
        """Create or update (and publish) the content; the address to go to next."""

    def labels(self) -> dict[str, Any]:
        """The visible label of each field a problem may be about (a kind names its fields)."""
        return {}

    async def keep_pictures(self) -> list[Problem]:
        """A refused form: store the pictures chosen in it, so that the next submit keeps them; the
        problems met doing so (a kind with pictures overrides this)."""
        return []

    @abstractmethod
    async def page(self, *, status: int = 200, error: str | None = None,
                   preview: list[dict[str, Any]] | None = None) -> Response:
        """The form again, with what was entered."""

    async def submit(self) -> Response:
        try:
            draft = await self.draft()
            if self.action in SHOWS_FORM_AGAIN:
                draft = await self.store(draft)
                preview = await self.preview(draft) if self.action == "preview" else None
                return await self.page(preview=preview)
            location = await self.save(await self.store(await self.checked(draft)))
        except self.refusals as exc:
            problems = problems_of(exc)
            problems += await self.keep_pictures()
            self.problems = problem_views(problems, self.labels())
            return await self.page(status=400, error=str(exc))
        return RedirectResponse(location, status_code=303)
