"""The messages of the mailing list: every one multipart (plain text, and HTML that reads well in
common mail clients and without images), with one-click unsubscribe (`List-Unsubscribe` and
`List-Unsubscribe-Post`, RFC 8058), `List-Id`, and a footer linking to the subscriber's preferences.
No tracking pixel, no rewritten links: the HTML is the text as written, and links go where they say.

Every sender (confirmations, items as they are published, digests, newsletters, members'
notifications) builds its message with `compose` and waits its turn with `throttle.py`."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from node.core import i18n
from node.core.mail import build_message
from node.core.runtime import Node
from node.mailing.models import Subscriber

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "mail"
_env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]),
                   auto_reload=False, extensions=["jinja2.ext.i18n"])
_env.install_gettext_callables(  # type: ignore[attr-defined]
    lambda text, **kw: i18n.gettext(text, **kw),
    lambda one, many, n, **kw: i18n.ngettext(one, many, n, **kw),
    newstyle=True,
)


@dataclass(frozen=True)
class Links:
    preferences: str  # GET: the subscriber's choices, no sign-in needed (the token is the secret)
    unsubscribe: str  # GET: a page with one button; POST (RFC 8058 one-click): unsubscribed at once
    confirm: str  # GET: the double opt-in's confirmation


def links(node: Node, subscriber: Subscriber) -> Links:
    base = node.settings.base_url.rstrip("/")
    return Links(f"{base}/mail/preferences/{subscriber.token}", f"{base}/mail/unsubscribe/{subscriber.token}",
                 f"{base}/mail/confirm/{subscriber.token}")


def list_id(node: Node) -> str:
    """RFC 2919: a phrase (the association's name, without what would end it or open an address) and
    the list's id."""
    name = " ".join("".join(" " if c in '<>"\\()[],;:@' else c for c in node.settings.association.name).split())
    return f"{name} <list.{node.urls.host}>" if name else f"<list.{node.urls.host}>"


def list_headers(node: Node, subscriber: Subscriber) -> dict[str, str]:
    """What mail clients need to show their own unsubscribe button (RFC 2369, RFC 8058, RFC 2919)."""
    found = links(node, subscriber)
    return {
        "List-Id": list_id(node),
        "List-Unsubscribe": f"<{found.unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Precedence": "list",
    }


def render(name: str, **context: Any) -> str:
    """A template of templates/mail in the language active now (`i18n.activate`)."""
    return _env.get_template(name).render(**context)


def compose(node: Node, subscriber: Subscriber, subject: str, text: str, html: str, *,
            list_message: bool = True) -> EmailMessage:
    """A message to a subscriber, in their language: `text` (plain) and `html` (a fragment, escaped
    by its maker) inside the layout, with the footer of their links; with `list_message` the list
    headers too (a confirmation request is no list message: it carries no unsubscribe header)."""
    i18n.activate(subscriber.language or node.settings.association.language)
    found = links(node, subscriber)
    context = {"association": node.settings.association.name, "links": found, "list_message": list_message,
               "base_url": node.settings.base_url.rstrip("/"), "subject": subject,
               "direction": i18n.direction(subscriber.language or "en"), "language": subscriber.language or "en"}
    full_text = render("layout.txt", body=text, **context)
    full_html = render("layout.html", body=html, **context)
    headers = list_headers(node, subscriber) if list_message else {}
    return build_message(node.settings, subscriber.email, subject, full_text, html=full_html, headers=headers)
