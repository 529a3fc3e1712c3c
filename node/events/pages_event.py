"""The event page with its participation box: members join and leave, visitors join from their own
server or register with a name and an email address, confirmed (or cancelled) from a link in a mail.

Links that arrive by email only show a button: a link scanner opening them changes nothing."""

from __future__ import annotations

import copy
import html
from datetime import timedelta

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from federation import events as wire
from node.accounts.roles import PUBLISHING_ROLES
from node.core import i18n, mail, multilingual
from node.core.models import Actor, Post
from node.core.runtime import Node
from node.core.sanitize import plain_text
from node.events import events
from node.events.inputs import EventError
from node.events.models import Event, Participation
from node.events.pages_common import (
    COMMON_ZONES, MODERATION_LABELS, STATE_LABELS, TZ_COOKIE, TZ_COOKIE_AGE, category_label, event_path,
    find_event, is_over, place_view, reader_zone, shows_other_time, utcnow, valid_zone, when_text, zone_label,
)
from node.events.participation import cancel_anonymous, confirm_anonymous, join, leave, register_anonymous
from node.web import auth
from node.web.comments import comment_box
from node.web.errors import PageRefusal
from node.web.forms import checked_form, no_store, text_field
from node.web.pages import member_post, message, node_of, render, send_home

_l = i18n.lazy  # labels translated when shown


async def event_page(request: Request) -> Response:
    """GET /events/{slug} for browsers. `?tz=` (or `tz_other`) chooses the reader's zone and keeps it
    in a cookie; an empty choice goes back to the event's zone only."""
    event = await find_event(request)
    params = request.query_params
    chosen: str | None = None
    zone_error = None
    if "tz" in params or "tz_other" in params:
        chosen = text_field(params, "tz_other") or text_field(params, "tz")
        if chosen and not valid_zone(chosen):
            zone_error = _l("unknown time zone %(zone)s: choose one from the list, or write it like Europe/Paris",
                             zone=repr(chosen[:64]))
            chosen = None
    reader = reader_zone(request) if chosen is None else (chosen or None)
    response = await show_event(request, event, reader=reader, zone_error=zone_error, status=400 if zone_error else 200)
    if chosen == "":
        response.delete_cookie(TZ_COOKIE, path="/")
    elif chosen:
        response.set_cookie(TZ_COOKIE, chosen, max_age=TZ_COOKIE_AGE, path="/", httponly=True, samesite="lax",
                            secure=node_of(request).settings.base_url.startswith("https://"))
    return response


async def show_event(
    request: Request, event: Event, *, status: int = 200, reader: str | None = None, use_cookie: bool = False,
    zone_error: str | None = None, join_error: str | None = None, register_error: str | None = None,
    entered: dict[str, str] | None = None,
) -> Response:
    node = node_of(request)
    if use_cookie:
        reader = reader_zone(request)
    organizer = await Actor.get(id=event.organizer_id)
    user = await auth.current_user(request)
    # The reader's language (node/multilingual.py): the page shows a copy carrying that version's name,
    # description and language, so dates and `lang` attributes follow; the row itself is not touched.
    interface = i18n.choose(request, node, user)
    i18n.activate(interface)
    wishes = [*multilingual.request_wishes(request, user), interface]
    shown = multilingual.show_event(event, wishes, node.settings.association.language)
    event = copy.copy(event)
    event.name, event.content, event.language = shown.title, shown.content, shown.language
    organizer_view = bool(user and user.role in PUBLISHING_ROLES)
    participation = await Participation.get_or_none(event=event, actor_id=user.actor_id) if user else None
    comments = await Post.filter(in_reply_to_uri=event.uri, deleted_at=None, held=False,
                                 visibility__in=["public", "unlisted"]).order_by("published").prefetch_related("author")
    announcements: list[Post] = []
    if organizer_view or (participation is not None and participation.state == "accepted"):
        announcements = await Post.filter(in_reply_to_uri=event.uri, author_id=event.organizer_id, deleted_at=None,
                                          visibility__in=["direct", "followers"]).order_by("-published").limit(20)
    pending = await Participation.filter(event=event, state="pending").count() if organizer_view else 0
    held = await Post.filter(in_reply_to_uri=event.uri, deleted_at=None, held=True).count() if organizer_view else 0
    series: list[Event] = []
    if event.series_uid:
        series = await Event.filter(series_uid=event.series_uid, local=True, deleted_at=None, draft=event.draft,
                                    start__gte=utcnow() - timedelta(days=1)).exclude(id=event.id).order_by("start").limit(12)
    contacts = []
    if event.contacts:
        known = {a.uri: a for a in await Actor.filter(uri__in=[c for c in event.contacts if isinstance(c, str)][:50])}
        contacts = [(c, known.get(c)) for c in event.contacts if isinstance(c, str)]
    remaining = max(event.capacity - event.participant_count, 0) if event.capacity is not None else None
    other_time = when_text(event, reader) if reader and shows_other_time(event, reader) else None
    zones = list(COMMON_ZONES)
    for extra in (event.timezone, reader):
        if extra and extra not in zones and valid_zone(extra):
            zones.insert(0, extra)
    response = await render(
        request, "events/event.html", status=status, event=event, organizer=organizer,
        organizer_handle=organizer.handle if not organizer.local else f"@{organizer.username}@{node.urls.host}",
        comments=comments, comment_box=await comment_box(request, event), announcements=announcements, when=when_text(event), other_time=other_time,
        reader=reader, zones=zones, zone_label=zone_label, zone_error=zone_error,
        places=[place_view(p) for p in event.places if isinstance(p, dict)], category=category_label(event.category),
        remaining=remaining, full=remaining == 0, over=is_over(event), participation=participation,
        state_labels=STATE_LABELS, organizer_view=organizer_view, pending=pending, held=held, series=series,
        series_when={e.id: when_text(e) for e in series}, contacts=contacts, path=event_path(event),
        join_error=join_error, register_error=register_error, entered=entered or {},
        description=plain_text(event.content or event.name), summary=html.unescape(
            wire.event_summary(events.event_data(node, event, organizer), locale=event.language)),
        moderation_label=MODERATION_LABELS.get(event.replies_moderation, ""),
        shown=shown, content_dir=shown.dir, other_languages=shown.alternatives,
    )
    return no_store(response) if event.draft else response


async def join_submit(request: Request) -> Response:
    event = await find_event(request)
    actor, form = await member_post(request)
    if is_over(event):
        return await show_event(request, event, status=400, use_cookie=True, join_error=_l("this event is over"))
    try:
        await join(node_of(request), event, actor, message=text_field(form, "message")[:2000])
    except EventError as exc:
        return await show_event(request, event, status=400, use_cookie=True, join_error=str(exc))
    return RedirectResponse(f"{event_path(event)}#participation", status_code=303)


async def leave_submit(request: Request) -> Response:
    event = await find_event(request)
    actor, _ = await member_post(request)
    await leave(node_of(request), event, actor)
    return RedirectResponse(f"{event_path(event)}#participation", status_code=303)


async def remote_join(request: Request) -> Response:
    """A visitor gives their Fediverse address; we send them to their own server's interaction page
    for the event, where their app can join it (Mobilizon and others answer the Join)."""
    event = await find_event(request)
    return await send_home(request, event.uri, _l("search for %(uri)s in your app to join it.", uri=event.uri))


def _registration_mail(node: Node, event: Event, participation: Participation) -> tuple[str, str]:
    base = node.urls.base
    subject = f"Confirm your registration: {event.name}"
    text = (
        f"Hello {participation.name},\n\n"
        f"you registered for \"{event.name}\" ({when_text(event)}).\n\n"
        f"To confirm your registration, open this link and press the button:\n{base}/events/confirm/{participation.token}\n\n"
        f"Your place counts once you confirm. If you did not register, ignore this message.\n\n"
        f"To cancel your registration later:\n{base}/events/cancel/{participation.token}\n\n"
        f"The event: {event.uri}\n\n-- \n{node.settings.association.name}\n"
    )
    return subject, text


async def register_submit(request: Request) -> Response:
    """A visitor without an account registers with a name and an email address."""
    node = node_of(request)
    event = await find_event(request)
    form = await checked_form(request)
    entered = {"name": text_field(form, "name"), "email": text_field(form, "email"), "message": text_field(form, "message")}
    if is_over(event):
        return await show_event(request, event, status=400, use_cookie=True, register_error=_l("this event is over"),
                                entered=entered)
    try:
        participation = await register_anonymous(node, event, entered["name"], entered["email"], entered["message"])
    except EventError as exc:
        return await show_event(request, event, status=400, use_cookie=True, register_error=str(exc), entered=entered)
    subject, text = _registration_mail(node, event, participation)
    try:
        await mail.send_mail(node.settings, participation.email or "", subject, text)
    except mail.MailError:
        await cancel_anonymous(participation.token or "")
        return await show_event(request, event, status=503, use_cookie=True, entered=entered,
                                register_error=_l("the confirmation email could not be sent just now; please try again later"))
    return await message(request, 200, "Check your mailbox",
                         _l("We sent a link to %(email)s. Your registration for \u201c%(name)s\u201d "
                            "counts once you open it and confirm.", email=participation.email, name=event.name))


async def _token_participation(request: Request) -> tuple[Participation, Event]:
    await i18n.activate_request(request, node_of(request))
    token = str(request.path_params["token"])
    participation = await Participation.get_or_none(token=token) if 0 < len(token) <= 64 else None
    event = await Event.get_or_none(id=participation.event_id) if participation else None
    if participation is None or event is None or event.deleted_at is not None:
        raise PageRefusal(404, "Link not valid",
                          "This link is not valid (any more): the registration was cancelled, or the event deleted.")
    return participation, event


async def confirm_registration(request: Request) -> Response:
    """GET shows a button, POST confirms: mail scanners that open links confirm nothing."""
    participation, event = await _token_participation(request)
    if participation.confirmed:
        return await message(request, 200, "Already confirmed",
                             _l("Your registration for \u201c%(name)s\u201d is confirmed.", name=event.name))
    if request.method == "POST":
        await checked_form(request)
        if event.status == "CANCELLED":
            return await message(request, 409, "Event cancelled", _l("\u201c%(name)s\u201d is cancelled.", name=event.name))
        try:
            await confirm_anonymous(participation.token or "")
        except EventError:  # the last places went to people who confirmed first
            await cancel_anonymous(participation.token or "")
            return await message(request, 409, "This event is full",
                                 _l("The last places of \u201c%(name)s\u201d were taken before you confirmed; "
                                    "your registration is removed.", name=event.name))
        if participation.state == "pending":
            return await message(request, 200, "Registration confirmed",
                                 _l("Thank you. The organizers of \u201c%(name)s\u201d approve each participant; "
                                    "you will hear from them.", name=event.name))
        return await message(request, 200, "You are registered",
                             _l("See you at \u201c%(name)s\u201d (%(when)s).", name=event.name, when=when_text(event)))
    return no_store(await render(
        request, "events/confirm.html", title=_l("Confirm your registration"), event=event, when=when_text(event),
        text=_l("Registration of %(name)s for this event.", name=participation.name), action=request.url.path,
        button=_l("Confirm my registration"), danger=False,
    ))


async def cancel_registration(request: Request) -> Response:
    participation, event = await _token_participation(request)
    if request.method == "POST":
        await checked_form(request)
        await cancel_anonymous(participation.token or "")
        return await message(request, 200, "Registration cancelled",
                             _l("Your registration for \u201c%(name)s\u201d is cancelled.", name=event.name))
    return no_store(await render(
        request, "events/confirm.html", title=_l("Cancel your registration"), event=event, when=when_text(event),
        text=_l("Cancel the registration of %(name)s for this event?", name=participation.name),
        action=request.url.path, button=_l("Cancel my registration"), danger=True,
    ))
