"""Importing a list of bounced addresses (`agora bounces import FILE`, the upload of /admin/bounces):
one address per line, or CSV (comma, semicolon or tab) whose first column is the address and whose
optional second column is the type: bounce (the default, a hard bounce), soft, or complaint; a third
column is kept as the detail. A header row naming the columns (email, type, detail) may come first.
Lines starting with # and blank lines are skipped; with `block`, each bounce blocks at once."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from node.core.runtime import Node
from node.mailing import suppression
from node.mailing.bounces import address_of

MAX_BYTES = 5_000_000
MAX_ROWS = 100_000
MAX_WEB_ROWS = 5_000  # an upload on the admin page (more: `agora bounces import`)
TYPES = {"bounce": "bounce", "hard": "bounce", "hard_bounce": "bounce", "": "bounce", "soft": "soft",
         "soft_bounce": "soft", "complaint": "complaint", "spam": "complaint", "abuse": "complaint"}


class ListError(Exception):
    """The list cannot be read at all."""


@dataclass
class Imported:
    bounces: int = 0
    soft: int = 0
    complaints: int = 0
    skipped: int = 0
    skipped_lines: list[int] = field(default_factory=list)  # the first lines that were not understood
    blocked_total: int = 0  # addresses blocked after the import


def decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise ListError(f"the list is larger than {MAX_BYTES // 1_000_000} MB")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ListError("the list is not text")  # pragma: no cover - cp1252 decodes almost anything


def rows_of(text: str, max_rows: int = MAX_ROWS) -> list[tuple[int, str, str, str]]:
    """(line number, address or "", type or "?", detail) of each line that is not blank or a comment;
    ListError over `max_rows` such lines."""
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1)
             if line.strip() and not line.lstrip().startswith("#")]
    if len(lines) > max_rows + 1:
        raise ListError(f"the list has more than {max_rows} lines")
    sample = "\n".join(line for _, line in lines[:20])
    delimiter = max(",;\t", key=sample.count) if any(c in sample for c in ",;\t") else ","
    columns = {"email": 0, "type": 1, "detail": 2}
    out: list[tuple[int, str, str, str]] = []
    for index, (number, line) in enumerate(lines):
        try:
            cells = [c.strip() for c in next(csv.reader(io.StringIO(line), delimiter=delimiter), [])]
        except csv.Error:
            cells = [line.strip()]
        if index == 0 and any(c.lower() in ("email", "address", "e-mail") for c in cells):
            lowered = [c.lower() for c in cells]
            columns = {key: next((i for i, c in enumerate(lowered) if c in names), -1) for key, names in
                       (("email", ("email", "address", "e-mail")), ("type", ("type", "kind")),
                        ("detail", ("detail", "reason", "details")))}
            continue

        def cell(key: str) -> str:
            i = columns[key]
            return cells[i] if 0 <= i < len(cells) else ""

        kind = TYPES.get(cell("type").lower().replace("-", "_").replace(" ", "_"), "?")
        out.append((number, address_of(cell("email")), kind, cell("detail")[:500]))
    return out


async def import_list(node: Node, text: str, *, block: bool = False, source: str = "import",
                      max_rows: int = MAX_ROWS) -> Imported:
    """Record each line of the list (ListError, and nothing recorded, over `max_rows` lines)."""
    result = Imported()
    for number, email, kind, detail in rows_of(text, max_rows):
        if not email or kind == "?":
            result.skipped += 1
            if len(result.skipped_lines) < 20:
                result.skipped_lines.append(number)
            continue
        note = " ".join(x for x in (source, detail) if x)
        if kind == "complaint":
            await suppression.record_complaint(node, email, note)
            result.complaints += 1
        elif kind == "soft":
            await suppression.record_bounce(node, email, note, hard=False)
            result.soft += 1
        elif block:
            await suppression.block(email, note)
            result.bounces += 1
        else:
            await suppression.record_bounce(node, email, note)
            result.bounces += 1
    result.blocked_total = (await suppression.counts())[0]
    return result
