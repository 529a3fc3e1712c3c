"""A readable difference between two revisions of a guide: difflib over the Markdown source, line by
line and per language (the title first), as rows the template shows as a table with <del> and <ins>."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from node.guides.guides import translations_of
from node.guides.models import GuideRevision


@dataclass(frozen=True)
class Line:
    kind: str  # same | removed | added | gap
    old: int | None  # line number in the older text
    new: int | None
    text: str


@dataclass(frozen=True)
class LanguageDiff:
    language: str
    lines: list[Line]
    changed: bool


def _texts(revision: GuideRevision) -> dict[str, str]:
    found = {revision.language: f"# {revision.title}\n\n{revision.source}"}
    for item in translations_of(revision):
        found[item.language] = f"# {item.title or revision.title}\n\n{item.text}"
    return found


def line_diff(old: str, new: str, context: int = 3) -> list[Line]:
    """The changed lines with `context` unchanged lines around each change; a gap row between hunks."""
    a, b = old.splitlines(), new.splitlines()
    lines: list[Line] = []
    for group in difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(context):
        if lines:
            lines.append(Line("gap", None, None, "…"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [Line("same", i1 + k + 1, j1 + k + 1, a[i1 + k]) for k in range(i2 - i1)]
                continue
            lines += [Line("removed", i + 1, None, a[i]) for i in range(i1, i2)]
            lines += [Line("added", None, j + 1, b[j]) for j in range(j1, j2)]
    return lines


def revision_diff(old: GuideRevision, new: GuideRevision) -> list[LanguageDiff]:
    """Every language of either revision, the newer one's own language first."""
    before, after = _texts(old), _texts(new)
    out = []
    for language in dict.fromkeys([*after, *before]):
        lines = line_diff(before.get(language, ""), after.get(language, ""))
        out.append(LanguageDiff(language, lines, bool(lines)))
    return out
