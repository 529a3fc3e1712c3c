"""What Mastodon shows of an event. Mastodon does not know `Event`: it shows `<h2>name</h2>` +
`summary` + a link (:func:`mastodon_rendering`), so :func:`event_summary` carries the date, time zone
and place in plain, localised words."""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_interval, format_time, get_datetime_format

from federation.events.model import CONVERTED_TYPES, EventData
from federation.events.places import place_line
from federation.events.zones import span
from federation.fields import babel_locale, first_text, href
from federation.vocab import as_list


@dataclass(frozen=True)
class _Words:
    cancelled: str
    tentative: str
    online: str


_WORDS: Final[dict[str, _Words]] = {
    "en": _Words("CANCELLED", "To be confirmed", "Online"),
    "fr": _Words("ANNULÉ", "À confirmer", "En ligne"),
    "de": _Words("ABGESAGT", "Noch nicht bestätigt", "Online"),
    "es": _Words("CANCELADO", "Por confirmar", "En línea"),
    "it": _Words("ANNULLATO", "Da confermare", "Online"),
    "pt": _Words("CANCELADO", "A confirmar", "Online"),
    "nl": _Words("GEANNULEERD", "Onder voorbehoud", "Online"),
}


def _glue(day: str, clock: str, loc: Locale) -> str:
    pattern = str(get_datetime_format("full", locale=loc)).replace("'", "")
    return pattern.replace("{1}", day).replace("{0}", clock)


def _when(start: datetime, end: datetime | None, all_day: bool, zone: ZoneInfo, zone_name: str,
          loc: Locale) -> str:
    def day(moment: datetime) -> str:
        return format_date(moment.date(), "full", locale=loc)

    if all_day:
        if end is None or end.date() == start.date():
            return day(start)
        return f"{day(start)} – {day(end)}"

    def clock(moment: datetime) -> str:
        return format_time(moment, "short", tzinfo=zone, locale=loc)

    if end is None or end == start:
        when = _glue(day(start), clock(start), loc)
    elif end.date() == start.date():
        twelve_hour = "h" in loc.time_formats["short"].pattern
        hours = format_interval(start.time(), end.time(), "hm" if twelve_hour else "Hm", locale=loc)
        when = _glue(day(start), hours, loc)
    else:
        when = f"{_glue(day(start), clock(start), loc)} – {_glue(day(end), clock(end), loc)}"
    offsets = [format_datetime(start, "ZZZZ", tzinfo=zone, locale=loc)]
    if end is not None and end.utcoffset() != start.utcoffset():
        offsets.append(format_datetime(end, "ZZZZ", tzinfo=zone, locale=loc))
    label = " → ".join(offsets)
    if zone_name != "UTC" and not zone_name.startswith("Etc/"):
        label = f"{label}, {zone_name}"
    return f"{when} ({label})"


def event_summary(ev: EventData, *, locale: str | None = None) -> str:
    """One plain line saying when and where, in the event's language: HTML-escaped, for `summary`.

    e.g. "Saturday, September 12, 2026, 7:00 – 11:00 PM (GMT+02:00, Europe/Paris) · Hall, 1 Main St".
    """
    loc = babel_locale(locale or ev.language)
    words = _WORDS.get(loc.language, _WORDS["en"])
    start, end, zone = span(ev)
    parts: list[str] = []
    if ev.status == "CANCELLED":
        parts.append(words.cancelled)
    elif ev.status == "TENTATIVE":
        parts.append(words.tentative)
    parts.append(_when(start, end, ev.all_day, zone, ev.timezone, loc))
    parts.extend(line for line in (place_line(p) for p in ev.places) if line)
    if ev.online_url:
        parts.append(words.online)
    return html.escape(" · ".join(parts))


def mastodon_rendering(doc: Mapping[str, Any]) -> str:
    """The status text Mastodon makes of an object (`ActivityPub::Parser::StatusParser#processed_text`):
    for Event, Article, Page and media types `<h2>name</h2>`, the summary and a link to `url` (or
    `id`), joined by blank lines; `content` is dropped. Other types keep their `content`."""
    if not any(kind in CONVERTED_TYPES for kind in as_list(doc.get("type")) if isinstance(kind, str)):
        return first_text(doc, "content")
    title = first_text(doc, "name")
    summary = first_text(doc, "summary")
    link = href(doc.get("url"), "text/html") or (doc.get("id") if isinstance(doc.get("id"), str) else "")
    anchor = (
        f'<a href="{html.escape(link)}" target="_blank" rel="nofollow noopener" translate="no">'
        f"{html.escape(link)}</a>"
        if link else ""
    )
    parts = [f"<h2>{title}</h2>" if title else "", summary, anchor]
    return "\n\n".join(part for part in parts if part)
