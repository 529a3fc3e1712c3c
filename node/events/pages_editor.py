"""The editors' event form (new and edit) plugged into the one editor flow (node/web/editor.py), and
the two confirmed actions on an event: cancel it, delete it."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from node.core import i18n
from node.core.models import Actor, Media
from node.core.runtime import Node
from node.events import events
from node.events.inputs import CATEGORIES, EventError, EventInput
from node.events.models import Event
from node.events.pages_common import (
    JOIN_MODE_LABELS, MODERATION_LABELS, category_label, event_path, find_event, when_text, zone_groups,
    zone_label,
)
from node.events.pages_input import Found, event_input, event_values, form_values, in_the_past, new_values
from node.events.recurrence import MAX_OCCURRENCES, occurrences
from node.web import compose
from node.web.compose import N_, Picture
from node.web.editor import Editor, Problem, association_author, form_page
from node.web.errors import PageRefusal
from node.web.forms import checked_form, no_store, rows_from_translations
from node.web.pages import editor, node_of, render, upload_form

_l = i18n.lazy  # labels translated when shown

BANNER = Picture(file="banner_file", alt="banner_alt", url="banner_url",
                 no_alt=N_("describe the banner image for people who cannot see it (alt text)"),
                 refused=N_("the banner image: %(error)s"))
LABELS = {  # the visible label of each field a problem may be about, as the form shows it
    "title": _l("Title"), "language": _l("Main language (a code like en, fr or ar)"),
    "start_date": _l("Start date"), "start_time": _l("Start time"), "end_date": _l("End date"),
    "end_time": _l("End time"), "timezone": _l("Time zone"), "repeat": _l("Repeats"),
    "interval": _l("Every how many weeks or months"), "count": _l("Number of dates"), "until": _l("Repeat until"),
    "exceptions": _l("Skip these dates (comma-separated, like 2026-12-24, 2026-12-31)"),
    "place_name": _l("Place name"), "place_lat": _l("Latitude"), "place_lon": _l("Longitude"),
    "online_url": _l("Online address (video call, stream)"), "banner_file": _l("Banner image: upload a picture"),
    "banner_url": _l("or give its address"), "banner_alt": _l("Banner description (alt text, required with a banner)"),
    "category": _l("Category"), "tags": _l("Tags (comma-separated)"),
    "contacts": _l("Contacts (one per line: @name for a member, @name@server or a profile address)"),
    "capacity": _l("Capacity (empty for no limit)"), "join_mode": _l("Who can join"),
    "external_url": _l("Registration address (for registration on another site)"), "moderation": _l("Moderation"),
}


async def event_form(request: Request, values: dict[str, str], *, event: Event | None = None,
                     error: str | None = None, status: int = 200, rows: list[dict[str, str]] | None = None,
                     preview: list[dict[str, Any]] | None = None,
                     problems: list[dict[str, str]] | None = None) -> Response:
    """The form with what was entered; a refusal's problems at the top and next to their fields
    (node/web/editor.py), and a notice (not an error) when the event starts in the past."""
    zone = values.get("timezone", "")
    known = any(zone in names for _, names in zone_groups())
    return await form_page(
        request, "events/form.html", status=status, values=values, event=event, error=error,
        past=in_the_past(values), problems=problems,
        zone_groups=zone_groups(), zone_label=zone_label, unlisted_zone=zone if zone and not known else None,
        categories=[(c, category_label(c)) for c in CATEGORIES], join_modes=JOIN_MODE_LABELS,
        moderations=MODERATION_LABELS, max_occurrences=MAX_OCCURRENCES,
        action=f"{event_path(event)}/edit" if event else "/events/new", rows=rows, preview=preview,
    )


def preview_versions(node: Node, inp: EventInput) -> list[dict[str, Any]]:
    """The event as it will look in each of its languages: title, when, description (nothing saved)."""
    begin, finish = occurrences(dataclasses.replace(inp, recurrence=None))[0]
    language = inp.language or node.settings.association.language
    parts = [(language, {"title": inp.name, "text": inp.description})]
    parts += [(t.language, {"title": t.title or inp.name, "text": t.text}) for t in inp.translations or ()]
    for tag, part in parts:
        sample = Event(uri="", name=part["title"], start=begin, end=finish, timezone=inp.timezone,
                       all_day=inp.all_day, language=tag)
        part["when"] = when_text(sample, locale=tag)
    return compose.rendered_versions(node, language, parts)


class EventEditor(Editor[EventInput]):
    """A new event (with its recurrence) or an edited one (one occurrence: no recurrence)."""

    refusals = (EventError,)

    def __init__(self, request: Request, form: FormData, author: Actor, event: Event | None) -> None:
        super().__init__(request, form, author)
        self.event = event
        self.values = form_values(form)
        self.banner_stored = False

    async def draft(self) -> EventInput:
        found = Found()
        if compose.chosen_file(self.form, BANNER.file) is not None and not self.values[BANNER.alt].strip():
            found.add(BANNER.alt, i18n.gettext(BANNER.no_alt))
        return await event_input(self.node, self.values, recurrence=self.event is None, keep=self.event,
                                 rows=self.rows, found=found)

    async def checked(self, draft: EventInput) -> EventInput:
        return events.checked(self.node, draft if self.event is None else dataclasses.replace(draft, recurrence=None))

    async def store(self, draft: EventInput) -> EventInput:
        """A banner chosen as a file: stored (it then has our address) and put in the input and the form."""
        media = await self._store_banner()
        if media is None:
            return draft
        return dataclasses.replace(draft, banner_url=self.values["banner_url"], banner_alt=self.values["banner_alt"].strip(),
                                   banner_media_type=media.media_type)

    async def preview(self, draft: EventInput) -> list[dict[str, Any]]:
        return preview_versions(self.node, await self.checked(draft))

    async def save(self, draft: EventInput) -> str:
        if self.event is None:
            created = await events.create_event(self.node, self.author, dataclasses.replace(draft, draft=self.keeps_draft))
            return event_path(created[0])
        await events.update_event(self.node, self.event, draft)
        if self.event.draft and self.publishes:
            await events.publish_event(self.node, self.event)
        return event_path(self.event)

    def labels(self) -> dict[str, Any]:
        return LABELS

    async def keep_pictures(self) -> list[Problem]:
        """A banner chosen in the refused form is stored now (the form then carries its address);
        without its description it cannot be (that problem is listed already)."""
        if self.banner_stored or not self.values[BANNER.alt].strip():
            return []
        try:
            await self._store_banner()
        except EventError as exc:
            return [(BANNER.file, str(exc))]
        return []

    async def _store_banner(self) -> Media | None:
        """The banner chosen as a file, stored once (its address goes into the form's values)."""
        try:
            media = await compose.store_chosen_picture(self.node, self.author, self.form, self.values, BANNER, EventError)
        except EventError as exc:
            raise EventError(str(exc), field=BANNER.file) from None
        self.banner_stored = self.banner_stored or media is not None
        return media

    async def page(self, *, status: int = 200, error: str | None = None,
                   preview: list[dict[str, Any]] | None = None) -> Response:
        return await event_form(self.request, self.values, event=self.event, error=error, status=status,
                                rows=self.rows, preview=preview, problems=self.problems)


async def _event_form_post(request: Request, event: Event | None) -> Response:
    form = await upload_form(request)  # also activates the reader's language for the errors
    author = await association_author(node_of(request))
    return await EventEditor(request, form, author, event).submit()


async def new_event(request: Request) -> Response:
    await editor(request)
    if request.method == "GET":
        return await event_form(request, new_values(request, node_of(request)))
    return await _event_form_post(request, None)


async def edit_event(request: Request) -> Response:
    await editor(request)
    event = await find_event(request)
    if request.method == "GET":
        return await event_form(request, event_values(event), event=event,
                                rows=rows_from_translations(events.translations_of(event)))
    return await _event_form_post(request, event)


async def _confirmed_action(request: Request, act: Callable[[Node, Event], Awaitable[str]], *,
                            title: Any, text: Any, button: Any) -> Response:
    """GET: the confirmation page. POST (with the CSRF token): `act` on the event, then its answer's
    address (an EventError shows why it was not possible)."""
    await editor(request)
    event = await find_event(request)
    if request.method == "GET":
        return no_store(await render(request, "events/confirm.html", title=title, event=event, when=when_text(event),
                                     text=text, action=request.url.path, button=button, danger=True,
                                     back=event_path(event)))
    await checked_form(request)
    try:
        location = await act(node_of(request), event)
    except EventError as exc:
        raise PageRefusal(400, "Not possible", str(exc)) from None
    return RedirectResponse(location, status_code=303)


async def _cancel(node: Node, event: Event) -> str:
    await events.cancel_event(node, event)
    return event_path(event)


async def _delete(node: Node, event: Event) -> str:
    await events.delete_event(node, event)
    return "/events"


async def cancel_event(request: Request) -> Response:
    return await _confirmed_action(
        request, _cancel, title=_l("Cancel this event"),
        text=_l("The event stays visible, marked as cancelled, and followers' servers are told. This cannot be undone here."),
        button=_l("Cancel the event"))


async def delete_event(request: Request) -> Response:
    return await _confirmed_action(
        request, _delete, title=_l("Delete this event"),
        text=_l("The event disappears from this site and from followers' servers, with its participant list."),
        button=_l("Delete the event for good"))
