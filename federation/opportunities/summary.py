"""What Mastodon shows of an opportunity: a `Note` keeps its `content`, so the content opens with the
title and one plain, localised line (kind and purpose · place · dates · expiry), then the poster's text
and a link to the page, where the answer form is."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from babel.dates import format_date

from federation.fields import babel_locale
from federation.opportunities.model import OpportunityData


@dataclass(frozen=True)
class _Words:
    offer: dict[str, str]
    request: dict[str, str]
    places: dict[str, str]  # here | there | remote, each with {place}
    dates: str  # {start} – {end}
    starts: str  # from {start}
    expires: str  # until {date}
    closed: str
    answer: str  # the link line


_EN = _Words(
    {"job": "Job offer", "internship": "Internship offer", "volunteering": "Volunteering offer",
     "housing": "Housing offer", "mentoring": "Mentoring offer", "scholarship": "Scholarship offer",
     "skills_exchange": "Skills exchange offer"},
    {"job": "Job wanted", "internship": "Internship wanted", "volunteering": "Volunteers wanted",
     "housing": "Housing wanted", "mentoring": "Mentor wanted", "scholarship": "Scholarship wanted",
     "skills_exchange": "Skills exchange wanted"},
    {"here": "Here: {place}", "there": "There: {place}", "remote": "Remote"},
    "{start} – {end}", "from {start}", "open until {date}", "CLOSED", "Answer through the association:")

_WORDS: Final[dict[str, _Words]] = {
    "en": _EN,
    "fr": _Words(
        {"job": "Offre d'emploi", "internship": "Offre de stage", "volunteering": "Offre de bénévolat",
         "housing": "Offre de logement", "mentoring": "Offre de mentorat", "scholarship": "Offre de bourse",
         "skills_exchange": "Offre d'échange de savoirs"},
        {"job": "Recherche d'emploi", "internship": "Recherche de stage", "volunteering": "Bénévoles recherchés",
         "housing": "Recherche de logement", "mentoring": "Recherche de mentor", "scholarship": "Recherche de bourse",
         "skills_exchange": "Recherche d'échange de savoirs"},
        {"here": "Ici : {place}", "there": "Là-bas : {place}", "remote": "À distance"},
        "{start} – {end}", "à partir du {start}", "ouverte jusqu'au {date}", "CLOSE",
        "Répondre par l'association :"),
    "es": _Words(
        {"job": "Oferta de empleo", "internship": "Oferta de prácticas", "volunteering": "Oferta de voluntariado",
         "housing": "Oferta de vivienda", "mentoring": "Oferta de mentoría", "scholarship": "Oferta de beca",
         "skills_exchange": "Oferta de intercambio de saberes"},
        {"job": "Busco empleo", "internship": "Busco prácticas", "volunteering": "Se buscan voluntarios",
         "housing": "Busco vivienda", "mentoring": "Busco mentor", "scholarship": "Busco beca",
         "skills_exchange": "Busco intercambio de saberes"},
        {"here": "Aquí: {place}", "there": "Allá: {place}", "remote": "A distancia"},
        "{start} – {end}", "desde el {start}", "abierta hasta el {date}", "CERRADA",
        "Responder a través de la asociación:"),
    "ar": _Words(
        {"job": "عرض عمل", "internship": "عرض تدريب", "volunteering": "عرض تطوع", "housing": "عرض سكن",
         "mentoring": "عرض إرشاد", "scholarship": "عرض منحة", "skills_exchange": "عرض تبادل مهارات"},
        {"job": "طلب عمل", "internship": "طلب تدريب", "volunteering": "مطلوب متطوعون", "housing": "طلب سكن",
         "mentoring": "طلب مرشد", "scholarship": "طلب منحة", "skills_exchange": "طلب تبادل مهارات"},
        {"here": "هنا: {place}", "there": "هناك: {place}", "remote": "عن بعد"},
        "{start} – {end}", "ابتداء من {start}", "مفتوحة حتى {date}", "مغلقة", "الرد عبر الجمعية:"),
}


def _day(value: date | datetime, locale: str) -> str:
    return format_date(value.date() if isinstance(value, datetime) else value, "long", locale=locale)


def opportunity_line(data: OpportunityData, *, locale: str | None = None) -> str:
    """One plain line (not escaped): "Job offer · Remote · 1 March 2027 – 30 June 2027 · open until …"."""
    loc = babel_locale(locale or data.language)
    words = _WORDS.get(loc.language, _EN)
    kinds = words.request if data.purpose == "request" else words.offer
    parts = [kinds.get(data.kind, data.kind)]
    place = words.places.get(data.place_kind, "{place}")
    parts.append(place.format(place=data.place_name) if data.place_name or data.place_kind == "remote"
                 else place.format(place="").rstrip(" :"))
    if data.place_kind == "remote" and data.place_name:
        parts[-1] += f" ({data.place_name})"
    if data.starts is not None and data.ends is not None:
        parts.append(words.dates.format(start=_day(data.starts, str(loc)), end=_day(data.ends, str(loc))))
    elif data.starts is not None:
        parts.append(words.starts.format(start=_day(data.starts, str(loc))))
    if data.status == "closed":
        parts.append(words.closed)
    else:
        parts.append(words.expires.format(date=_day(data.expires, str(loc))))
    return " · ".join(parts)


def mastodon_content(data: OpportunityData, text_html: str, title: str, *, locale: str | None = None) -> str:
    """The Note's content in one language: the title, the line, the poster's text, the link."""
    loc = babel_locale(locale or data.language)
    words = _WORDS.get(loc.language, _EN)
    link = html.escape(data.url or data.id)
    closed = f"{words.closed}: " if data.status == "closed" else ""
    return (f"<p><strong>{closed}{html.escape(title)}</strong></p>"
            f"<p>{html.escape(opportunity_line(data, locale=locale))}</p>{text_html}"
            f'<p>{html.escape(words.answer)} <a href="{link}">{link}</a></p>')
