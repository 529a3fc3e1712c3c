"""A guide on the wire: an `Article` from the association (name/nameMap, content/contentMap, summary,
published, updated, url, to Public, cc its followers) with two Agora terms, `guideTopic` (the topic's
slug, also sent as a Hashtag so Mastodon shows it) and `guideSlug`. A received Article is taken for a
guide when it carries `guideTopic` (see FEDERATION.md); other servers see an ordinary Article."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timezone
from typing import Any

from federation import fields as wire_fields
from federation import vocab
from federation.initiatives.model import AGORA_NS
from node.core.models import Actor
from node.core.multilingual import others
from node.core.runtime import Node
from node.core.sanitize import plain_text
from node.guides.models import Guide
from node.posts.publishable import send_document

GUIDE_TERMS: dict[str, Any] = {"agora": AGORA_NS, "guideTopic": "agora:guideTopic", "guideSlug": "agora:guideSlug"}
CONTEXT: list[Any] = [*vocab.CONTEXT, GUIDE_TERMS]
TOPIC = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")


def summary_of(html: str) -> str:
    """The first lines of the guide as plain text: what Mastodon shows above the link."""
    return plain_text(html, 280)


def guide_document(guide: Guide, organizer: Actor) -> dict[str, Any]:
    language = guide.language or "en"
    to, cc = vocab.addressing("public", organizer.followers_url or "")
    doc: dict[str, Any] = {
        "@context": CONTEXT, "id": guide.uri, "type": "Article", "attributedTo": organizer.uri,
        "name": guide.title, "content": guide.content, "summary": guide.summary or summary_of(guide.content),
        "url": guide.url or guide.uri, "mediaType": "text/html",
        "published": vocab.iso(guide.published), "to": to, "cc": cc,
        "guideTopic": guide.topic, "guideSlug": guide.slug,
        "tag": wire_fields.hashtags(guide.uri, [guide.topic.replace("-", "_")]),
    }
    if guide.updated is not None:
        doc["updated"] = vocab.iso(guide.updated)
    names = others(language, guide.name_map)
    contents = others(language, guide.content_map)
    wire_fields.add_language_maps(doc, language, name=(guide.title, names), content=(guide.content, contents),
                                  summary_in=lambda tag: summary_of(str(contents.get(tag) or guide.content)))
    return doc


async def send(node: Node, guide: Guide, organizer: Actor, kind: str) -> None:
    """A `Create` (a new guide) or an `Update` (an accepted revision) of the guide's Article to the
    association's followers (in the caller's transaction)."""
    stamp = f"{int(datetime.now(timezone.utc).timestamp() * 1000)}-{secrets.token_hex(3)}"
    suffix = "create" if kind == "Create" else f"updates/{stamp}"
    await send_document(node, organizer, kind, f"{guide.uri}#{suffix}", guide_document(guide, organizer))


def is_guide(doc: dict[str, Any]) -> bool:
    """An Agora guide: an Article with a `guideTopic` (compacted as we send it, or expanded)."""
    topic = doc.get("guideTopic", doc.get(f"{AGORA_NS}guideTopic"))
    return vocab.type_of(doc) == "Article" and isinstance(topic, str) and TOPIC.fullmatch(topic) is not None
