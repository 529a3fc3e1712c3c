"""Reading typed values out of submitted forms; a bad value raises the caller's error type with a
message a person can act on."""

from __future__ import annotations

from datetime import date, time

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from node.core.multilingual import MAX_TRANSLATIONS, Translation, normalize_tag

MAX_TRANSLATION_ROWS = MAX_TRANSLATIONS


class BodyTooLarge(Exception):
    """A request body is larger than the limit its reader was given."""


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused (BodyTooLarge) when its declared Content-Length or the bytes that
    actually arrive (chunked bodies) exceed `limit`. A non-numeric Content-Length is left to the caller."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


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


# ------------------------------------------------------------------ content in several languages

TRANSLATION_FIELDS = ("language", "title", "summary", "text")
ACTIONS = ("publish", "draft", "preview", "add_language")


def action_of(form: FormData) -> str:
    """Which button sent the form: publish (the default), draft, preview or add_language."""
    value = form.get("action")
    return value if isinstance(value, str) and value in ACTIONS else "publish"


def translation_rows(form: FormData, *, add: bool = False) -> list[dict[str, str]]:
    """The "other language" blocks of a form (fields tr<i>_language, _title, _summary, _text), as
    many as it showed (`tr_count`) and at least the filled ones; one more when `add`."""
    shown = parse_count(form.get("tr_count"))
    rows: list[dict[str, str]] = []
    for i in range(MAX_TRANSLATION_ROWS):
        row = {f: str(form.get(f"tr{i}_{f}") or "") for f in TRANSLATION_FIELDS}
        rows.append(row)
    last_filled = max((i + 1 for i, row in enumerate(rows) if any(v.strip() for v in row.values())), default=0)
    count = max(shown, last_filled, 1) + (1 if add else 0)
    return rows[:min(count, MAX_TRANSLATION_ROWS)]


def parse_count(value: object) -> int:
    if isinstance(value, str) and value.isdigit():
        return min(int(value), MAX_TRANSLATION_ROWS)
    return 0


def translations_from_rows(rows: list[dict[str, str]]) -> tuple[Translation, ...]:
    """The blocks someone filled in (a block with only a language is left out), languages normalised."""
    found = []
    for row in rows:
        item = Translation(language=normalize_tag(row.get("language", "")) if row.get("language", "").strip() else "",
                           title=row.get("title", "").strip(), summary=row.get("summary", "").strip(),
                           text=row.get("text", ""))
        if not item.is_blank():
            found.append(item)
    return tuple(found)


def rows_from_translations(translations: tuple[Translation, ...]) -> list[dict[str, str]]:
    rows = [{"language": t.language, "title": t.title, "summary": t.summary, "text": t.text} for t in translations]
    return rows or [dict.fromkeys(TRANSLATION_FIELDS, "")]
