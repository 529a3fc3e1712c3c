"""Responsive sizes for the pictures pages show by their address alone (an event's banner, an
initiative's cover): the `srcset` filter of the templates.

Every stored picture has, besides its largest size W, each of `node.core.images.WIDTHS` smaller than
W, named `<key>-<width>.<ext>` (node/core/media.py): so the sizes of one of our /media/ addresses are
known from the address, with no query. Other addresses (a remote banner) get no srcset."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, pass_context
from jinja2.runtime import Context

from node.core.images import WIDTHS
from node.core.media import FILE_NAME

SIZES = "(min-width: 50rem) 46rem, 94vw"  # the main column, or the screen (as a post's images)


def picture_srcset(base_url: str, url: Any) -> str:
    """`srcset` for one of our /media/ addresses (every stored size with its width), else ""."""
    prefix = f"{base_url}/media/"
    if not isinstance(url, str) or not url.startswith(prefix):
        return ""
    match = FILE_NAME.fullmatch(url[len(prefix):])
    if match is None:
        return ""
    key, largest, extension = match.group(1), int(match.group(2)), match.group(3)
    widths = sorted({w for w in WIDTHS if w < largest} | {largest})
    return ", ".join(f"{prefix}{key}-{w}.{extension} {w}w" for w in widths)


@pass_context
def srcset(context: Context, url: Any) -> str:
    request = context.get("request")
    node = getattr(getattr(getattr(request, "app", None), "state", None), "node", None)
    return picture_srcset(node.settings.base_url, url) if node is not None else ""


def install(env: Environment) -> None:
    env.filters["srcset"] = srcset
    env.globals["picture_sizes"] = SIZES
