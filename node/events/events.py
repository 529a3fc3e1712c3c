"""The association's events: create, update, cancel, delete (with their activities), recurrence, and
participation (local members, remote Join/Leave, visitors without an account).

An event may be written in several languages (`translations`: name_map / content_map / source_map,
`nameMap` / `contentMap` / `summaryMap` on the wire) and kept as a draft (not federated, not listed,
no participation) until `publish_event`."""

from __future__ import annotations

import calendar
import dataclasses
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Literal
from zoneinfo import ZoneInfo

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from federation import events as wire
from federation import vocab
from node.posts.content import ContentError, Draft, create_post, render
from node.social.delivery import publish
from node.core.models import Actor, Post
from node.events.models import Event, Participation
from node.core.multilingual import Translation, check_translations, normalize_tag, ordered, others
from node.core.runtime import Node

MAX_OCCURRENCES = 200
MAX_CAPACITY = 100_000
MAX_NAME = 300
JOIN_MODES = ("free", "restricted", "invite", "external")
MODERATION = ("allow_all", "moderated", "closed")
CATEGORIES = (
    "MEETING", "PARTY", "MOVEMENTS_POLITICS", "LEARNING", "ARTS", "FOOD_DRINK", "COMMUNITY",
    "FAMILY_EDUCATION", "CAUSES", "LANGUAGE_CULTURE", "SPORTS", "OUTDOORS_ADVENTURE", "NETWORKING",
    "THEATRE", "MUSIC", "FILM_MEDIA", "SPIRITUALITY_RELIGION_BELIEFS", "AUTO_BOAT_AIR", "BOOK_CLUBS",
    "COMEDY", "CREATIVE_JOBS", "CRAFTS", "FASHION_BEAUTY", "GAMES", "HEALTH", "PETS", "PHOTOGRAPHY",
    "SCIENCE_TECH",
)  # Mobilizon's identifiers, which its instances and Gancio understand


class EventError(ValueError):
    """An event or a participation that cannot be accepted as given; the message says why."""


@dataclass(frozen=True)
class Recurrence:
    """Weekly (every `interval` weeks on the start's weekday) or monthly by weekday (the start's
    weekday in the same week of the month: 2nd Tuesday, or the last one when `last` is set)."""

    freq: Literal["weekly", "monthly"]
    interval: int = 1
    count: int | None = None
    until: date | None = None
    last: bool = False
    exceptions: tuple[date, ...] = ()


@dataclass(frozen=True)
class EventInput:
    name: str
    start: datetime  # naive: wall time in `timezone`; aware: converted
    timezone: str
    description: str = ""
    end: datetime | None = None
    all_day: bool = False
    places: tuple[wire.Place, ...] = ()
    online_url: str | None = None
    banner_url: str | None = None
    banner_alt: str = ""
    banner_media_type: str | None = None
    category: str | None = None
    language: str | None = None
    tags: tuple[str, ...] = ()
    capacity: int | None = None
    join_mode: str = "free"
    external_url: str | None = None
    contacts: tuple[str, ...] = ()
    anonymous_participation: bool = False
    comments_enabled: bool = True
    replies_moderation: str = "allow_all"
    recurrence: Recurrence | None = None
    ical_uid: str | None = None
    status: str = "CONFIRMED"
    extra: dict[str, Any] = field(default_factory=dict)
    translations: tuple[Translation, ...] | None = None  # None: an edit keeps the other languages
    draft: bool = False


# ------------------------------------------------------------------ validation and recurrence


def zone(name: str) -> ZoneInfo:
    try:
        return wire.zone_of(name)
    except (vocab.VocabError, ValueError):
        raise EventError(f"unknown time zone {name!r}") from None


def localize(moment: datetime, tz: ZoneInfo) -> datetime:
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment.astimezone(tz)


def _check_url(value: str | None, what: str) -> None:
    if value is not None and not vocab.is_http_url(value):
        raise EventError(f"{what} must be an http(s) address")


def validate(inp: EventInput) -> None:
    if not inp.name.strip():
        raise EventError("the event needs a title")
    if len(inp.name) > MAX_NAME:
        raise EventError(f"the title is longer than {MAX_NAME} characters")
    tz = zone(inp.timezone)
    start = localize(inp.start, tz)
    if inp.end is not None and localize(inp.end, tz) < start:
        raise EventError("the event ends before it starts")
    if inp.capacity is not None and not 0 < inp.capacity <= MAX_CAPACITY:
        raise EventError(f"capacity must be between 1 and {MAX_CAPACITY}, or empty for no limit")
    if inp.join_mode not in JOIN_MODES:
        raise EventError(f"join mode must be one of {', '.join(JOIN_MODES)}")
    if inp.replies_moderation not in MODERATION:
        raise EventError(f"comment moderation must be one of {', '.join(MODERATION)}")
    if inp.category is not None and inp.category not in CATEGORIES:
        raise EventError(f"unknown category {inp.category!r}")
    if inp.status not in wire.STATUSES:
        raise EventError(f"status must be one of {', '.join(sorted(wire.STATUSES))}")
    if inp.language is not None and not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*", inp.language):
        raise EventError(f"not a language tag: {inp.language!r}")
    for value, what in ((inp.online_url, "the online address"), (inp.external_url, "the registration URL"),
                        (inp.banner_url, "the banner")):
        _check_url(value, what)
    if inp.join_mode == "external" and not inp.external_url:
        raise EventError("external registration needs a registration URL")
    for place in inp.places:
        if place.latitude is not None and not -90 <= place.latitude <= 90:
            raise EventError("latitude must be between -90 and 90")
        if place.longitude is not None and not -180 <= place.longitude <= 180:
            raise EventError("longitude must be between -180 and 180")
    if inp.translations:
        check_translations(normalize_tag(inp.language or ""), inp.translations, EventError)
        for item in inp.translations:
            if len(item.title) > MAX_NAME:
                raise EventError(f"the {item.language} title is longer than {MAX_NAME} characters")
            if not (item.title.strip() or item.text.strip()):
                raise EventError(f"the {item.language} translation is empty: give a title or a description")
    if inp.recurrence is not None:
        occurrences(inp)


def _nth_weekday(year: int, month: int, weekday: int, nth: int, last: bool) -> date | None:
    days = [d for d in calendar.Calendar().itermonthdates(year, month) if d.month == month and d.weekday() == weekday]
    if last:
        return days[-1]
    return days[nth - 1] if nth <= len(days) else None


def occurrences(inp: EventInput) -> list[tuple[datetime, datetime | None]]:
    """The (start, end) of every occurrence, as aware datetimes in the event's zone. Wall-clock times
    are kept across daylight-saving changes (19:00 stays 19:00)."""
    tz = zone(inp.timezone)
    start = localize(inp.start, tz)
    length = localize(inp.end, tz) - start if inp.end is not None else None
    rule = inp.recurrence
    if rule is None:
        return [(start, start + length if length is not None else None)]
    if rule.interval < 1 or rule.interval > 52:
        raise EventError("repeat interval must be between 1 and 52")
    if rule.count is None and rule.until is None:
        raise EventError("a repeating event needs a number of occurrences or an end date")
    if rule.count is not None and not 1 <= rule.count <= MAX_OCCURRENCES:
        raise EventError(f"at most {MAX_OCCURRENCES} occurrences can be created at once")
    wall = start.replace(tzinfo=None)
    nth = (wall.day - 1) // 7 + 1
    found: list[tuple[datetime, datetime | None]] = []
    for step in range(MAX_OCCURRENCES * 5 + 1):
        if rule.freq == "weekly":
            day: date | None = wall.date() + timedelta(weeks=step * rule.interval)
        else:
            months = wall.month - 1 + step * rule.interval
            day = _nth_weekday(wall.year + months // 12, months % 12 + 1, wall.weekday(), nth, rule.last)
        if day is None:
            continue
        if rule.until is not None and day > rule.until:
            break
        if day not in rule.exceptions:
            begin = datetime.combine(day, wall.time()).replace(tzinfo=tz)
            found.append((begin, begin + length if length is not None else None))
        if rule.count is not None and len(found) >= rule.count:
            break
        if len(found) > MAX_OCCURRENCES:
            raise EventError(f"at most {MAX_OCCURRENCES} occurrences can be created at once")
    if not found:
        raise EventError("the repetition gives no occurrence")
    return found


# ------------------------------------------------------------------ wire form


def places_of(event: Event) -> tuple[wire.Place, ...]:
    return tuple(wire.Place(**p) for p in event.places if isinstance(p, dict))


async def remaining(event: Event) -> int | None:
    if event.capacity is None:
        return None
    return max(event.capacity - event.participant_count, 0)


def event_data(node: Node, event: Event, organizer: Actor) -> wire.EventData:
    to, cc = vocab.addressing("public", organizer.followers_url or "")
    return wire.EventData(
        id=event.uri, url=event.url or event.uri, name=event.name, content_html=event.content,
        start=event.start.astimezone(zone(event.timezone)),
        end=event.end.astimezone(zone(event.timezone)) if event.end else None,
        timezone=event.timezone, all_day=event.all_day, places=places_of(event),
        online_url=event.online_url, status=event.status,  # type: ignore[arg-type]
        join_mode=event.join_mode, capacity=event.capacity,  # type: ignore[arg-type]
        participant_count=event.participant_count, category=event.category, language=event.language,
        tags=tuple(event.tags), external_url=event.external_url, banner_url=event.banner_url,
        banner_alt=event.banner_alt, banner_media_type=event.banner_media_type,
        organizer=organizer.uri, group=event.group_uri, published=event.published, updated=event.updated,
        uuid=event.uri.rsplit("/", 1)[-1], anonymous_participation=event.anonymous_participation,
        comments_enabled=event.comments_enabled, replies_moderation=event.replies_moderation,
        contacts=tuple(event.contacts), to=tuple(to), cc=tuple(cc),
        name_map=others(event.language, event.name_map), content_map=others(event.language, event.content_map),
    )


def translations_of(event: Event) -> tuple[Translation, ...]:
    """An event's other languages as written (Markdown sources), for its edit form."""
    sources = others(event.language, event.source_map)
    names = others(event.language, event.name_map)
    return tuple(Translation(language=tag, title=names.get(tag, ""), text=sources.get(tag, ""))
                 for tag in dict.fromkeys([*names, *sources]))


def event_doc(node: Node, event: Event, organizer: Actor) -> dict[str, Any]:
    return wire.event_document(event_data(node, event, organizer), locale=event.language)


async def _organizer(event: Event) -> Actor:
    return await Actor.get(id=event.organizer_id)  # type: ignore[attr-defined]


async def _send(node: Node, event: Event, kind: str, suffix: str) -> None:
    if event.draft:  # nothing leaves the node before publish_event
        return
    organizer = await _organizer(event)
    doc = event_doc(node, event, organizer)
    context = doc.pop("@context")
    activity = vocab.activity(kind, f"{event.uri}#{suffix}", organizer.uri, doc, to=doc.get("to"), cc=doc.get("cc"))
    activity["@context"] = context
    await publish(node, organizer, activity)


# ------------------------------------------------------------------ publishing


def _values(node: Node, inp: EventInput, start: datetime, end: datetime | None) -> dict[str, Any]:
    html, tags = render(node.urls, inp.description, {}) if inp.description.strip() else ("", [])
    language = normalize_tag(inp.language or node.settings.association.language)
    names: dict[str, str] = {}
    contents: dict[str, str] = {}
    sources: dict[str, str] = {}
    for item in inp.translations or ():
        tag = normalize_tag(item.language)
        if item.title.strip():
            names[tag] = item.title.strip()
        if item.text.strip():
            contents[tag], found = render(node.urls, item.text, {})
            sources[tag] = item.text
            tags += found
    hashtags = list(dict.fromkeys([t.lstrip("#").lower() for t in inp.tags] + [t["name"].lstrip("#") for t in tags if t["type"] == "Hashtag"]))
    values: dict[str, Any] = {
        "name": inp.name.strip(), "source": inp.description, "content": html, "start": start,
        "end": end, "timezone": inp.timezone, "all_day": inp.all_day,
        "places": [dataclasses.asdict(p) for p in inp.places], "online_url": inp.online_url,
        "status": inp.status, "join_mode": inp.join_mode, "capacity": inp.capacity,
        "category": inp.category, "language": language,
        "tags": hashtags[:50], "external_url": inp.external_url, "banner_url": inp.banner_url,
        "banner_alt": inp.banner_alt, "banner_media_type": inp.banner_media_type,
        "contacts": list(inp.contacts), "anonymous_participation": inp.anonymous_participation,
        "comments_enabled": inp.comments_enabled, "replies_moderation": inp.replies_moderation,
    }
    if inp.translations is not None:
        several = bool(names or contents)
        values["name_map"] = ordered(language, values["name"], names) if several else None
        values["content_map"] = ordered(language, html, contents) if several else None
        values["source_map"] = ordered(language, inp.description, sources) if several else None
    return values


def _day_bounds(start: datetime, end: datetime | None, all_day: bool) -> tuple[datetime, datetime | None]:
    if not all_day:
        return start, end
    first = datetime.combine(start.date(), time(0), start.tzinfo)
    last = datetime.combine((end or start).date(), time(23, 59, 59), start.tzinfo) if end and end.date() != start.date() else None
    return first, last


def checked(node: Node, inp: EventInput) -> EventInput:
    """The input with its language settled and blank translations left out, validated (EventError)."""
    language = normalize_tag(inp.language or node.settings.association.language)
    inp = dataclasses.replace(inp, language=language, translations=tuple(
        t for t in inp.translations or () if not t.is_blank()) if inp.translations is not None else None)
    validate(inp)
    return inp


async def create_event(node: Node, organizer: Actor, inp: EventInput) -> list[Event]:
    """Create the event (every occurrence of a series) and federate each as its own `Event`; a draft
    is only stored."""
    inp = checked(node, inp)
    series = f"{node.urls.base}/events/series/{secrets.token_hex(6)}" if inp.recurrence else None
    created: list[Event] = []
    now = datetime.now(timezone.utc)
    async with in_transaction():
        for begin, finish in occurrences(inp):
            begin, finish = _day_bounds(begin, finish, inp.all_day)
            slug = f"{int(begin.timestamp()):x}{secrets.token_hex(4)}"
            uri = f"{node.urls.base}/events/{slug}"
            event = await Event.create(
                uri=uri, url=uri, local=True, organizer=organizer, group_uri=organizer.uri if organizer.kind == "Group" else None,
                ical_uid=inp.ical_uid if series is None else f"{inp.ical_uid or series}#{begin.date().isoformat()}",
                series_uid=series, published=now, draft=inp.draft, **_values(node, inp, begin, finish),
            )
            created.append(event)
            if not inp.draft:
                await _send(node, event, "Create", "create")
    return created


async def publish_event(node: Node, event: Event) -> list[Event]:
    """A draft goes out, dated now: the event and the other draft dates of its series, each a `Create`."""
    if event.deleted_at is not None or not event.local:
        raise EventError("this event cannot be published here")
    if not event.draft:
        return [event]
    now = datetime.now(timezone.utc)
    published: list[Event] = []
    async with in_transaction():
        rows = [event]
        if event.series_uid:
            rows += await Event.filter(series_uid=event.series_uid, local=True, draft=True, deleted_at=None).exclude(id=event.id).order_by("start")
        for row in rows:
            row.draft = False
            row.published = now
            row.updated = None
            await row.save(update_fields=["draft", "published", "updated"])
            await _send(node, row, "Create", "create")
            published.append(row)
    return published


async def update_event(node: Node, event: Event, inp: EventInput) -> Event:
    """Change one occurrence (the recurrence of a series is fixed once created). All languages are
    replaced by the input's (or kept when it gives no translations); a draft sends nothing."""
    if inp.translations is None:
        inp = dataclasses.replace(inp, translations=translations_of(event))
    language = normalize_tag(inp.language or event.language or node.settings.association.language)
    inp = dataclasses.replace(inp, language=language, translations=tuple(
        t for t in inp.translations or () if normalize_tag(t.language) != language and not t.is_blank()))
    validate(dataclasses.replace(inp, recurrence=None))
    if event.deleted_at is not None or not event.local:
        raise EventError("this event cannot be edited here")
    tz = zone(inp.timezone)
    begin, finish = _day_bounds(localize(inp.start, tz), localize(inp.end, tz) if inp.end else None, inp.all_day)
    if inp.capacity is not None and inp.capacity < event.participant_count:
        raise EventError(f"{event.participant_count} people take part already; capacity cannot be lower")
    async with in_transaction():
        await event.update_from_dict(_values(node, inp, begin, finish))
        if event.draft:
            await event.save()
            return event
        event.updated = datetime.now(timezone.utc)
        await event.save()
        await _send(node, event, "Update", f"updates/{int(event.updated.timestamp() * 1000)}")
    return event


async def cancel_event(node: Node, event: Event) -> Event:
    if event.status == "CANCELLED":
        return event
    if event.draft:
        raise EventError("a draft is not published: delete it instead of cancelling it")
    async with in_transaction():
        event.status = "CANCELLED"
        event.updated = datetime.now(timezone.utc)
        await event.save(update_fields=["status", "updated"])
        await _send(node, event, "Update", f"cancel/{int(event.updated.timestamp())}")
    return event


async def delete_event(node: Node, event: Event) -> None:
    if event.deleted_at is not None:
        return
    if event.draft:  # nobody saw it: nothing to tell
        await event.delete()
        return
    organizer = await _organizer(event)
    now = datetime.now(timezone.utc)
    async with in_transaction():
        event.deleted_at = now
        await event.save(update_fields=["deleted_at"])
        tombstone = vocab.tombstone(event.uri, "Event", now)
        tombstone.pop("@context")
        to, cc = vocab.addressing("public", organizer.followers_url or "")
        await publish(node, organizer, vocab.activity("Delete", f"{event.uri}#delete", organizer.uri, tombstone, to=to, cc=cc))


# ------------------------------------------------------------------ participation


async def recount(event: Event) -> None:
    event.participant_count = await Participation.filter(event=event, state="accepted", confirmed=True).count()
    await Event.filter(id=event.id).update(participant_count=event.participant_count)


async def _admit(event: Event) -> str:
    """The state a new participant gets, or an EventError when they cannot join."""
    if event.draft:
        raise EventError("this event is not published yet")
    if event.deleted_at is not None or event.status == "CANCELLED":
        raise EventError("this event is cancelled")
    if event.join_mode == "external":
        raise EventError(f"registration happens at {event.external_url}")
    if event.join_mode == "invite":
        raise EventError("this event is by invitation only")
    if event.capacity is not None and event.participant_count >= event.capacity:
        raise EventError("this event is full")
    return "pending" if event.join_mode == "restricted" else "accepted"


def _join_doc(participation: Participation, actor: Actor, event: Event) -> dict[str, Any]:
    return {"id": participation.uri, "type": "Join", "actor": actor.uri, "object": event.uri}


async def _answer(node: Node, event: Event, participation: Participation, actor: Actor, kind: str) -> None:
    """Accept or Reject a remote Join, with the Join embedded, signed by the organizer."""
    if actor.local:
        return
    organizer = await _organizer(event)
    join = _join_doc(participation, actor, event)
    slug = secrets.token_hex(6)
    doc = vocab.activity(kind, f"{organizer.uri}#{kind.lower()}s/{slug}", organizer.uri, join, to=[actor.uri])
    await publish(node, organizer, doc, followers=False, recipients=[actor.uri])


async def join(node: Node, event: Event, actor: Actor, *, uri: str | None = None, message: str = "") -> Participation:
    """A local member or a remote actor joins. Remote joins are answered with Accept (or left pending
    for approval); a refused join raises EventError (the inbox answers remote ones with Reject)."""
    existing = await Participation.get_or_none(event=event, actor=actor)
    if existing is not None and existing.state != "rejected":
        return existing
    state = await _admit(event)
    async with in_transaction():
        if existing is not None:
            await existing.delete()
        participation = await Participation.create(
            uri=uri or f"{actor.uri}#joins/{secrets.token_hex(8)}", event=event, actor=actor,
            name=actor.name or actor.handle, state=state, message=message[:2000],
        )
        await recount(event)
        if state == "accepted":
            await _answer(node, event, participation, actor, "Accept")
    return participation


async def refuse_join(node: Node, event: Event, actor: Actor, uri: str) -> None:
    """Answer a Join that cannot be admitted (full, cancelled, invitation only) with Reject."""
    refused = Participation(uri=uri, event=event, actor=actor)
    await _answer(node, event, refused, actor, "Reject")


async def leave(node: Node, event: Event, actor: Actor) -> None:
    await Participation.filter(event=event, actor=actor).delete()
    await recount(event)


async def decide(node: Node, participation: Participation, accept: bool) -> None:
    """An organizer's decision on a pending participation."""
    event = await Event.get(id=participation.event_id)  # type: ignore[attr-defined]
    if accept and event.capacity is not None and event.participant_count >= event.capacity:
        raise EventError("this event is full")
    participation.state = "accepted" if accept else "rejected"
    await participation.save(update_fields=["state"])
    await recount(event)
    if participation.actor_id is not None:  # type: ignore[attr-defined]
        actor = await Actor.get(id=participation.actor_id)  # type: ignore[attr-defined]
        await _answer(node, event, participation, actor, "Accept" if accept else "Reject")


EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,63}")


async def register_anonymous(node: Node, event: Event, name: str, email: str, message: str = "") -> Participation:
    """A visitor without an account registers; the participation counts once the emailed link is opened."""
    if not event.anonymous_participation:
        raise EventError("this event does not take registrations without an account")
    if not name.strip() or len(name) > 255:
        raise EventError("give a name of at most 255 characters")
    if not EMAIL.fullmatch(email.strip()):
        raise EventError("give a valid email address")
    state = await _admit(event)
    if await Participation.filter(event=event, email=email.strip().lower()).exists():
        raise EventError("this email address is registered already")
    token = secrets.token_urlsafe(24)
    try:
        return await Participation.create(
            uri=f"{event.uri}#anonymous/{secrets.token_hex(8)}", event=event, name=name.strip(),
            email=email.strip().lower(), state=state, token=token, confirmed=False, message=message[:2000],
        )
    except IntegrityError:
        raise EventError("this registration exists already") from None


async def confirm_anonymous(token: str) -> Participation | None:
    participation = await Participation.get_or_none(token=token)
    if participation is None:
        return None
    if not participation.confirmed:
        event = await Event.get(id=participation.event_id)  # type: ignore[attr-defined]
        if participation.state == "accepted" and event.capacity is not None and event.participant_count >= event.capacity:
            raise EventError("this event is full")  # someone confirmed the last place first
        participation.confirmed = True
        await participation.save(update_fields=["confirmed"])
        await recount(event)
    return participation


async def cancel_anonymous(token: str) -> bool:
    participation = await Participation.get_or_none(token=token)
    if participation is None:
        return False
    event = await Event.get(id=participation.event_id)  # type: ignore[attr-defined]
    await participation.delete()
    await recount(event)
    return True


async def announce(node: Node, event: Event, text: str) -> Post:
    """A message from the organizer to the event's participants: a Note addressed to the remote ones
    (federated) and kept under the event for the local ones."""
    organizer = await _organizer(event)
    remote = await Participation.filter(event=event, state="accepted", actor__local=False).values_list("actor__uri", flat=True)
    draft = Draft(text=text, visibility="direct", audience=tuple(str(uri) for uri in remote), in_reply_to=event.uri,
                  language=event.language)
    try:
        return await create_post(node, organizer, draft)
    except ContentError as exc:
        raise EventError(str(exc)) from None


async def join_remote(node: Node, actor: Actor, event: Event, message: str = "") -> Participation:
    """A local member joins an event of the network calendar: Join to its organizer, pending until
    the organizer's Accept (or Reject) arrives."""
    if event.local:
        return await join(node, event, actor, message=message)
    existing = await Participation.get_or_none(event=event, actor=actor)
    if existing is not None and existing.state != "rejected":
        return existing
    organizer = await _organizer(event)
    uri = f"{actor.uri}#joins/{secrets.token_hex(8)}"
    async with in_transaction():
        if existing is not None:
            await existing.delete()
        participation = await Participation.create(uri=uri, event=event, actor=actor, name=actor.name, state="pending")
        doc = vocab.activity("Join", uri, actor.uri, event.uri, to=[organizer.uri])
        if message:
            doc["participationMessage"] = message[:2000]
        await publish(node, actor, doc, followers=False, recipients=[organizer.uri])
    return participation


async def leave_remote(node: Node, actor: Actor, event: Event) -> None:
    """Leave an event: for a remote one, a Leave goes to its organizer (Mobilizon's flow)."""
    await leave(node, event, actor)
    if not event.local:
        organizer = await _organizer(event)
        doc = vocab.activity("Leave", f"{actor.uri}#leaves/{secrets.token_hex(8)}", actor.uri, event.uri, to=[organizer.uri])
        await publish(node, actor, doc, followers=False, recipients=[organizer.uri])


async def answered(actor: Actor, join_uri: str, accepted: bool) -> bool:
    """An organizer's Accept or Reject of one of our members' Joins. True when it was one."""
    participation = await Participation.get_or_none(uri=join_uri).prefetch_related("event")
    if participation is None or participation.event.organizer_id != actor.id:  # type: ignore[attr-defined]
        return False
    participation.state = "accepted" if accepted else "rejected"
    await participation.save(update_fields=["state"])
    return True
