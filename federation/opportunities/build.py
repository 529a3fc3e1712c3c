"""An opportunity as we send it: an AS2 `Note` (Mastodon shows its content whole) whose content opens
with the title and the kind/place/expiry line, with FEP-0837's `purpose` and an `Intent` it `publishes`,
and the agora: terms another Agora node rebuilds it from."""

from __future__ import annotations

from typing import Any

from federation.fields import hashtags, with_default
from federation.opportunities.model import KINDS, OPPORTUNITY_CONTEXT, VF_NS, OpportunityData
from federation.opportunities.summary import mastodon_content
from federation.vocab import iso

# FEP-0837's ValueFlows action for each kind: a service delivered, or a resource (a room) lent.
_ACTIONS = {kind: "deliverService" for kind in KINDS} | {"housing": "use"}


def opportunity_document(data: OpportunityData) -> dict[str, Any]:
    """The AS2 `Note` for `data`."""
    names = with_default(data.language, data.title, data.name_map)
    texts = with_default(data.language, data.content_html, data.content_map)
    doc: dict[str, Any] = {
        "@context": OPPORTUNITY_CONTEXT,
        "id": data.id,
        "type": "Note",
        "url": data.url or data.id,
        "name": data.title,
        "content": mastodon_content(data, data.content_html, data.title),
        "mediaType": "text/html",
        "attributedTo": data.organizer,
        "tag": hashtags(data.id, data.tags),
        "to": list(data.to),
        "cc": list(data.cc),
        "purpose": data.purpose,
        "publishes": {"type": "Intent", "action": _ACTIONS.get(data.kind, "deliverService"),
                      "resourceClassifiedAs": f"{VF_NS.rstrip('#')}/agora/{data.kind}"},
        "opportunityKind": data.kind,
        "opportunityStatus": data.status,
        "placeKind": data.place_kind,
        "expires": iso(data.expires),
        "languages": list(data.languages),
        "opportunityText": data.content_html,
    }
    if data.place_name:
        doc["location"] = {"type": "Place", "name": data.place_name}
    if data.language:
        doc["inLanguage"] = data.language
        doc["contentMap"] = {
            language: mastodon_content(data, texts.get(language, data.content_html), names.get(language, data.title),
                                       locale=language)
            for language in dict.fromkeys([*texts, *names])
        } or {data.language: doc["content"]}
        if len(names) > 1 or len(texts) > 1:
            doc["nameMap"] = names
            doc["opportunityTextMap"] = texts
    if data.starts is not None:
        doc["validFrom"] = data.starts.isoformat()
    if data.ends is not None:
        doc["validThrough"] = data.ends.isoformat()
    if data.closed is not None:
        doc["closed"] = iso(data.closed)
    if data.published is not None:
        doc["published"] = iso(data.published)
    if data.updated is not None:
        doc["updated"] = iso(data.updated, precise=True)
    return doc
