"""Block and allow lists as files: Mastodon's CSV (import and export), plain lists of domains, and the
JSON that Mastodon's /api/v1/instance/domain_blocks and GoToSocial's exports serve.

Parsing is all or nothing: the first bad line stops it with its line number (JSON: the entry's number)
and nothing is applied. Entries whose domain was obfuscated by a public export ("ex**ple.com") cannot
be matched to anything and are counted as skipped."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from node.core.csvcells import csv_cell
from node.policy.domains import PolicyError, normalize_domain
from node.policy.snapshot import BLOCK_ACTIONS

BLOCK_HEADER = ("#domain", "#severity", "#reject_media", "#reject_reports", "#public_comment", "#obfuscate")
ALLOW_HEADER = ("#domain",)
MAX_ENTRIES = 20_000  # Mastodon's ROWS_PROCESSING_LIMIT
MAX_COMMENT = 2_000
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ListError(PolicyError):
    """A list that cannot be read; the message names the line (or JSON entry) and the reason."""


@dataclass(frozen=True)
class Entry:
    domain: str
    severity: str = "suspend"  # suspend | silence | noop (ignored for allow lists)
    reject_media: bool = False
    reject_reports: bool = False
    public_comment: str = ""
    obfuscate: bool = False


@dataclass(frozen=True)
class ParsedList:
    entries: list[Entry] = field(default_factory=list)
    skipped: int = 0  # obfuscated domains, which match nothing
    format: str = "csv"  # csv | plain | json


def _uncell(value: str) -> str:
    """Undo csv_cell's protection ("'=x" -> "=x") so that an export imports back unchanged."""
    return value[1:] if value[:1] == "'" and value[1:2] in _FORMULA_STARTS else value


def _boolean(value: Any, what: str, where: str) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    text = str(value).strip().lower()
    if text in ("", "false", "0", "no", "f", "n"):
        return False
    if text in ("true", "1", "yes", "t", "y"):
        return True
    raise ListError(f"{where}: {what} must be true or false, got {str(value)[:40]!r}")


def _severity(value: Any, where: str) -> str:
    text = str(value or "").strip().lower() or "suspend"
    if text not in BLOCK_ACTIONS:
        raise ListError(f"{where}: severity must be suspend, silence or noop, got {text[:40]!r}")
    return text


def _comment(value: Any, where: str) -> str:
    text = _uncell(str(value or "").strip())
    if len(text) > MAX_COMMENT:
        raise ListError(f"{where}: the comment is longer than {MAX_COMMENT} characters")
    if "\x00" in text:
        raise ListError(f"{where}: the comment contains a NUL character")
    return text


def _domain(value: Any, where: str) -> str | None:
    """The normalized domain, None for an obfuscated one; ListError when it is not a domain."""
    text = str(value or "").strip()
    if not text:
        raise ListError(f"{where}: the domain is empty")
    if "*" in (text[2:] if text.startswith("*.") else text):
        return None
    try:
        return normalize_domain(text)
    except PolicyError as exc:
        raise ListError(f"{where}: {exc}") from None


class _Collector:
    def __init__(self, fmt: str) -> None:
        self.fmt = fmt
        self.entries: dict[str, Entry] = {}
        self.skipped = 0

    def add(self, entry: Entry | None) -> None:
        if entry is None:
            self.skipped += 1
        elif entry.domain not in self.entries:  # the first mention of a domain counts
            self.entries[entry.domain] = entry
        if len(self.entries) + self.skipped > MAX_ENTRIES:
            raise ListError(f"the list has more than {MAX_ENTRIES} entries")

    def result(self) -> ParsedList:
        return ParsedList(list(self.entries.values()), self.skipped, self.fmt)


def _entry(where: str, domain: Any, severity: Any = None, reject_media: Any = None, reject_reports: Any = None,
           comment: Any = None, obfuscate: Any = None) -> Entry | None:
    name = _domain(domain, where)
    entry = Entry(
        domain=name or "",
        severity=_severity(severity, where),
        reject_media=_boolean(reject_media, "reject_media", where),
        reject_reports=_boolean(reject_reports, "reject_reports", where),
        public_comment=_comment(comment, where),
        obfuscate=_boolean(obfuscate, "obfuscate", where),
    )
    return entry if name else None


POSITIONAL = ("domain", "severity", "reject_media", "reject_reports", "public_comment", "obfuscate")


def parse_csv(text: str) -> ParsedList:
    """Mastodon's CSV: a header row (`#domain,#severity,...`, in any order, `#` optional) or, without
    one, the columns in Mastodon's order; only the domain is required."""
    out = _Collector("csv")
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")), strict=True)
    columns: Sequence[str] | None = None
    row_number = 0
    try:
        for row in reader:
            line = reader.line_num
            if not row or all(not cell.strip() for cell in row):
                continue
            row_number += 1
            names = [cell.strip().lstrip("#").strip().lower() for cell in row]
            if row_number == 1 and "domain" in names and (names[0] == "domain" or row[0].lstrip().startswith("#")):
                columns = names
                continue
            if row[0].lstrip().startswith("#"):
                continue  # a comment line
            keys = columns or POSITIONAL
            if len(row) > len(keys) and any(cell.strip() for cell in row[len(keys):]):
                raise ListError(f"line {line}: {len(row)} columns, but the list has {len(keys)}")
            values = dict(zip(keys, row))
            out.add(_entry(f"line {line}", values.get("domain"), values.get("severity"), values.get("reject_media"),
                           values.get("reject_reports"), values.get("public_comment", values.get("comment")),
                           values.get("obfuscate")))
    except csv.Error as exc:
        raise ListError(f"line {reader.line_num}: not valid CSV ({exc})") from None
    return out.result()


def parse_plain(text: str) -> ParsedList:
    """One domain per line (a # starts a comment); empty lines and comment lines are ignored."""
    out = _Collector("plain")
    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#") or line.startswith("!"):
            continue
        words = line.split("#", 1)[0].split()  # "example.com  # why" keeps its comment out
        if len(words) != 1:
            raise ListError(f"line {number}: one domain per line, got {line[:60]!r}")
        out.add(_entry(f"line {number}", words[0]))
    return out.result()


def parse_json(text: str) -> ParsedList:
    """A JSON array of {domain, severity?, public_comment? or comment?, obfuscate?, reject_media?,
    reject_reports?} (Mastodon's public domain_blocks API, GoToSocial's export)."""
    out = _Collector("json")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ListError(f"not valid JSON ({exc})") from None
    if isinstance(data, dict) and isinstance(data.get("domain_blocks"), list):
        data = data["domain_blocks"]
    if not isinstance(data, list):
        raise ListError("the JSON list must be an array of entries")
    for number, item in enumerate(data, start=1):
        where = f"entry {number}"
        if isinstance(item, str):
            out.add(_entry(where, item))
            continue
        if not isinstance(item, dict):
            raise ListError(f"{where}: expected an object with a domain")
        out.add(_entry(where, item.get("domain"), item.get("severity"), item.get("reject_media"),
                       item.get("reject_reports"), item.get("public_comment", item.get("comment")),
                       item.get("obfuscate")))
    return out.result()


def detect(text: str, content_type: str = "") -> str:
    media = content_type.split(";", 1)[0].strip().lower()
    start = text.lstrip("\ufeff \t\r\n")[:1]
    if media in ("application/json", "application/activity+json") or start in ("[", "{"):
        return "json"
    if media == "text/csv":
        return "csv"
    first = next((line.strip() for line in text.lstrip("\ufeff").splitlines() if line.strip()), "")
    if first.lower().startswith(("#domain", "domain,")) or "," in first:
        return "csv"
    return "plain"


def parse(text: str, content_type: str = "") -> ParsedList:
    """Any of the three formats, told apart by the content type and the content."""
    if "\x00" in text:
        raise ListError("the list contains NUL characters")
    fmt = detect(text, content_type)
    if fmt == "json":
        return parse_json(text)
    if fmt == "csv":
        return parse_csv(text)
    return parse_plain(text)


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ListError(f"the file is not UTF-8 text (byte {exc.start})") from None


def _flag(value: bool) -> str:
    return "true" if value else "false"


def write_csv(rows: Iterable[Sequence[str]], header: Sequence[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_cell(cell) for cell in row])
    return out.getvalue()


def block_rows(rules: Iterable[Any]) -> list[list[str]]:
    """Mastodon's export columns for DomainPolicy rows (suspend | silence | noop)."""
    return [[r.domain, r.action, _flag(r.reject_media), _flag(r.reject_reports), r.public_comment, _flag(r.obfuscate)]
            for r in rules]
