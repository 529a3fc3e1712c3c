"""Reading typed values out of submitted forms; a bad value raises the caller's error type with a
message a person can act on."""

from __future__ import annotations

from datetime import date, time

from starlette.datastructures import FormData
from starlette.responses import Response


def text_field(form: FormData | dict[str, str], key: str) -> str:
    """A submitted text value, stripped ("" when absent or not text)."""
    value = form.get(key)
    return value.strip() if isinstance(value, str) else ""


def csv_cell(value: str) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas: a visitor's name must not."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def no_store(response: Response) -> Response:
    """Pages with private links or personal data are not kept by caches."""
    response.headers["Cache-Control"] = "no-store"
    return response


def parse_int(text: str, what: str, error: type[Exception]) -> int | None:
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise error(f"{what} must be a whole number") from None


def parse_float(text: str, what: str, error: type[Exception]) -> float | None:
    if not text:
        return None
    try:
        return float(text.replace(",", "."))
    except ValueError:
        raise error(f"{what} must be a number like 48.8566") from None


def parse_date(text: str, what: str, error: type[Exception]) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise error(f"{what} is not a date (write it like 2026-07-11)") from None


def parse_time(text: str, what: str, error: type[Exception]) -> time | None:
    if not text:
        return None
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise error(f"{what} is not a time (write it like 19:30)") from None
