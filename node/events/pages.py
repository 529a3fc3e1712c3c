"""Event pages (HTML): the event page with its participation box, the calendars (the association's own
and the network calendar), the editors' forms, the organizers' participant list, and registration
without an account confirmed by email. The AS2 form of an event is served by node/activitypub/routes.py.

Everything works without JavaScript: the reader's time zone is a GET form remembered in a `tz` cookie,
every change is a POST form carrying the session's CSRF token, and links that arrive by email only
show a button (a link scanner opening them changes nothing)."""

from __future__ import annotations

import calendar as cal
import copy
import csv
import dataclasses
import functools
import html
import io
import logging
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo, available_timezones

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from tortoise.expressions import Q

from federation import events as wire
from federation import vocab, webfinger
from federation.client import FetchError
from node.events import events
from node.core import i18n, mail, multilingual
from node.core import media as media_service
from node.events.events import CATEGORIES, EventError, EventInput, Recurrence
from node.core.models import Actor, Post
from node.events.models import Event, Participation
from node.core.runtime import Node
from node.core.sanitize import plain_text
from node.web import auth, compose, forms
from node.core.csvcells import csv_cell
from node.web.forms import (
    action_of, no_store, rows_from_translations, text_field, translation_rows, translations_from_rows,
)
from node.web.pages import (
    association_actor, checked_form, editor, member_post, message, node_of, render, send_home, upload_form,
    writing_context,
)

log = logging.getLogger("agora.web")
_l = i18n.lazy  # labels translated when shown
_t = i18n.gettext  # texts translated at once (after i18n.activate_request)

PAGE_SIZE = 20
MONTH_LIMIT = 1000
TZ_COOKIE = "tz"
TZ_COOKIE_AGE = 365 * 24 * 3600

# Offered first in the reader's "Show times in" box: where members live and where their families do.
COMMON_ZONES = (
    "UTC", "Europe/London", "Europe/Lisbon", "Europe/Paris", "Europe/Brussels", "Europe/Berlin",
    "Europe/Madrid", "Europe/Rome", "Europe/Stockholm", "Europe/Athens", "Europe/Kyiv", "Europe/Istanbul",
    "Europe/Moscow", "Africa/Casablanca", "Africa/Algiers", "Africa/Tunis", "Africa/Cairo", "Africa/Dakar",
    "Africa/Abidjan", "Africa/Lagos", "Africa/Kinshasa", "Africa/Khartoum", "Africa/Addis_Ababa",
    "Africa/Asmara", "Africa/Mogadishu", "Africa/Nairobi", "Africa/Johannesburg", "Asia/Beirut",
    "Asia/Damascus", "Asia/Jerusalem", "Asia/Baghdad", "Asia/Riyadh", "Asia/Tehran", "Asia/Dubai",
    "Asia/Kabul", "Asia/Karachi", "Asia/Kolkata", "Asia/Dhaka", "Asia/Bangkok", "Asia/Manila",
    "Asia/Shanghai", "Asia/Tokyo", "Australia/Sydney", "America/Sao_Paulo", "America/Bogota",
    "America/Port-au-Prince", "America/Mexico_City", "America/New_York", "America/Chicago",
    "America/Toronto", "America/Los_Angeles",
)

CATEGORY_LABELS = {
    "MEETING": _l("Meeting"), "PARTY": _l("Party"), "MOVEMENTS_POLITICS": _l("Movements and politics"),
    "LEARNING": _l("Learning"), "ARTS": _l("Arts"), "FOOD_DRINK": _l("Food and drink"), "COMMUNITY": _l("Community"),
    "FAMILY_EDUCATION": _l("Family and education"), "CAUSES": _l("Causes"), "LANGUAGE_CULTURE": _l("Language and culture"),
    "SPORTS": _l("Sports"), "OUTDOORS_ADVENTURE": _l("Outdoors and adventure"), "NETWORKING": _l("Networking"),
    "THEATRE": _l("Theatre"), "MUSIC": _l("Music"), "FILM_MEDIA": _l("Film and media"),
    "SPIRITUALITY_RELIGION_BELIEFS": _l("Spirituality, religion and beliefs"), "AUTO_BOAT_AIR": _l("Auto, boat and air"),
    "BOOK_CLUBS": _l("Book clubs"), "COMEDY": _l("Comedy"), "CREATIVE_JOBS": _l("Creative jobs"), "CRAFTS": _l("Crafts"),
    "FASHION_BEAUTY": _l("Fashion and beauty"), "GAMES": _l("Games"), "HEALTH": _l("Health"), "PETS": _l("Pets"),
    "PHOTOGRAPHY": _l("Photography"), "SCIENCE_TECH": _l("Science and technology"),
}
JOIN_MODE_LABELS = {
    "free": _l("Anyone can join"), "restricted": _l("Organizers approve each participant"),
    "invite": _l("By invitation only"), "external": _l("Registration on another site"),
}
MODERATION_LABELS = {
    "allow_all": _l("Comments appear at once"), "moderated": _l("Comments wait for a moderator"),
    "closed": _l("No new comments"),
}
STATE_LABELS = {"accepted": _l("taking part"), "pending": _l("waiting for approval"), "rejected": _l("refused")}


def category_label(code: str | None) -> str:
    if not code:
        return ""
    return CATEGORY_LABELS.get(code, code.replace("_", " ").capitalize())


# ------------------------------------------------------------------ time zones and times


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def valid_zone(name: str | None) -> bool:
    if not name:
        return False
    try:
        wire.zone_of(name)
    except vocab.VocabError:
        return False
    return True


def _zone(name: str) -> ZoneInfo:
    try:
        return wire.zone_of(name)
    except vocab.VocabError:
        return ZoneInfo("UTC")


def reader_zone(request: Request) -> str | None:
    name = request.cookies.get(TZ_COOKIE, "")
    return name if valid_zone(name) else None


@functools.cache
def zone_groups() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Every IANA zone of a region (no legacy aliases such as "US/Eastern" or "Etc/GMT+3"), grouped."""
    regions = ("Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe",
               "Indian", "Pacific")
    names = available_timezones()
    groups: list[tuple[str, tuple[str, ...]]] = [("Universal", ("UTC",))]
    for region in regions:
        found = tuple(sorted(n for n in names if n.startswith(region + "/")))
        if found:
            groups.append((region, found))
    return tuple(groups)


def zone_label(name: str) -> str:
    return name.replace("_", " ")


def _timing(event: Event, zone_name: str) -> wire.EventData:
    """Only what the time line needs: the event's moments shown in `zone_name`."""
    zone = _zone(zone_name)
    return wire.EventData(
        id=event.uri, url=event.uri, name=event.name, content_html="", start=event.start.astimezone(zone),
        end=event.end.astimezone(zone) if event.end else None, timezone=zone_name if valid_zone(zone_name) else "UTC",
        all_day=event.all_day, places=(), online_url=None, status="CONFIRMED", join_mode="free", capacity=None,
        participant_count=0, category=None, language=event.language, tags=(), external_url=None,
        banner_url=None, banner_alt="", banner_media_type=None, organizer="", group=None, published=None,
        updated=None, uuid=None, anonymous_participation=False, comments_enabled=True,
        replies_moderation=None, contacts=(),
    )


def when_text(event: Event, zone_name: str | None = None, locale: str | None = None) -> str:
    """"Saturday, 11 July 2026, 18:00 – 23:00 (GMT+02:00, Europe/Paris)", in the reader's language (the
    language active for the request, see i18n.activate_request, unless `locale` is given), plain text
    (the template escapes it)."""
    data = _timing(event, zone_name or event.timezone)
    return html.unescape(wire.event_summary(data, locale=locale or i18n.current()))


def shows_other_time(event: Event, reader: str | None) -> bool:
    """Whether the reader's zone gives other wall-clock times than the event's (never for all-day
    events: a day is a day where it happens)."""
    if reader is None or event.all_day or reader == event.timezone or not valid_zone(reader):
        return False
    own, theirs = _zone(event.timezone), _zone(reader)
    return any(m.astimezone(own).utcoffset() != m.astimezone(theirs).utcoffset()
               for m in (event.start, event.end) if m is not None)


def effective_end(event: Event) -> datetime:
    if event.end is not None:
        return event.end
    if event.all_day:
        return event.start + timedelta(days=1)
    return event.start + timedelta(hours=3)


def is_over(event: Event) -> bool:
    return effective_end(event) < utcnow()


def _upcoming(now: datetime) -> Q:
    """Not over yet (see effective_end)."""
    return (Q(end__gte=now) | Q(end__isnull=True, all_day=False, start__gte=now - timedelta(hours=3))
            | Q(end__isnull=True, all_day=True, start__gte=now - timedelta(days=1)))


def _past(now: datetime) -> Q:
    """Over: the complement of _upcoming, spelt out (NOT over a NULL `end` would match nothing)."""
    return (Q(end__lt=now) | Q(end__isnull=True, all_day=False, start__lt=now - timedelta(hours=3))
            | Q(end__isnull=True, all_day=True, start__lt=now - timedelta(days=1)))


# ------------------------------------------------------------------ places


def place_view(place: dict[str, Any]) -> dict[str, Any]:
    town = " ".join(p for p in (place.get("postal_code", ""), place.get("locality", "")) if p).strip()
    lines = [line for line in (place.get("street", ""), town, place.get("region", ""), place.get("country", "")) if line]
    name = place.get("name") or (lines[0] if lines else "")
    if lines and lines[0] == name:
        lines = lines[1:]
    lat, lon = place.get("latitude"), place.get("longitude")
    if isinstance(lat, (int, float)) and isinstance(lon, (int, float)):
        map_url = f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"
    elif lines:
        map_url = "https://www.openstreetmap.org/search?query=" + quote(", ".join([name, *lines]))
    else:
        map_url = None
    return {"name": name, "lines": lines, "map_url": map_url}


def place_line(event: Event) -> str:
    for place in event.places:
        if isinstance(place, dict):
            name = place_view(place)["name"]
            town = place.get("locality") or place.get("region") or place.get("country") or ""
            return f"{name}, {town}" if town and town.casefold() != name.casefold() else name
    return ""


# ------------------------------------------------------------------ lookups and small helpers


def _slug(request: Request) -> str:
    return str(request.path_params["slug"])


async def find_event(request: Request) -> Event | Response:
    """The event of the address; a draft only for editors and admins."""
    node = node_of(request)
    await i18n.activate_request(request, node)  # when_text and the labels follow the reader's language
    event = await Event.get_or_none(uri=f"{node.urls.base}/events/{_slug(request)}", local=True)
    if event is not None and event.draft:
        user = await auth.current_user(request)
        if not (user and user.role in auth.PUBLISHING_ROLES and not user.disabled):
            event = None
    if event is None:
        return await message(request, 404, "Not found", "There is no such event here.")
    if event.deleted_at is not None:
        return await message(request, 410, "Deleted", "This event was deleted by its organizers.")
    return event


def _event_path(event: Event) -> str:
    return "/events/" + event.uri.rsplit("/", 1)[-1]


# ------------------------------------------------------------------ the event page


async def event_page(request: Request) -> Response:
    """GET /events/{slug} for browsers. `?tz=` (or `tz_other`) chooses the reader's zone and keeps it
    in a cookie; an empty choice goes back to the event's zone only."""
    event = await find_event(request)
    if isinstance(event, Response):
        return event
    params = request.query_params
    chosen: str | None = None
    zone_error = None
    if "tz" in params or "tz_other" in params:
        chosen = text_field(params, "tz_other") or text_field(params, "tz")  # type: ignore[arg-type]
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
    organizer = await Actor.get(id=event.organizer_id)  # type: ignore[attr-defined]
    user = await auth.current_user(request)
    # The reader's language (node/multilingual.py): the page shows a copy carrying that version's name,
    # description and language, so dates and `lang` attributes follow; the row itself is not touched.
    interface = i18n.choose(request, node, user)
    i18n.activate(interface)
    wishes = [*multilingual.request_wishes(request, user), interface]
    shown = multilingual.show_event(event, wishes, node.settings.association.language)
    event = copy.copy(event)
    event.name, event.content, event.language = shown.title, shown.content, shown.language
    organizer_view = bool(user and user.role in auth.PUBLISHING_ROLES)
    participation = await Participation.get_or_none(event=event, actor_id=user.actor_id) if user else None  # type: ignore[attr-defined]
    comments = await Post.filter(in_reply_to_uri=event.uri, deleted_at=None, held=False,
                                 visibility__in=["public", "unlisted"]).order_by("published").prefetch_related("author")
    announcements: list[Post] = []
    if organizer_view or (participation is not None and participation.state == "accepted"):
        announcements = await Post.filter(in_reply_to_uri=event.uri, author_id=event.organizer_id, deleted_at=None,  # type: ignore[attr-defined]
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
        comments=comments, announcements=announcements, when=when_text(event), other_time=other_time,
        reader=reader, zones=zones, zone_label=zone_label, zone_error=zone_error,
        places=[place_view(p) for p in event.places if isinstance(p, dict)], category=category_label(event.category),
        remaining=remaining, full=remaining == 0, over=is_over(event), participation=participation,
        state_labels=STATE_LABELS, organizer_view=organizer_view, pending=pending, held=held, series=series,
        series_when={e.id: when_text(e) for e in series}, contacts=contacts, path=_event_path(event),
        join_error=join_error, register_error=register_error, entered=entered or {},
        description=plain_text(event.content or event.name), summary=html.unescape(
            wire.event_summary(events.event_data(node, event, organizer), locale=event.language)),
        moderation_label=MODERATION_LABELS.get(event.replies_moderation, ""),
        shown=shown, content_dir=shown.dir, other_languages=shown.alternatives,
    )
    return no_store(response) if event.draft else response


# ------------------------------------------------------------------ participation


async def join_submit(request: Request) -> Response:
    event = await find_event(request)
    if isinstance(event, Response):
        return event
    posted = await member_post(request)
    actor, form = posted
    if is_over(event):
        return await show_event(request, event, status=400, use_cookie=True, join_error=_l("this event is over"))
    try:
        await events.join(node_of(request), event, actor, message=text_field(form, "message")[:2000])
    except EventError as exc:
        return await show_event(request, event, status=400, use_cookie=True, join_error=str(exc))
    return RedirectResponse(f"{_event_path(event)}#participation", status_code=303)


async def leave_submit(request: Request) -> Response:
    event = await find_event(request)
    if isinstance(event, Response):
        return event
    posted = await member_post(request)
    actor, _ = posted
    await events.leave(node_of(request), event, actor)
    return RedirectResponse(f"{_event_path(event)}#participation", status_code=303)


async def remote_join(request: Request) -> Response:
    """A visitor gives their Fediverse address; we send them to their own server's interaction page
    for the event, where their app can join it (Mobilizon and others answer the Join)."""
    event = await find_event(request)
    if isinstance(event, Response):
        return event
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
    if isinstance(event, Response):
        return event
    form = await checked_form(request)
    entered = {"name": text_field(form, "name"), "email": text_field(form, "email"), "message": text_field(form, "message")}
    if is_over(event):
        return await show_event(request, event, status=400, use_cookie=True, register_error=_l("this event is over"),
                                entered=entered)
    try:
        participation = await events.register_anonymous(node, event, entered["name"], entered["email"], entered["message"])
    except EventError as exc:
        return await show_event(request, event, status=400, use_cookie=True, register_error=str(exc), entered=entered)
    subject, text = _registration_mail(node, event, participation)
    try:
        await mail.send_mail(node.settings, participation.email or "", subject, text)
    except mail.MailError:
        await events.cancel_anonymous(participation.token or "")
        return await show_event(request, event, status=503, use_cookie=True, entered=entered,
                                register_error=_l("the confirmation email could not be sent just now; please try again later"))
    return await message(request, 200, "Check your mailbox",
                         _l("We sent a link to %(email)s. Your registration for \u201c%(name)s\u201d "
                            "counts once you open it and confirm.", email=participation.email, name=event.name))


async def _token_participation(request: Request) -> tuple[Participation, Event] | Response:
    await i18n.activate_request(request, node_of(request))
    token = str(request.path_params["token"])
    participation = await Participation.get_or_none(token=token) if 0 < len(token) <= 64 else None
    event = await Event.get_or_none(id=participation.event_id) if participation else None  # type: ignore[attr-defined]
    if participation is None or event is None or event.deleted_at is not None:
        return await message(request, 404, "Link not valid",
                             "This link is not valid (any more): the registration was cancelled, or the event deleted.")
    return participation, event


async def confirm_registration(request: Request) -> Response:
    """GET shows a button, POST confirms: mail scanners that open links confirm nothing."""
    found = await _token_participation(request)
    if isinstance(found, Response):
        return found
    participation, event = found
    if participation.confirmed:
        return await message(request, 200, "Already confirmed",
                             _l("Your registration for \u201c%(name)s\u201d is confirmed.", name=event.name))
    if request.method == "POST":
        form = await checked_form(request)
        if event.status == "CANCELLED":
            return await message(request, 409, "Event cancelled", _l("\u201c%(name)s\u201d is cancelled.", name=event.name))
        try:
            await events.confirm_anonymous(participation.token or "")
        except events.EventError:  # the last places went to people who confirmed first
            await events.cancel_anonymous(participation.token or "")
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
    found = await _token_participation(request)
    if isinstance(found, Response):
        return found
    participation, event = found
    if request.method == "POST":
        form = await checked_form(request)
        await events.cancel_anonymous(participation.token or "")
        return await message(request, 200, "Registration cancelled",
                             _l("Your registration for \u201c%(name)s\u201d is cancelled.", name=event.name))
    return no_store(await render(
        request, "events/confirm.html", title=_l("Cancel your registration"), event=event, when=when_text(event),
        text=_l("Cancel the registration of %(name)s for this event?", name=participation.name),
        action=request.url.path, button=_l("Cancel my registration"), danger=True,
    ))


# ------------------------------------------------------------------ calendars


def _month_of(text: str) -> date | None:
    try:
        year, month = (int(p) for p in text.split("-"))
        return date(year, month, 1) if 1900 <= year <= 2200 and 1 <= month <= 12 else None
    except ValueError:
        return None


def _shift(month: date, by: int) -> date:
    index = month.year * 12 + month.month - 1 + by
    return date(index // 12, index % 12 + 1, 1)


def _organizer_name(event: Event) -> str | None:
    organizer = getattr(event, "organizer", None)
    if isinstance(organizer, Actor):
        return organizer.name or organizer.handle
    return None


def _shown_copy(event: Event, wishes: list[str], fallback: str) -> Event:
    """A copy of `event` carrying the reader's version of its name and its language (the row is not touched)."""
    shown = multilingual.show_event(event, wishes, fallback)
    event = copy.copy(event)
    event.name, event.content, event.language = shown.title, shown.content, shown.language
    return event


def _item(event: Event, reader: str | None) -> dict[str, Any]:
    return {
        "event": event, "link": _event_path(event) if event.local else (event.url or event.uri),
        "when": when_text(event), "other_time": when_text(event, reader) if shows_other_time(event, reader) else None,
        "place": place_line(event), "category": category_label(event.category),
        "by": None if event.local else _organizer_name(event),
    }


async def calendar_page(request: Request, *, local: bool, past: bool = False) -> Response:
    node = node_of(request)
    await i18n.activate_request(request, node)  # dates, week start and labels in the reader's language
    wishes = [*multilingual.request_wishes(request, await auth.current_user(request)), i18n.current()]
    params = request.query_params
    base = ("/events" if local else "/events/network")
    category = params.get("category", "").strip()[:64]
    language = params.get("language", "").strip()[:35]
    query = Event.filter(local=local, deleted_at=None, draft=False)
    if not local:
        query = query.prefetch_related("organizer")
    if category:
        query = query.filter(category=category)
    if language:
        query = query.filter(Q(language__iexact=language) | Q(language__istartswith=f"{language}-"))
    filters = {k: v for k, v in (("category", category), ("language", language)) if v}
    reader = reader_zone(request)
    ui = i18n.current_locale()
    fallback = node.settings.association.language
    context: dict[str, Any] = {
        "local": local, "past": past, "base": base, "category": category, "language": language,
        "categories": [(c, category_label(c)) for c in CATEGORIES], "reader": reader, "filters": filters,
    }
    if params.get("view") == "month" and not past:
        month = _month_of(params.get("month", "")) if params.get("month") else None
        if params.get("month") and month is None:
            return await message(request, 400, "Not a month", "Give the month like 2026-07.")
        if month is None:
            today = utcnow().astimezone(_zone(reader)) if reader else utcnow()
            month = today.date().replace(day=1)
        following = _shift(month, 1)
        start = datetime.combine(month, time(0), timezone.utc) - timedelta(days=1)
        end = datetime.combine(following, time(0), timezone.utc) + timedelta(days=1)
        rows = await query.filter(Q(start__gte=start) | Q(end__gte=start), start__lt=end).order_by("start").limit(MONTH_LIMIT)
        by_day: dict[date, list[dict[str, Any]]] = {}
        for event in rows:
            event = _shown_copy(event, wishes, fallback)
            zone = _zone(event.timezone)
            first = event.start.astimezone(zone).date()
            last = effective_end(event).astimezone(zone).date() if event.end else first
            clock = "" if event.all_day else i18n.format_time(event.start, "short", tz=zone)
            day = max(first, month)
            while day <= last and day < following:
                by_day.setdefault(day, []).append({**_item(event, reader), "clock": clock if day == first else ""})
                day += timedelta(days=1)
        weeks = cal.Calendar(firstweekday=ui.first_week_day).monthdatescalendar(month.year, month.month)
        context.update(
            view="month", month=month,
            weeks=[[{"day": d, "in_month": d.month == month.month, "entries": by_day.get(d, []) if d.month == month.month else []}
                    for d in week] for week in weeks],
            previous=f"{base}?{urlencode({**filters, 'view': 'month', 'month': _shift(month, -1).strftime('%Y-%m')})}",
            next=f"{base}?{urlencode({**filters, 'view': 'month', 'month': following.strftime('%Y-%m')})}",
            today=utcnow().date(),
        )
    else:
        try:
            page = max(1, min(int(params.get("page", "1")), 10_000))
        except ValueError:
            page = 1
        now = utcnow()
        query = query.filter(_past(now)).order_by("-start") if past else query.filter(_upcoming(now)).order_by("start")
        rows = await query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
        path = f"{base}/past" if past else base
        context.update(
            view="list", page=page, items=[_item(_shown_copy(e, wishes, fallback), reader) for e in rows[:PAGE_SIZE]],
            newer=f"{path}?{urlencode({**filters, 'page': page - 1})}" if page > 1 else None,
            older=f"{path}?{urlencode({**filters, 'page': page + 1})}" if len(rows) > PAGE_SIZE else None,
        )
    return await render(request, "events/calendar.html", **context)


async def local_calendar(request: Request) -> Response:
    return await calendar_page(request, local=True)


async def local_past(request: Request) -> Response:
    return await calendar_page(request, local=True, past=True)


async def network_calendar(request: Request) -> Response:
    return await calendar_page(request, local=False)


async def network_past(request: Request) -> Response:
    return await calendar_page(request, local=False, past=True)


# ------------------------------------------------------------------ the editors' form

CHECKBOXES = ("all_day", "anonymous", "comments", "tentative", "monthly_last")
FIELDS = (
    "title", "description", "start_date", "start_time", "end_date", "end_time", "timezone", "place_name",
    "place_street", "place_postal_code", "place_locality", "place_region", "place_country", "place_lat",
    "place_lon", "online_url", "banner_url", "banner_alt", "category", "language", "tags", "capacity",
    "join_mode", "external_url", "contacts", "moderation", "repeat", "interval", "count", "until", "exceptions",
)


def form_values(form: FormData) -> dict[str, str]:
    values = {key: str(form.get(key) or "") for key in FIELDS}
    values.update({key: "on" if form.get(key) else "" for key in CHECKBOXES})
    return values


def new_values(request: Request, node: Node) -> dict[str, str]:
    values = dict.fromkeys(FIELDS, "")
    values.update(dict.fromkeys(CHECKBOXES, ""))
    values.update(timezone=reader_zone(request) or "UTC", language=node.settings.association.language,
                  join_mode="free", moderation="allow_all", comments="on", repeat="none", interval="1")
    return values


def event_values(event: Event) -> dict[str, str]:
    zone = _zone(event.timezone)
    start = event.start.astimezone(zone)
    end = event.end.astimezone(zone) if event.end else None
    place = next((p for p in event.places if isinstance(p, dict)), {})

    def number(value: Any) -> str:
        return "" if value is None else str(value)

    values = dict.fromkeys(FIELDS, "")
    values.update(dict.fromkeys(CHECKBOXES, ""))
    values.update(
        title=event.name, description=event.source, start_date=start.date().isoformat(),
        start_time="" if event.all_day else start.strftime("%H:%M"),
        end_date=end.date().isoformat() if end else "", end_time=end.strftime("%H:%M") if end and not event.all_day else "",
        timezone=event.timezone, all_day="on" if event.all_day else "",
        place_name=place.get("name", ""), place_street=place.get("street", ""),
        place_postal_code=place.get("postal_code", ""), place_locality=place.get("locality", ""),
        place_region=place.get("region", ""), place_country=place.get("country", ""),
        place_lat=number(place.get("latitude")), place_lon=number(place.get("longitude")),
        online_url=event.online_url or "", banner_url=event.banner_url or "", banner_alt=event.banner_alt,
        category=event.category or "", language=event.language or "", tags=", ".join(event.tags),
        capacity=number(event.capacity), join_mode=event.join_mode, external_url=event.external_url or "",
        contacts="\n".join(c for c in event.contacts if isinstance(c, str)),
        anonymous="on" if event.anonymous_participation else "", comments="on" if event.comments_enabled else "",
        moderation=event.replies_moderation, tentative="on" if event.status == "TENTATIVE" else "",
    )
    return values


def _parse_date(text: str, what: str) -> date | None:
    return forms.parse_date(text, what, EventError)


def _parse_time(text: str, what: str) -> time | None:
    return forms.parse_time(text, what, EventError)


def _parse_int(text: str, what: str) -> int | None:
    return forms.parse_int(text, what, EventError)


def _parse_float(text: str, what: str) -> float | None:
    return forms.parse_float(text, what, EventError)


async def _contacts(node: Node, text: str) -> tuple[str, ...]:
    """Contacts as actor URIs: profile URLs as given, @name (a member here) or @name@server (looked up)."""
    found: list[str] = []
    for item in (p.strip() for p in text.replace(",", "\n").splitlines()):
        if not item:
            continue
        if vocab.is_http_url(item):
            found.append(item)
            continue
        local = item.lstrip("@")
        if "@" not in local or local.endswith("@" + node.urls.host):
            actor = await Actor.get_or_none(local=True, username=local.split("@")[0])
            if actor is None:
                raise EventError(_t("contact %(item)s: no such member here", item=repr(item)))
            found.append(actor.uri)
            continue
        parts = webfinger.split_handle(item)
        if parts is None:
            raise EventError(_t("contact %(item)s: give a Fediverse address (@name@server) or a profile URL",
                                item=repr(item)))
        try:
            found.append(await webfinger.resolve_handle(node.client, item, scheme=node.webfinger_scheme(parts[1])))
        except FetchError as exc:
            raise EventError(_t("contact %(item)s not found: %(error)s", item=repr(item), error=str(exc))) from None
    if len(found) > 20:
        raise EventError(_t("give at most 20 contacts"))
    return tuple(dict.fromkeys(found))


async def event_input(node: Node, values: dict[str, str], *, recurrence: bool, keep: Event | None = None,
                      rows: list[dict[str, str]] | None = None) -> EventInput:
    """The form's values (and its language blocks) as an EventInput; EventError names what is wrong."""
    all_day = bool(values["all_day"])
    start_day = _parse_date(values["start_date"].strip(), "the start date")
    if start_day is None:
        raise EventError(_t("give the date the event starts"))
    start_clock = _parse_time(values["start_time"].strip(), "the start time")
    end_day = _parse_date(values["end_date"].strip(), "the end date")
    end_clock = _parse_time(values["end_time"].strip(), "the end time")
    if all_day:
        start = datetime.combine(start_day, time(0))
        end = datetime.combine(end_day, time(0)) if end_day and end_day != start_day else None
    else:
        if start_clock is None:
            raise EventError(_t("give the time the event starts, or tick \u201call day\u201d"))
        start = datetime.combine(start_day, start_clock)
        if end_day is not None and end_clock is None:
            raise EventError(_t("give the time the event ends too"))
        end = datetime.combine(end_day or start_day, end_clock) if end_clock is not None else None

    name, street = values["place_name"].strip(), values["place_street"].strip()
    postal, locality = values["place_postal_code"].strip(), values["place_locality"].strip()
    region, country = values["place_region"].strip(), values["place_country"].strip()
    latitude = _parse_float(values["place_lat"].strip(), "the latitude")
    longitude = _parse_float(values["place_lon"].strip(), "the longitude")
    if (latitude is None) != (longitude is None):
        raise EventError(_t("give both latitude and longitude, or neither"))
    places: tuple[wire.Place, ...] = ()
    if any((name, street, postal, locality, region, country, latitude is not None)):
        label = name or street or locality or region or country
        if not label:
            raise EventError(_t("give the place a name or an address"))
        if any(len(v) > 500 for v in (name, street, postal, locality, region, country)):
            raise EventError(_t("a place field is longer than 500 characters"))
        places = (wire.Place(name=label, street=street, postal_code=postal, locality=locality, region=region,
                             country=country, latitude=latitude, longitude=longitude),)
    if keep is not None:  # places beyond the first (imported events) are kept as they are
        places += events.places_of(keep)[1:]

    banner_url = values["banner_url"].strip() or None
    banner_alt = values["banner_alt"].strip()
    if banner_url and not banner_alt:
        raise EventError(_t("describe the banner image for people who cannot see it (alt text)"))
    category = values["category"].strip() or None
    tags = tuple(t for t in (p.strip().lstrip("#").strip() for p in values["tags"].split(",")) if t)
    if len(tags) > 50 or any(len(t) > 100 for t in tags):
        raise EventError(_t("give at most 50 tags of at most 100 characters"))
    rule = None
    if recurrence and values["repeat"] in ("weekly", "monthly"):
        interval = _parse_int(values["interval"].strip(), "the repeat interval") or 1
        exceptions = tuple(
            _parse_date(p.strip(), f"the exception {p.strip()!r}") for p in values["exceptions"].split(",") if p.strip()
        )
        rule = Recurrence(
            freq=values["repeat"], interval=interval,  # type: ignore[arg-type]
            count=_parse_int(values["count"].strip(), "the number of occurrences"),
            until=_parse_date(values["until"].strip(), "the repeat end date"),
            last=bool(values["monthly_last"]) and values["repeat"] == "monthly",
            exceptions=tuple(d for d in exceptions if d is not None),
        )
    elif recurrence and values["repeat"] not in ("", "none"):
        raise EventError(_t("repeat must be none, weekly or monthly"))
    status = "TENTATIVE" if values["tentative"] else "CONFIRMED"
    if keep is not None and keep.status == "CANCELLED":
        status = "CANCELLED"
    return EventInput(
        name=values["title"], start=start, end=end, timezone=values["timezone"].strip() or "UTC",
        description=values["description"], all_day=all_day, places=places,
        online_url=values["online_url"].strip() or None, banner_url=banner_url, banner_alt=banner_alt if banner_url else "",
        banner_media_type=keep.banner_media_type if keep is not None and keep.banner_url == banner_url else None,
        category=category, language=values["language"].strip() or None, tags=tags,
        capacity=_parse_int(values["capacity"].strip(), "the capacity"), join_mode=values["join_mode"] or "free",
        external_url=values["external_url"].strip() or None, contacts=await _contacts(node, values["contacts"]),
        anonymous_participation=bool(values["anonymous"]), comments_enabled=bool(values["comments"]),
        replies_moderation=values["moderation"] or "allow_all", recurrence=rule,
        ical_uid=keep.ical_uid if keep is not None else None, status=status,
        translations=translations_from_rows(rows) if rows is not None else None,
    )


async def form_page(request: Request, values: dict[str, str], *, event: Event | None = None,
                    error: str | None = None, status: int = 200, rows: list[dict[str, str]] | None = None,
                    preview: list[dict[str, Any]] | None = None) -> Response:
    zone = values.get("timezone", "")
    known = any(zone in names for _, names in zone_groups())
    return no_store(await render(
        request, "events/form.html", status=status, values=values, event=event, error=error,
        zone_groups=zone_groups(), zone_label=zone_label, unlisted_zone=zone if zone and not known else None,
        categories=[(c, category_label(c)) for c in CATEGORIES], join_modes=JOIN_MODE_LABELS,
        moderations=MODERATION_LABELS, max_occurrences=events.MAX_OCCURRENCES,
        action=f"{_event_path(event)}/edit" if event else "/events/new",
        rows=rows if rows is not None else rows_from_translations(()), preview=preview,
        **writing_context(node_of(request)),
    ))


def preview_versions(node: Node, inp: EventInput) -> list[dict[str, Any]]:
    """The event as it will look in each of its languages: title, when, description (nothing saved)."""
    begin, finish = events.occurrences(dataclasses.replace(inp, recurrence=None))[0]
    language = inp.language or node.settings.association.language
    parts = [(language, {"title": inp.name, "text": inp.description})]
    parts += [(t.language, {"title": t.title or inp.name, "text": t.text}) for t in inp.translations or ()]
    for tag, part in parts:
        sample = Event(uri="", name=part["title"], start=begin, end=finish, timezone=inp.timezone,
                       all_day=inp.all_day, language=tag)
        part["when"] = when_text(sample, locale=tag)
    return compose.rendered_versions(node, language, parts)


async def _banner(node: Node, actor: Actor, form: FormData, values: dict[str, str], inp: EventInput) -> EventInput:
    """A banner chosen as a file: stored (it then has our address) and put in the input and the form."""
    upload = compose.chosen_file(form, "banner_file")
    if upload is None:
        return inp
    alt = values["banner_alt"].strip()
    if not alt:
        raise EventError(_t("describe the banner image for people who cannot see it (alt text)"))
    try:
        media = await compose.store_picture(node, actor, upload, alt)
    except media_service.MediaError as exc:
        raise EventError(_t("the banner image: %(error)s", error=str(exc))) from None
    values["banner_url"] = compose.picture_url(node, media)
    return dataclasses.replace(inp, banner_url=values["banner_url"], banner_alt=alt, banner_media_type=media.media_type)


def _check_banner_alt(form: FormData, values: dict[str, str]) -> None:
    if compose.chosen_file(form, "banner_file") is not None and not values["banner_alt"].strip():
        raise EventError(_t("describe the banner image for people who cannot see it (alt text)"))


async def _event_form_post(request: Request, event: Event | None) -> Response:
    """The editors' form sent: preview (nothing saved), add a language block, save a draft, publish
    (or, for a published event, save the changes)."""
    node = node_of(request)
    form = await upload_form(request)  # also activates the reader's language for the errors below
    if isinstance(form, Response):
        return form
    actor = await association_actor(node)
    if actor is None:
        return await message(request, 500, "No association", "The association account is missing; run agora init.")
    action = action_of(form)
    values = form_values(form)
    rows = translation_rows(form, add=action == "add_language")
    try:
        _check_banner_alt(form, values)
        inp = await event_input(node, values, recurrence=event is None, keep=event, rows=rows)
        if action in ("preview", "add_language"):
            inp = await _banner(node, actor, form, values, inp)
            preview = preview_versions(node, events.checked(node, inp)) if action == "preview" else None
            return await form_page(request, values, event=event, rows=rows, preview=preview)
        inp = events.checked(node, inp if event is None else dataclasses.replace(inp, recurrence=None))
        inp = await _banner(node, actor, form, values, inp)
        if event is None:
            created = await events.create_event(node, actor, dataclasses.replace(inp, draft=action == "draft"))
            return RedirectResponse(_event_path(created[0]), status_code=303)
        await events.update_event(node, event, inp)
        if event.draft and action == "publish":
            await events.publish_event(node, event)
    except EventError as exc:
        return await form_page(request, values, event=event, error=str(exc), status=400, rows=rows)
    return RedirectResponse(_event_path(event), status_code=303)


async def new_event(request: Request) -> Response:
    user = await editor(request)
    node = node_of(request)
    if request.method == "GET":
        return await form_page(request, new_values(request, node))
    return await _event_form_post(request, None)


async def edit_event(request: Request) -> Response:
    user = await editor(request)
    event = await find_event(request)
    if isinstance(event, Response):
        return event
    if request.method == "GET":
        return await form_page(request, event_values(event), event=event,
                               rows=rows_from_translations(events.translations_of(event)))
    return await _event_form_post(request, event)


async def _confirmed_action(request: Request, *, title: Any, text: Any, button: Any) -> Event | Response:
    """GET: the confirmation page. POST (with the CSRF token): the event, to act on."""
    user = await editor(request)
    event = await find_event(request)
    if isinstance(event, Response):
        return event
    if request.method == "GET":
        return no_store(await render(request, "events/confirm.html", title=title, event=event, when=when_text(event),
                                     text=text, action=request.url.path, button=button, danger=True,
                                     back=_event_path(event)))
    form = await checked_form(request)
    return event


async def cancel_event(request: Request) -> Response:
    event = await _confirmed_action(
        request, title=_l("Cancel this event"),
        text=_l("The event stays visible, marked as cancelled, and followers' servers are told. This cannot be undone here."),
        button=_l("Cancel the event"))
    if isinstance(event, Response):
        return event
    try:
        await events.cancel_event(node_of(request), event)
    except EventError as exc:
        return await message(request, 400, "Not possible", str(exc))
    return RedirectResponse(_event_path(event), status_code=303)


async def delete_event(request: Request) -> Response:
    event = await _confirmed_action(
        request, title=_l("Delete this event"),
        text=_l("The event disappears from this site and from followers' servers, with its participant list."),
        button=_l("Delete the event for good"))
    if isinstance(event, Response):
        return event
    await events.delete_event(node_of(request), event)
    return RedirectResponse("/events", status_code=303)


# ------------------------------------------------------------------ organizers: participants


def _address(row: Participation) -> str:
    actor: Actor | None = row.actor  # type: ignore[assignment]
    if actor is not None:
        return actor.handle
    return row.email or ""


async def participants_page(request: Request, *, error: str | None = None, text: str = "", status: int = 200) -> Response:
    user = await editor(request)
    event = await find_event(request)
    if isinstance(event, Response):
        return event
    if request.method == "POST" and error is None:
        form = await checked_form(request)
        ident = text_field(form, "participation")
        row = await Participation.get_or_none(id=int(ident), event=event, state="pending") if ident.isdigit() else None
        if row is None:
            return await message(request, 400, "Already decided", "This participation was already handled.")
        try:
            await events.decide(node_of(request), row, text_field(form, "decision") == "accept")
        except EventError as exc:
            await event.refresh_from_db()
            error, status = str(exc), 400
        else:
            return RedirectResponse(f"{_event_path(event)}/participants", status_code=303)
    rows = await Participation.filter(event=event).prefetch_related("actor").order_by("created_at", "id")
    remaining = max(event.capacity - event.participant_count, 0) if event.capacity is not None else None
    return no_store(await render(
        request, "events/participants.html", status=status, event=event, rows=rows, address=_address,
        state_labels=STATE_LABELS, error=error, text=text, when=when_text(event), path=_event_path(event),
        remaining=remaining, sent=request.query_params.get("sent"),
    ))


async def participants_csv(request: Request) -> Response:
    user = await editor(request)
    event = await find_event(request)
    if isinstance(event, Response):
        return event
    rows = await Participation.filter(event=event).prefetch_related("actor").order_by("created_at", "id")
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(["name", "address", "state", "confirmed", "registered_at"])
    for row in rows:
        address = _address(row)
        writer.writerow([
            csv_cell(row.name), address.removeprefix("@") if row.actor_id else csv_cell(address),  # type: ignore[attr-defined]
            row.state, "yes" if row.confirmed else "no",
            row.created_at.astimezone(timezone.utc).isoformat(timespec="seconds") if row.created_at else "",
        ])
    slug = _slug(request)
    return Response(
        "\ufeff" + out.getvalue(),  # the BOM lets spreadsheets read names in any script as UTF-8
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="participants-{slug}.csv"',
                 "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )


async def announce_submit(request: Request) -> Response:
    """A message to the participants: federated to the remote ones (events.announce), shown under the
    event to the local ones, and mailed to those who registered with an email address."""
    user = await editor(request)
    event = await find_event(request)
    if isinstance(event, Response):
        return event
    form = await checked_form(request)
    node = node_of(request)
    text = str(form.get("text") or "")
    try:
        await events.announce(node, event, text)
    except EventError as exc:
        return await participants_page(request, error=str(exc), text=text, status=400)
    unsent = 0
    guests = await Participation.filter(event=event, state="accepted", confirmed=True, actor_id=None, email__isnull=False)
    for guest in guests:
        body = (f"Hello {guest.name},\n\na message from the organizers of \"{event.name}\" ({when_text(event)}):\n\n"
                f"{text.strip()}\n\nThe event: {event.uri}\n"
                f"To cancel your registration: {node.urls.base}/events/cancel/{guest.token}\n\n-- \n"
                f"{node.settings.association.name}\n")
        try:
            await mail.send_mail(node.settings, guest.email or "", f"{event.name}: a message from the organizers", body)
        except mail.MailError:
            unsent += 1
    return RedirectResponse(f"{_event_path(event)}/participants?sent={'partly' if unsent else 'yes'}", status_code=303)


async def moderate_comments(request: Request) -> Response:
    """Comments held by a moderated event: organizers publish or remove them."""
    user = await editor(request)
    event = await find_event(request)
    if isinstance(event, Response):
        return event
    if request.method == "POST":
        form = await checked_form(request)
        ident = text_field(form, "comment")
        comment = await Post.get_or_none(id=int(ident), in_reply_to_uri=event.uri, held=True) if ident.isdigit() else None
        if comment is None:
            return await message(request, 400, "No such comment", "This comment was already handled.")
        if text_field(form, "decision") == "publish":
            comment.held = False
            await comment.save(update_fields=["held"])
        else:
            await comment.delete()
        return RedirectResponse(f"{_event_path(event)}/comments", status_code=303)
    held = await Post.filter(in_reply_to_uri=event.uri, deleted_at=None, held=True).order_by("published").prefetch_related("author")
    return await render(request, "events/comments.html", event=event, held=held, path=_event_path(event))


def routes() -> list[Route]:
    """Fixed paths first: these are mounted before the `/events/{slug}` route (app.py)."""
    return [
        Route("/events", local_calendar, methods=["GET"]),
        Route("/events/past", local_past, methods=["GET"]),
        Route("/events/network", network_calendar, methods=["GET"]),
        Route("/events/network/past", network_past, methods=["GET"]),
        Route("/events/new", new_event, methods=["GET", "POST"]),
        Route("/events/confirm/{token}", confirm_registration, methods=["GET", "POST"]),
        Route("/events/cancel/{token}", cancel_registration, methods=["GET", "POST"]),
        Route("/events/{slug}/edit", edit_event, methods=["GET", "POST"]),
        Route("/events/{slug}/cancel", cancel_event, methods=["GET", "POST"]),
        Route("/events/{slug}/delete", delete_event, methods=["GET", "POST"]),
        Route("/events/{slug}/join", join_submit, methods=["POST"]),
        Route("/events/{slug}/leave", leave_submit, methods=["POST"]),
        Route("/events/{slug}/remote-join", remote_join, methods=["GET"]),
        Route("/events/{slug}/register", register_submit, methods=["POST"]),
        Route("/events/{slug}/participants", participants_page, methods=["GET", "POST"]),
        Route("/events/{slug}/participants.csv", participants_csv, methods=["GET"]),
        Route("/events/{slug}/announce", announce_submit, methods=["POST"]),
        Route("/events/{slug}/comments", moderate_comments, methods=["GET", "POST"]),
    ]
