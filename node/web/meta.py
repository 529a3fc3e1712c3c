"""Meta and Open Graph tags for pages that links are shared to (messengers show a preview from them).

A page passes `og=meta.tags(...)` to its template and includes templates/_og.html in its
`{% block meta %}`: description, canonical link, og:* and twitter:card, all with absolute URLs."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

from jinja2 import Environment, pass_context
from jinja2.runtime import Context

from node.core.runtime import Node
from node.core.sanitize import plain_text

DESCRIPTION_LIMIT = 200


def absolute(node: Node, url: str | None) -> str | None:
    """A URL made absolute against the node's base URL (media may be stored as /media/...); only
    http(s) URLs are kept."""
    if not url:
        return None
    full = urljoin(node.urls.base + "/", url)
    return full if full.startswith(("https://", "http://")) else None


def tags(
    node: Node,
    *,
    title: str,
    url: str,
    site_name: str,
    description: str = "",
    kind: str = "website",
    image: str | None = None,
    image_alt: str = "",
    html_description: bool = False,
) -> dict[str, Any]:
    """The values templates/_og.html prints. `description` is plain text, or HTML when
    `html_description` (a post's content), shortened for previews."""
    text = plain_text(description, DESCRIPTION_LIMIT) if html_description else " ".join(description.split())
    if len(text) > DESCRIPTION_LIMIT:
        text = text[: DESCRIPTION_LIMIT - 1].rstrip() + "…"
    return {
        "title": " ".join(title.split()) or site_name,
        "description": text,
        "url": absolute(node, url) or node.urls.base + "/",
        "type": kind,
        "site_name": site_name,
        "image": absolute(node, image),
        "image_alt": " ".join(image_alt.split()),
    }


# ------------------------------------------------------------------ in templates

@pass_context
def og_tags(
    context: Context,
    *,
    title: str,
    url: str,
    description: str = "",
    html_description: bool = False,
    kind: str = "article",
    image: str | None = None,
    image_alt: str = "",
) -> dict[str, Any]:
    """`tags()` called from a template whose handler passes no `og` (event and initiative pages):
    the node comes from the request, the site name from render()'s `site_name`."""
    node: Node = context["request"].app.state.node
    site_name = str(context.get("site_name") or node.settings.association.name)
    return tags(node, title=title, url=url, site_name=site_name, description=description, kind=kind,
                image=image, image_alt=image_alt, html_description=html_description)


def install(env: Environment) -> None:
    """Make `og_tags(...)` available to every template of `env` (called by node/web/pages.py)."""
    env.globals["og_tags"] = og_tags
