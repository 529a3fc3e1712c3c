"""Text for and from calendars: the plain text of an HTML description (ours, or Google's), and plain
text as Markdown that renders as that same text (for imported descriptions)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from federation import vocab

_BLOCKS = frozenset({
    "p", "div", "ul", "ol", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table", "tr",
    "section", "article", "header", "footer",
})


class _Text(HTMLParser):
    """The text of an HTML fragment: paragraphs, line breaks and list items kept; a link whose text is
    not its address gets the address after it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[tuple[str | None, int]] = []
        self.pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in _BLOCKS:
            self.parts.append("\n\n")
            self.pre += tag == "pre"
        elif tag == "a":
            self.links.append((dict(attrs).get("href"), len(self.parts)))

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n\n")
            self.pre -= tag == "pre" and self.pre > 0
        elif tag == "li":
            self.parts.append("\n")
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            text = "".join(self.parts[start:]).strip()
            if (href and vocab.is_http_url(href) and text and text[0] not in "#@"
                    and href.rstrip("/") != text.rstrip("/") and href not in text):
                self.parts.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        self.parts.append(data if self.pre else re.sub(r"\s+", " ", data))

    def text(self) -> str:
        lines = [line.strip() for line in "".join(self.parts).split("\n")]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment (our rendered descriptions, Google's HTML descriptions)."""
    parser = _Text()
    parser.feed(fragment)
    parser.close()
    return parser.text()


_LOOKS_HTML = re.compile(r"<(?:a\s|br\s*/?>|p>|p\s|/p>|b>|i>|u>|strong>|em>|ul>|ol>|li>|div|span)", re.I)
_URL_RUN = re.compile(r"https?://[^\s<>\"]+")
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>~&|])")
_BLOCK_START = re.compile(r"(?:#|>|[-+]\s|[-+=]+$)")
_ORDERED_START = re.compile(r"(\d{1,9})([.)])(?=\s|$)")


def _escape_line(line: str) -> str:
    out: list[str] = []
    pos = 0
    for m in _URL_RUN.finditer(line):
        out.append(_INLINE_SPECIAL.sub(r"\\\1", line[pos:m.start()]))
        out.append(m.group())  # addresses stay whole, so that they are still linked
        pos = m.end()
    out.append(_INLINE_SPECIAL.sub(r"\\\1", line[pos:]))
    text = "".join(out)
    if _BLOCK_START.match(text):
        return "\\" + text
    ordered = _ORDERED_START.match(text)
    if ordered:
        return f"{ordered.group(1)}\\{ordered.group(2)}{text[ordered.end():]}"
    return text


def markdown_safe(text: str) -> str:
    """Plain text (or an HTML description) as Markdown that renders as that same text: special
    characters escaped outside web addresses, line breaks kept, paragraphs kept."""
    if _LOOKS_HTML.search(text):
        text = html_to_text(text)
    lines = [line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    out: list[str] = []
    for index, line in enumerate(lines):
        escaped = _escape_line(line)
        following = index + 1 < len(lines) and lines[index + 1] != ""
        out.append(escaped + "  " if escaped and following else escaped)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()
