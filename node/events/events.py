"""The association's events: create, publish, update, cancel, delete (with their activities) and
their wire form. The input and its limits are in inputs.py, repetition in recurrence.py, taking part
in participation.py.

An event may be written in several languages (`translations`: name_map / content_map / source_map,
`nameMap` / `contentMap` / `summaryMap` on the wire) and kept as a draft (not federated, not listed,
no participation) until `publish_event`."""

from __future__ import annotations

import dataclasses
import re
import secrets
from datetime import datetime, time, timezone
from typing import Any

from tortoise.transactions import in_transaction

from federation import events as wire
from federation import vocab
from node.core.models import Actor
from node.core.multilingual import Translation, check_translations, normalize_tag, others
from node.core.runtime import Node
from node.events.inputs import (
    CATEGORIES, JOIN_MODES, MAX_CAPACITY, MAX_NAME, MODERATION, EventError, EventInput, check_window, localize,
    zone,
)
from node.events.models import Event
from node.events.recurrence import occurrences
from node.posts.publishable import (
    delete_published, kept_translations, language_columns, organizer_of, rendered_story, save_edit,
    send_document, stored_translations,
)


def _check_url(value: str | None, what: str) -> None:
    if value is not None and not vocab.is_http_url(value):
        raise EventError(f"{what} must be an http(s) address")


def validate(inp: EventInput) -> None:
    if not inp.name.strip():
        raise EventError("the event needs a title")
    if len(inp.name) > MAX_NAME:
        raise EventError(f"the title is longer than {MAX_NAME} characters")
    tz = zone(inp.timezone)
    check_window(inp)
    start = localize(inp.start, tz)
    if inp.end is not None and localize(inp.end, tz) < start:
        raise EventError("the event ends before it starts", field="end_date")
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
        online_url=event.online_url, status=wire.status_of(event.status),
        join_mode=wire.join_mode_of(event.join_mode), capacity=event.capacity,
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
    return stored_translations(event.language, event.name_map, event.source_map)


def event_doc(node: Node, event: Event, organizer: Actor) -> dict[str, Any]:
    return wire.event_document(event_data(node, event, organizer), locale=event.language)


async def _send(node: Node, event: Event, kind: str, suffix: str) -> None:
    if event.draft:  # nothing leaves the node before publish_event
        return
    organizer = await organizer_of(event)
    await send_document(node, organizer, kind, f"{event.uri}#{suffix}", event_doc(node, event, organizer))


def event_values(node: Node, inp: EventInput, start: datetime, end: datetime | None) -> dict[str, Any]:
    html, tags, languages = rendered_story(node.urls, inp.description, inp.translations, summaries=False)
    language = normalize_tag(inp.language or node.settings.association.language)
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
        values |= language_columns(language, languages, name=values["name"], content=html, source=inp.description)
    return values


def day_bounds(start: datetime, end: datetime | None, all_day: bool) -> tuple[datetime, datetime | None]:
    if not all_day:
        return start, end
    first = datetime.combine(start.date(), time(0), start.tzinfo)
    last = datetime.combine((end or start).date(), time(23, 59, 59), start.tzinfo) if end and end.date() != start.date() else None
    return first, last


def checked(node: Node, inp: EventInput) -> EventInput:
    """The input with its language settled and blank translations left out, validated (EventError)."""
    language = normalize_tag(inp.language or node.settings.association.language)
    inp = dataclasses.replace(inp, language=language,
                              translations=kept_translations(inp.translations, language, drop_default=False))
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
            begin, finish = day_bounds(begin, finish, inp.all_day)
            slug = f"{int(begin.timestamp()):x}{secrets.token_hex(4)}"
            uri = f"{node.urls.base}/events/{slug}"
            event = await Event.create(
                uri=uri, url=uri, local=True, organizer=organizer, group_uri=organizer.uri if organizer.kind == "Group" else None,
                ical_uid=inp.ical_uid if series is None else f"{inp.ical_uid or series}#{begin.date().isoformat()}",
                series_uid=series, published=now, draft=inp.draft, **event_values(node, inp, begin, finish),
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
    language = normalize_tag(inp.language or event.language or node.settings.association.language)
    inp = dataclasses.replace(inp, language=language,
                              translations=kept_translations(inp.translations, language, stored=translations_of(event)))
    validate(dataclasses.replace(inp, recurrence=None))
    if event.deleted_at is not None or not event.local:
        raise EventError("this event cannot be edited here")
    tz = zone(inp.timezone)
    begin, finish = day_bounds(localize(inp.start, tz), localize(inp.end, tz) if inp.end else None, inp.all_day)
    if inp.capacity is not None and inp.capacity < event.participant_count:
        raise EventError(f"{event.participant_count} people take part already; capacity cannot be lower")
    async with in_transaction():
        updated = await save_edit(event, event_values(node, inp, begin, finish))
        if updated is not None:
            await _send(node, event, "Update", f"updates/{int(updated.timestamp() * 1000)}")
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
    await delete_published(node, event, "Event")

