"""The one HTML sanitizer (nh3): for our rendered Markdown and for every piece of remote HTML."""

from __future__ import annotations

import html

import nh3

TAGS = {
    "p", "br", "span", "a", "del", "s", "pre", "code", "em", "strong", "b", "i", "u",
    "ul", "ol", "li", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
}
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start", "reversed"}, "li": {"value"}}
CLASSES = {
    "a": {"mention", "hashtag", "u-url", "status-link", "unhandled-link"},
    "span": {"h-card", "invisible", "ellipsis", "mention"},
}


def clean_html(fragment: str) -> str:
    return nh3.clean(
        fragment,
        tags=TAGS,
        attributes=ATTRIBUTES,
        allowed_classes=CLASSES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    )


def plain_text(fragment: str, limit: int = 300) -> str:
    """Text of an HTML fragment, for page titles and previews."""
    text = nh3.clean(fragment.replace("</p>", "</p> ").replace("<br", " <br"), tags=set())
    text = " ".join(html.unescape(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
