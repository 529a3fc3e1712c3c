"""The admin's subscriber lists as CSV: import (columns email, language, kinds, frequency; a header row
naming them may come first, in any order, and may add status) and export (formula-safe cells,
node/core/csvcells.py, with a header row that the import reads back).

An imported address is active at once (the admin vouches for it), except one the file says is
unsubscribed. An address already on the list keeps its own choices, and one that unsubscribed stays
unsubscribed: importing the same file again changes nothing. A line that cannot be read (an invalid
address, an unknown kind or frequency) is reported with its line number and skipped."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from node.core import i18n
from node.core.csvcells import FORMULA_STARTS, csv_cell
from node.core.runtime import Node
from node.mailing.models import FREQUENCIES, KINDS, Subscriber
from node.mailing.subscribers import SubscriberError, new_token, now, valid_email

COLUMNS = ("email", "language", "kinds", "frequency")
EXPORT_COLUMNS = ("email", "language", "kinds", "frequency", "status", "source", "created_at", "confirmed_at")
MAX_ROWS = 100_000
MAX_CELL = 1000
_SEPARATORS = re.compile(r"[\s,;|]+")


@dataclass
class ImportResult:
    created: int = 0
    activated: int = 0  # pending addresses the admin vouched for
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, what is wrong)


def uncell(value: str) -> str:
    """A cell as written before csv_cell protected it ("'=x" -> "=x")."""
    value = value.strip()[:MAX_CELL]
    return value[1:] if value[:1] == "'" and value[1:2] in FORMULA_STARTS else value


def _header(row: list[str]) -> dict[str, int] | None:
    names = [uncell(c).lower() for c in row]
    return {name: names.index(name) for name in set(names) if name} if "email" in names else None


def _cell(row: list[str], columns: dict[str, int], name: str) -> str:
    index = columns.get(name)
    return uncell(row[index]) if index is not None and index < len(row) else ""


@dataclass(frozen=True)
class _Line:
    email: str
    language: str
    kinds: list[str]
    frequency: str
    unsubscribed: bool


def _read_line(node: Node, row: list[str], columns: dict[str, int]) -> _Line:
    email = valid_email(_cell(row, columns, "email"))
    kinds = [k for k in _SEPARATORS.split(_cell(row, columns, "kinds").lower()) if k] or ["newsletter"]
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise SubscriberError(i18n.gettext("unknown kind %(kind)s (one of: %(kinds)s)", kind=unknown[0],
                                           kinds=", ".join(KINDS)))
    frequency = _cell(row, columns, "frequency").lower() or "weekly"
    if frequency not in FREQUENCIES:
        raise SubscriberError(i18n.gettext("unknown frequency %(frequency)s (one of: %(frequencies)s)",
                                           frequency=frequency, frequencies=", ".join(FREQUENCIES)))
    language = (i18n.supported(node, _cell(row, columns, "language"))
                or i18n.supported(node, node.settings.association.language) or i18n.DEFAULT)
    ordered = [k for k in KINDS if k in kinds]
    return _Line(email, language, ordered, frequency, _cell(row, columns, "status").lower() == "unsubscribed")


async def _store(line: _Line, result: ImportResult) -> None:
    row = await Subscriber.get_or_none(email=line.email)
    if row is None:
        await Subscriber.create(email=line.email, token=new_token(), source="import", language=line.language,
                                kinds=line.kinds, frequency=line.frequency,
                                status="unsubscribed" if line.unsubscribed else "active",
                                unsubscribed_at=now() if line.unsubscribed else None)
        result.created += 1
    elif row.status == "pending" and not line.unsubscribed:
        row.status, row.language, row.kinds, row.frequency = "active", line.language, line.kinds, line.frequency
        await row.save(update_fields=["status", "language", "kinds", "frequency"])
        result.activated += 1
    else:
        result.unchanged += 1


async def import_csv(node: Node, text: str) -> ImportResult:
    """Import a list (see the module's docstring); SubscriberError when it is no CSV at all."""
    result = ImportResult()
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    columns: dict[str, int] | None = None
    try:
        for count, row in enumerate(reader):
            if count >= MAX_ROWS:
                result.errors.append((reader.line_num, i18n.gettext("more than %(num)s lines: the rest was not read",
                                                                    num=MAX_ROWS)))
                break
            if not any(cell.strip() for cell in row):
                continue
            if columns is None:
                columns = _header(row)
                if columns is not None:
                    continue
                columns = {name: index for index, name in enumerate(COLUMNS)}
            try:
                await _store(_read_line(node, row, columns), result)
            except SubscriberError as exc:
                shown = _cell(row, columns, "email")[:100]
                result.errors.append((reader.line_num, f"{shown}: {exc}" if shown else str(exc)))
    except csv.Error as exc:
        raise SubscriberError(i18n.gettext("line %(line)s is not CSV: %(error)s", line=reader.line_num,
                                           error=str(exc))) from None
    return result


def _when(moment: object) -> str:
    return moment.isoformat() if hasattr(moment, "isoformat") else ""


async def export_csv() -> str:
    """Every address with its choices and status, oldest first (the import reads it back)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for row in await Subscriber.all().order_by("id"):
        kinds = " ".join(k for k in row.kinds if isinstance(k, str)) if isinstance(row.kinds, list) else ""
        cells = [row.email, row.language, kinds, row.frequency, row.status, row.source, _when(row.created_at),
                 _when(row.confirmed_at)]
        writer.writerow([csv_cell(str(c)) for c in cells])
    return out.getvalue()
