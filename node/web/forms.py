"""The one form reader, and reading typed values out of submitted forms.

`checked_form(request, files=N)` is how every page reads a submitted form: the body is read under a
size limit before any parsing (its Content-Length, and a count of what arrives), parsed with Starlette's
public form parsers, its CSRF token and NUL characters checked, and kept on `request.state` so that a
second call returns the same form. A refused form raises `PageRefusal` (413, 400 or 403).

The typed readers below raise the caller's error type with a message a person can act on."""

from __future__ import annotations

import logging
from datetime import date, time

from collections.abc import AsyncGenerator, Mapping
from typing import Any

from python_multipart.multipart import parse_options_header
from starlette.datastructures import FormData
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from node.core import i18n
from node.core.multilingual import MAX_TRANSLATIONS, Translation, normalize_tag
from node.core.runtime import Node
from node.web import auth, serving
from node.web.errors import PageRefusal

MAX_TRANSLATION_ROWS = MAX_TRANSLATIONS
log = logging.getLogger("agora.web")


class BodyTooLarge(Exception):
    """A request body is larger than the limit its reader was given."""


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused (BodyTooLarge) when its declared Content-Length or the bytes that
    actually arrive (chunked bodies) exceed `limit`. A non-numeric Content-Length is left to the caller.
    A client that hangs up before its body arrived (or misses the body deadline of `agora serve`) is
    logged in one line and refused with 400 (PageRefusal), which nobody reads."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge
            chunks.append(chunk)
    except ClientDisconnect:
        clock = serving.body_clock(request.scope)
        if clock is None or not clock.timed_out:  # a missed deadline was logged where it was seen
            log.info("%s %s from %s: the client hung up before its body arrived (%d of %s bytes)",
                     request.method, request.url.path, serving.client_text(request.scope.get("client")),
                     size, declared or "?")
        raise PageRefusal(400, "Bad request", i18n.lazy_gettext(
            "The form could not be read: %(error)s", error="the connection closed before it arrived")) from None
    return b"".join(chunks)


FORM_MARGIN = 1024 * 1024  # the text fields and the multipart framing around any files
MAX_FIELDS = 400


class FormTooLarge(Exception):
    """The submitted form is larger than its limit."""


class FormUnreadable(Exception):
    """The submitted form cannot be parsed."""


def form_limit(node: Node, files: int) -> int:
    """The size a form with up to `files` images may have."""
    return node.settings.media.max_upload_bytes * files + FORM_MARGIN


async def _replay(body: bytes) -> AsyncGenerator[bytes, None]:
    yield body


async def read_form(request: Request, limit: int, files: int = 0, fields: int = MAX_FIELDS) -> FormData:
    """The submitted form (multipart or urlencoded; anything else reads as empty), refused before
    parsing when larger than `limit`. Raises FormTooLarge, FormUnreadable. Read once per request."""
    cached = getattr(request.state, "agora_form", None)
    if isinstance(cached, FormData):
        return cached
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > limit):
        raise FormTooLarge if length.isdigit() else FormUnreadable("the request has an invalid length")
    try:
        body = await read_body(request, limit)
    except BodyTooLarge:
        raise FormTooLarge from None
    content_type, _ = parse_options_header(request.headers.get("content-type", ""))
    part_size = max(limit, 1024 * 1024)
    try:
        if content_type == b"multipart/form-data":
            form = await MultiPartParser(request.headers, _replay(body), max_files=files, max_fields=fields,
                                         max_part_size=part_size).parse()
        elif content_type == b"application/x-www-form-urlencoded":
            form = await FormParser(request.headers, _replay(body), max_fields=fields,
                                    max_part_size=part_size).parse()
        else:
            form = FormData()
    except MultiPartException as exc:
        raise FormUnreadable(exc.message) from None
    request.state.agora_form = form
    return form


def has_nul(form: FormData) -> bool:
    """A text field holding a NUL character (PostgreSQL cannot store one)."""
    return any(isinstance(value, str) and "\x00" in value for _, value in form.multi_items())


async def checked_form(request: Request, *, files: int = 0, limit: int | None = None,
                       too_large: tuple[str, Any] | None = None) -> FormData:
    """The submitted form, read under its limit (`files` images at most), with a valid CSRF token and
    no NUL character; else raises the PageRefusal that refuses it (`too_large`: the 413 page's title
    and text, by default the image-size message)."""
    node: Node = request.app.state.node
    await i18n.activate_request(request, node)  # errors raised while reading are translated
    try:
        form = await read_form(request, form_limit(node, files) if limit is None else limit, files)
    except FormTooLarge:
        if too_large is not None:
            raise PageRefusal(413, *too_large) from None
        raise PageRefusal(413, "Too large", i18n.lazy_gettext(
            "Images up to %(num)s MB each are accepted. Choose smaller pictures.",
            num=node.settings.media.max_upload_bytes // 1_000_000)) from None
    except FormUnreadable as exc:
        raise PageRefusal(400, "Bad request", i18n.lazy_gettext("The form could not be read: %(error)s",
                                                                error=str(exc))) from None
    if not auth.csrf_ok(request, form.get("csrf")):
        raise PageRefusal(403, "Form expired", "Please reload the page and try again.")
    if has_nul(form):
        raise PageRefusal(400, "Invalid characters", "The form holds NUL characters, which are not accepted.")
    return form


def text_field(form: Mapping[str, Any], key: str) -> str:
    """A submitted text value, stripped ("" when absent or not text)."""
    value = form.get(key)
    return value.strip() if isinstance(value, str) else ""


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
