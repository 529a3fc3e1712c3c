"""Dates, times, numbers and money in the current context's language (babel), for Python code and, as
filters, for templates (node/core/i18n_jinja.py installs them). None gives "", a value that cannot be
read is shown as it is: formatting never fails a page."""

from __future__ import annotations

import functools
import re
from datetime import date, datetime, time, timezone, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers

from node.core.i18n import current_locale


def _zone(tz: Any) -> tzinfo | None:
    if tz is None or tz == "":
        return None
    if isinstance(tz, tzinfo):
        return tz
    try:
        return ZoneInfo(str(tz))
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return timezone.utc


def _moment(value: Any) -> datetime | date | time | None:
    if isinstance(value, (datetime, date, time)):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            try:
                return date.fromisoformat(value)
            except ValueError:
                return None
    return None


def _aware(value: datetime, tz: Any) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    zone = _zone(tz)
    return value.astimezone(zone) if zone is not None else value


Named = Literal["full", "long", "medium", "short"]
NAMED_FORMATS: tuple[Named, ...] = ("full", "long", "medium", "short")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'" if text else ""


_SAMPLE = datetime(2026, 12, 2, 21, 5, 9, tzinfo=timezone.utc)


@functools.lru_cache(maxsize=256)
def _datetime_pattern(format: Named, tag: str, locale: Locale) -> babel_dates.DateTimePattern | None:
    """A named format's date and time patterns joined the way babel's format_datetime joins their
    results ("{1}, {0}"), parsed once per language: a thread page formats a date per post. None for
    the few languages whose patterns do not join (an open quote): babel formats those."""
    glue = str(babel_dates.get_datetime_format(format, locale=locale)).replace("'", "")
    time_pattern = babel_dates.get_time_format(format, locale=locale).pattern
    date_pattern = babel_dates.get_date_format(format, locale=locale).pattern
    parts = re.split(r"(\{[01]\})", glue)
    joined = "".join(time_pattern if p == "{0}" else date_pattern if p == "{1}" else _literal(p) for p in parts)
    pattern = babel_dates.parse_pattern(joined)
    same = pattern.apply(_SAMPLE, locale) == babel_dates.format_datetime(_SAMPLE, format, locale=locale)
    return pattern if same else None


def format_datetime(value: Any, format: str = "medium", tz: Any = None) -> str:
    """A moment in the current language ("21 nov. 2026, 19:00" in French), shown in zone `tz`
    (a zone name or tzinfo; by default the moment's own zone, UTC when it has none)."""
    moment = _moment(value)
    if moment is None:
        return "" if value is None else str(value)
    try:
        named = next((n for n in NAMED_FORMATS if n == format), None)
        if isinstance(moment, datetime) and named is not None:
            locale = current_locale()
            pattern = _datetime_pattern(named, str(locale), locale)
            if pattern is not None:
                return str(pattern.apply(_aware(moment, tz), locale))
        if isinstance(moment, datetime):
            return str(babel_dates.format_datetime(_aware(moment, tz), format, locale=current_locale()))
        if isinstance(moment, date):
            return str(babel_dates.format_date(moment, format, locale=current_locale()))
        return str(babel_dates.format_time(moment, format, locale=current_locale()))
    except (ValueError, TypeError, KeyError):
        return str(value)


def format_date(value: Any, format: str = "medium", tz: Any = None) -> str:
    """A date ("21 nov. 2026"); a moment is first placed in zone `tz`."""
    moment = _moment(value)
    if moment is None or isinstance(moment, time):
        return "" if value is None else str(value)
    if isinstance(moment, datetime):
        moment = _aware(moment, tz).date()
    try:
        return str(babel_dates.format_date(moment, format, locale=current_locale()))
    except (ValueError, TypeError, KeyError):
        return str(value)


def format_time(value: Any, format: str = "short", tz: Any = None) -> str:
    """A time of day ("19:00", "7:00 PM"); a moment is first placed in zone `tz`."""
    moment = _moment(value)
    if moment is None or (isinstance(moment, date) and not isinstance(moment, datetime)):
        return "" if value is None else str(value)
    try:
        if isinstance(moment, datetime):
            return str(babel_dates.format_time(_aware(moment, tz), format, locale=current_locale()))
        return str(babel_dates.format_time(moment, format, locale=current_locale()))
    except (ValueError, TypeError, KeyError):
        return str(value)


def _number(value: Any) -> int | float | Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Decimal)):
        return value
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None


def format_number(value: Any) -> str:
    """A number with the current language's separators ("1 234,5" in French)."""
    number = _number(value)
    if number is None:
        return "" if value is None else str(value)
    return str(babel_numbers.format_decimal(number, locale=current_locale()))


def format_decimal(value: Any, format: str | None = None) -> str:
    number = _number(value)
    if number is None:
        return "" if value is None else str(value)
    try:
        return str(babel_numbers.format_decimal(number, format=format, locale=current_locale()))
    except (ValueError, TypeError):
        return str(value)


def format_percent(value: Any, format: str | None = None) -> str:
    """0.4 -> "40 %" in French, "40%" in English."""
    number = _number(value)
    if number is None:
        return "" if value is None else str(value)
    try:
        return str(babel_numbers.format_percent(number, format=format, locale=current_locale()))
    except (ValueError, TypeError):
        return str(value)


def format_currency(value: Any, currency: str, format: str | None = None) -> str:
    """An amount of money ("1 500,00 €" in French, "€1,500.00" in English)."""
    number = _number(value)
    if number is None:
        return "" if value is None else str(value)
    try:
        return str(babel_numbers.format_currency(number, str(currency or "").upper(), format=format,
                                                 locale=current_locale()))
    except (ValueError, TypeError, babel_numbers.UnknownCurrencyError):
        return f"{format_decimal(number)} {currency}"


def format_money(minor: Any, currency: str) -> str:
    """An amount kept in minor units (cents) as money: 150050, "EUR" -> "1 500,50 €" in French."""
    if isinstance(minor, bool) or not isinstance(minor, (int, Decimal)):
        return "" if minor is None else str(minor)
    code = str(currency or "").upper()
    try:
        digits = int(babel_numbers.get_currency_precision(code))
    except (ValueError, TypeError, KeyError):
        digits = 2
    return format_currency(Decimal(minor).scaleb(-digits), code)


FILTERS = {
    "format_datetime": format_datetime, "format_date": format_date, "format_time": format_time,
    "format_number": format_number, "format_decimal": format_decimal, "format_percent": format_percent,
    "format_currency": format_currency, "format_money": format_money,
}
