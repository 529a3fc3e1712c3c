"""What Mastodon shows of an initiative: it converts an Article into `<h2>name</h2>` + `summary` + a link
(:func:`federation.events.mastodon_rendering`), so `summary` is :func:`initiative_summary`, one plain,
localised, HTML-escaped line with the kind, the status and the progress."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Final

from babel.numbers import format_percent

from federation.events.places import place_line
from federation.fields import babel_locale
from federation.initiatives.model import SUMMARY_TEXT_LIMIT, InitiativeData, Money
from federation.initiatives.money import format_money


@dataclass(frozen=True)
class _Words:
    kinds: dict[str, str]
    statuses: dict[str, str]
    money: str  # {pledged} of {goal} ({percent})
    volunteers: str  # {count} of {total} volunteers
    volunteers_open: str  # {count} volunteers
    totals: str  # received {received}, spent {spent}
    there: str
    here: str


_WORDS: Final[dict[str, _Words]] = {
    "en": _Words(
        {"development": "Development project", "humanitarian": "Humanitarian appeal",
         "advocacy": "Advocacy", "mutual_aid": "Mutual aid", "cultural": "Cultural"},
        {"proposed": "Proposed", "active": "Active", "achieved": "Achieved", "closed": "Closed",
         "abandoned": "Abandoned"},
        "{pledged} of {goal} ({percent})", "{count} of {total} volunteers", "{count} volunteers",
        "received {received}, spent {spent}", "There: {place}", "Here: {place}"),
    "fr": _Words(
        {"development": "Projet de développement", "humanitarian": "Appel humanitaire",
         "advocacy": "Plaidoyer", "mutual_aid": "Entraide", "cultural": "Culturel"},
        {"proposed": "Proposée", "active": "En cours", "achieved": "Réalisée", "closed": "Close",
         "abandoned": "Abandonnée"},
        "{pledged} sur {goal} ({percent})", "{count} bénévoles sur {total}", "{count} bénévoles",
        "reçu {received}, dépensé {spent}", "Là-bas : {place}", "Ici : {place}"),
    "es": _Words(
        {"development": "Proyecto de desarrollo", "humanitarian": "Llamamiento humanitario",
         "advocacy": "Incidencia", "mutual_aid": "Ayuda mutua", "cultural": "Cultural"},
        {"proposed": "Propuesta", "active": "En curso", "achieved": "Lograda", "closed": "Cerrada",
         "abandoned": "Abandonada"},
        "{pledged} de {goal} ({percent})", "{count} de {total} voluntarios", "{count} voluntarios",
        "recibido {received}, gastado {spent}", "Allá: {place}", "Aquí: {place}"),
    "ar": _Words(
        {"development": "مشروع تنموي", "humanitarian": "نداء إنساني", "advocacy": "مناصرة",
         "mutual_aid": "تضامن متبادل", "cultural": "ثقافي"},
        {"proposed": "مقترحة", "active": "جارية", "achieved": "منجزة", "closed": "مغلقة",
         "abandoned": "متروكة"},
        "{pledged} من {goal} ({percent})", "{count} من {total} متطوعين", "{count} متطوعين",
        "المستلم {received}، المصروف {spent}", "هناك: {place}", "هنا: {place}"),
}


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def initiative_summary(data: InitiativeData, *, locale: str | None = None) -> str:
    """One plain HTML-escaped line: kind · status · progress · ledger · places · summary text.

    e.g. "Development project · Active · €1,250.00 of €5,000.00 (25%) · 3 of 10 volunteers · …"."""
    loc = babel_locale(locale or data.language)
    words = _WORDS.get(loc.language, _WORDS["en"])
    parts = [words.kinds.get(data.kind, data.kind), words.statuses.get(data.status, data.status)]
    for need in data.needs:
        if need.kind == "money" and need.goal is not None:
            pledged = need.pledged or Money(0, need.goal.currency)
            ratio = pledged.minor / need.goal.minor if need.goal.minor else 0.0
            parts.append(words.money.format(
                pledged=format_money(pledged, str(loc)), goal=format_money(need.goal, str(loc)),
                percent=format_percent(ratio, locale=loc)))
        elif need.kind == "volunteers":
            if need.quantity:
                parts.append(words.volunteers.format(count=need.pledged_quantity, total=need.quantity))
            else:
                parts.append(words.volunteers_open.format(count=need.pledged_quantity))
    for total in data.totals:
        parts.append(f"{total.currency}: " + words.totals.format(
            received=format_money(Money(total.received_minor, total.currency), str(loc)),
            spent=format_money(Money(total.spent_minor, total.currency), str(loc))))
    if data.place_there is not None and place_line(data.place_there, street=False):
        parts.append(words.there.format(place=place_line(data.place_there, street=False)))
    if data.place_here is not None and place_line(data.place_here, street=False):
        parts.append(words.here.format(place=place_line(data.place_here, street=False)))
    if data.summary.strip():
        parts.append(_shorten(data.summary, SUMMARY_TEXT_LIMIT))
    return html.escape(" · ".join(parts))
