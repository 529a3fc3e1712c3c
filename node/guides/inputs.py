"""What a guide form or command gives (GuideInput) and its checks (GuideError with a message a person
can act on, and the form field it is about)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from federation.vocab import is_language_tag
from node.core.multilingual import Translation, check_translations, normalize_tag
from node.posts.content import MAX_SOURCE, new_slug

MAX_TITLE = 300
MAX_NOTE = 500
MAX_REVIEW_DAYS = 3650
DEFAULT_REVIEW_DAYS = 180


class GuideError(ValueError):
    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class GuideInput:
    title: str
    topic: str
    language: str
    source: str
    translations: tuple[Translation, ...] = ()
    note: str = ""
    slug: str = ""
    position: int = 0
    review_days: int | None = None
    extra: dict[str, str] = field(default_factory=dict)


def slug_of(title: str) -> str:
    """A readable address from the title (letters and digits of Latin script), or a generated one."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:80].strip("-")
    return slug if len(slug) >= 3 else new_slug()


def validate(inp: GuideInput) -> GuideInput:
    """The input as it will be saved (trimmed, tags normalised); GuideError otherwise."""
    title = inp.title.strip()
    if not title:
        raise GuideError("title: give the guide a title", "title")
    if len(title) > MAX_TITLE:
        raise GuideError(f"title: at most {MAX_TITLE} characters", "title")
    if not inp.source.strip():
        raise GuideError("text: the guide is empty", "text")
    if len(inp.source) > MAX_SOURCE:
        raise GuideError(f"text: longer than {MAX_SOURCE} characters", "text")
    if not is_language_tag(inp.language.strip()):
        raise GuideError("language: give it as a code like en, fr or ar", "language")
    if len(inp.note) > MAX_NOTE:
        raise GuideError(f"note: at most {MAX_NOTE} characters", "note")
    if inp.review_days is not None and not 1 <= inp.review_days <= MAX_REVIEW_DAYS:
        raise GuideError(f"review interval: 1 to {MAX_REVIEW_DAYS} days", "review_days")
    language = normalize_tag(inp.language.strip())
    kept = tuple(Translation(language=normalize_tag(t.language), title=t.title.strip(), text=t.text)
                 for t in inp.translations if not t.is_blank())
    check_translations(language, kept, GuideError, needs_text=True)
    for item in kept:
        if len(item.text) > MAX_SOURCE or len(item.title) > MAX_TITLE:
            raise GuideError(f"translation {item.language}: too long")
    return GuideInput(title=title, topic=inp.topic.strip(), language=language, source=inp.source,
                      translations=kept, note=inp.note.strip(), slug=inp.slug.strip(), position=inp.position,
                      review_days=inp.review_days)
