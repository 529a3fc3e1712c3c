"""An initiative as we send it: an AS2 `Article` with the agora: terms another Agora node rebuilds it from."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from federation.events.places import place_document
from federation.fields import add_language_maps, hashtags, image_media_type, with_default
from federation.initiatives.model import INITIATIVE_CONTEXT, InitiativeData, Money, NeedData
from federation.initiatives.money import money_document
from federation.initiatives.summary import initiative_summary
from federation.vocab import iso


def _need_document(need: NeedData) -> dict[str, Any]:
    doc: dict[str, Any] = {"type": "Need", "needKind": need.kind, "name": need.title}
    if need.description:
        doc["summary"] = need.description
    if need.skills:
        doc["skills"] = list(need.skills)
    if need.quantity is not None:
        doc["quantity"] = need.quantity
    doc["pledgedQuantity"] = need.pledged_quantity
    if need.goal is not None:
        doc["goal"] = money_document(need.goal)
    if need.pledged is not None:
        doc["pledged"] = money_document(need.pledged)
    return doc


def initiative_document(data: InitiativeData, *, locale: str | None = None) -> dict[str, Any]:
    """The AS2 `Article` for `data`, with the agora: terms another Agora node rebuilds it from."""
    doc: dict[str, Any] = {
        "@context": INITIATIVE_CONTEXT,
        "id": data.id,
        "type": "Article",
        "url": data.url or data.id,
        "name": data.title,
        "summary": initiative_summary(data, locale=locale),
        "content": data.content_html,
        "mediaType": "text/html",
        "attributedTo": data.organizer,
        "tag": hashtags(data.id, data.tags),
        "attachment": [],
        "initiativeKind": data.kind,
        "initiativeStatus": data.status,
        "statusHistory": [
            {"type": "StatusChange", "initiativeStatus": status, "published": iso(moment)}
            for status, moment in data.status_history
        ],
        "needs": [_need_document(need) for need in data.needs],
        "ledgerTotals": [
            {
                "type": "CurrencyTotal",
                "currency": total.currency,
                "received": money_document(Money(total.received_minor, total.currency)),
                "spent": money_document(Money(total.spent_minor, total.currency)),
            }
            for total in data.totals
        ],
        "supportCount": data.support_count,
        "responsible": list(data.responsible),
        "to": list(data.to),
        "cc": list(data.cc),
    }
    doc["abstract"] = data.summary  # even when empty: `summary` is the generated line, not this
    if data.cover_url:
        cover = {"type": "Document", "mediaType": image_media_type(data.cover_media_type, data.cover_url),
                 "url": data.cover_url, "name": data.cover_alt}
        doc["attachment"] = [cover]
        doc["image"] = dict(cover)
    if data.language:
        abstracts = with_default(data.language, data.summary, data.summary_map)
        add_language_maps(
            doc, data.language, name=(data.title, data.name_map), content=(data.content_html, data.content_map),
            summary_in=lambda language: initiative_summary(
                replace(data, summary=abstracts.get(language, data.summary)), locale=language),
            extra={"abstractMap": abstracts},
        )
    if data.published is not None:
        doc["published"] = iso(data.published)
    if data.updated is not None:
        doc["updated"] = iso(data.updated, precise=True)
    if data.place_there is not None:
        doc["location"] = place_document(data.place_there)
        doc["placeThere"] = place_document(data.place_there)
    if data.place_here is not None:
        doc["placeHere"] = place_document(data.place_here)
    return doc
