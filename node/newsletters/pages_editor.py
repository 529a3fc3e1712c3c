"""The mailing form (new mailing, edit a draft or scheduled one), plugged into the one editor flow
(node/web/editor.py): preview in each language, add a language, save. Sending, the test and the
schedule are buttons of the mailing's own page (pages_admin.py)."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from node.core import i18n
from node.core.models import Actor, User
from node.core.multilingual import direction, language_name
from node.events.models import Event
from node.initiatives.models import Initiative
from node.newsletters.mailings import MailingError, MailingInput, checked, create_mailing, input_of, update_mailing, versions
from node.newsletters.models import Mailing
from node.web.editor import Editor, form_page
from node.web.errors import PageRefusal
from node.web.forms import checked_form, rows_from_translations, translations_from_rows
from node.web.pages import editor, node_of

_l = i18n.lazy
FIELDS = ("subject", "body", "language", "audience", "event", "initiative", "also_post")
LABELS: dict[str, Any] = {"subject": _l("Subject"), "body": _l("The mailing (Markdown)"),
                          "language": _l("Main language (a code like en, fr or ar)"), "audience": _l("Who receives it"),
                          "target": _l("Which one")}


def _number(value: str) -> int | None:
    text = value.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 18 else None


def mailing_input(values: dict[str, str], rows: list[dict[str, str]]) -> MailingInput:
    audience = values["audience"] or "subscribers"
    target = _number(values["event"]) if audience == "event" else _number(values["initiative"]) if audience == "initiative" else None
    return MailingInput(subject=values["subject"], body=values["body"], language=values["language"],
                        translations=translations_from_rows(rows), audience=audience, target_id=target,
                        also_post=values["also_post"] == "1")


def stored_values(mailing: Mailing) -> dict[str, str]:
    target = str(mailing.target_id or "")
    return {"subject": mailing.subject, "body": mailing.body, "language": mailing.language, "audience": mailing.audience,
            "event": target if mailing.audience == "event" else "", "also_post": "1" if mailing.also_post else "",
            "initiative": target if mailing.audience == "initiative" else ""}


def preview_versions(node: Any, inp: MailingInput) -> list[dict[str, Any]]:
    return [{"language": v.language, "name": language_name(v.language), "dir": direction(v.language), "title": v.subject,
             "lead": "", "when": "", "html": v.html, "cw": ""} for v in versions(node, inp)]


class MailingEditor(Editor[MailingInput]):
    refusals = (MailingError,)

    def __init__(self, request: Request, form: FormData, author: Actor, user: User, mailing: Mailing | None) -> None:
        super().__init__(request, form, author)
        self.user = user
        self.mailing = mailing
        self.values = {key: str(form.get(key) or "") for key in FIELDS}

    async def draft(self) -> MailingInput:
        return mailing_input(self.values, self.rows)

    async def checked(self, draft: MailingInput) -> MailingInput:
        return await checked(draft)

    async def store(self, draft: MailingInput) -> MailingInput:
        return draft  # a mailing carries no pictures

    async def preview(self, draft: MailingInput) -> list[dict[str, Any]]:
        return preview_versions(self.node, await checked(draft))

    def labels(self) -> dict[str, Any]:
        return LABELS

    async def save(self, draft: MailingInput) -> str:
        if self.mailing is None:
            self.mailing = await create_mailing(self.user, draft)
        else:
            await update_mailing(self.mailing, draft)
        return f"/admin/mailings/{self.mailing.id}"

    async def page(self, *, status: int = 200, error: str | None = None,
                   preview: list[dict[str, Any]] | None = None) -> Response:
        return await mailing_form(self.request, self.values, self.mailing, status=status, error=error, rows=self.rows,
                                  preview=preview, problems=self.problems)


async def mailing_form(request: Request, values: dict[str, str], mailing: Mailing | None, **context: Any) -> Response:
    action = "/admin/mailings/new" if mailing is None else f"/admin/mailings/{mailing.id}/edit"
    events = await Event.filter(local=True, deleted_at=None, draft=False).order_by("-start").limit(50)
    initiatives = await Initiative.filter(local=True, deleted_at=None, draft=False).order_by("-id").limit(50)
    return await form_page(request, "newsletters/form.html", values=values, mailing=mailing, action=action,
                           events=events, initiatives=initiatives, **context)


async def _author(user: User) -> Actor:
    return await Actor.get(id=user.actor_id)


async def new_mailing(request: Request) -> Response:
    user = await editor(request)
    if request.method == "GET":
        values = dict.fromkeys(FIELDS, "") | {"language": node_of(request).settings.association.language or "en",
                                              "audience": "subscribers"}
        return await mailing_form(request, values, None)
    form = await checked_form(request)
    return await MailingEditor(request, form, await _author(user), user, None).submit()


async def editable(request: Request) -> Mailing:
    mailing = await Mailing.get_or_none(id=int(request.path_params["id"]))
    if mailing is None:
        raise PageRefusal(404, "Page not found", "There is no mailing at this address.")
    return mailing


async def edit_mailing(request: Request) -> Response:
    user = await editor(request)
    mailing = await editable(request)
    if mailing.status not in ("draft", "scheduled"):
        raise PageRefusal(409, "Already sent", "A mailing that was sent cannot be changed.")
    if request.method == "GET":
        return await mailing_form(request, stored_values(mailing), mailing,
                                  rows=rows_from_translations(input_of(mailing).translations))
    form = await checked_form(request)
    return await MailingEditor(request, form, await _author(user), user, mailing).submit()
