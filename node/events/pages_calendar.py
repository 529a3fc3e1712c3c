"""The calendars: the association's events and the network's (the events of the accounts it follows),
upcoming or past, as a list or a month, filtered by category and language. A row that cannot be shown
is left out (guarded.py), never the page."""

from __future__ import annotations

import calendar as cal
import copy
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from tortoise.expressions import Q

from node.core import formats, i18n, multilingual
from node.core.models import Actor
from node.events.guarded import each_rendered
from node.events.inputs import CATEGORIES
from node.events.models import Event
from node.events.pages_common import (
    category_label, effective_end, event_path, place_line, reader_zone, shows_other_time, upcoming, past_events,
    utcnow, when_text, zone_named,
)
from node.web import auth
from node.web.errors import PageRefusal
from node.web.pages import node_of, render

PAGE_SIZE = 20
MONTH_LIMIT = 1000


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
        "event": event, "link": event_path(event) if event.local else (event.url or event.uri),
        "when": when_text(event), "other_time": when_text(event, reader) if shows_other_time(event, reader) else None,
        "place": place_line(event), "category": category_label(event.category),
        "by": None if event.local else _organizer_name(event),
    }


def _month_days(event: Event, reader: str | None, month: date, following: date) -> list[tuple[date, dict[str, Any]]]:
    """The days of `month` the event covers, each with its calendar entry (the time on its first day)."""
    zone = zone_named(event.timezone)
    first = event.start.astimezone(zone).date()
    last = effective_end(event).astimezone(zone).date() if event.end else first
    clock = "" if event.all_day else formats.format_time(event.start, "short", tz=zone)
    item = _item(event, reader)
    days: list[tuple[date, dict[str, Any]]] = []
    day = max(first, month)
    while day <= last and day < following:
        days.append((day, {**item, "clock": clock if day == first else ""}))
        day += timedelta(days=1)
    return days


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
            raise PageRefusal(400, "Not a month", "Give the month like 2026-07.")
        if month is None:
            today = utcnow().astimezone(zone_named(reader)) if reader else utcnow()
            month = today.date().replace(day=1)
        following = _shift(month, 1)
        start = datetime.combine(month, time(0), timezone.utc) - timedelta(days=1)
        end = datetime.combine(following, time(0), timezone.utc) + timedelta(days=1)
        rows = await query.filter(Q(start__gte=start) | Q(end__gte=start), start__lt=end).order_by("start").limit(MONTH_LIMIT)
        by_day: dict[date, list[dict[str, Any]]] = {}
        for days in each_rendered(rows, lambda e: _month_days(_shown_copy(e, wishes, fallback), reader, month, following),
                                  "the month calendar"):
            for day, entry in days:
                by_day.setdefault(day, []).append(entry)
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
        query = query.filter(past_events(now)).order_by("-start") if past else query.filter(upcoming(now)).order_by("start")
        rows = await query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
        path = f"{base}/past" if past else base
        context.update(
            view="list", page=page,
            items=each_rendered(rows[:PAGE_SIZE], lambda e: _item(_shown_copy(e, wishes, fallback), reader), "the calendar"),
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
