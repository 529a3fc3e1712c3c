"""The vocabulary we speak: terms and contexts, the envelope of an incoming activity, tolerant readers of
references, texts, language maps and dates, addressing, and builders for what we send. The remote actors
and notes parsed from it are in `federation.remote`."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import msgspec

AS2 = "https://www.w3.org/ns/activitystreams"
SECURITY_V1 = "https://w3id.org/security/v1"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
PUBLIC_ALIASES = frozenset({PUBLIC, "as:Public", "Public"})
AS2_MEDIA_TYPE = "application/activity+json"

# Inline terms, since http://joinmastodon.org/ns is not a real JSON-LD document.
MASTODON_TERMS: dict[str, Any] = {
    "toot": "http://joinmastodon.org/ns#",
    "sensitive": "as:sensitive",
    "Hashtag": "as:Hashtag",
    "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
    "discoverable": "toot:discoverable",
    "indexable": "toot:indexable",
    "featured": {"@id": "toot:featured", "@type": "@id"},
    "schema": "http://schema.org#",
    "PropertyValue": "schema:PropertyValue",
    "value": "schema:value",
}
CONTEXT: list[Any] = [AS2, SECURITY_V1, MASTODON_TERMS]

ACTOR_TYPES = frozenset({"Person", "Group", "Organization", "Application", "Service"})


class VocabError(ValueError):
    """Incoming JSON that is not a usable ActivityStreams object; the message says why."""


class Envelope(msgspec.Struct, frozen=True):
    """The shape every incoming activity must have before anything else looks at it."""

    id: str
    type: str | list[str]
    actor: str | dict[str, Any] | list[Any]


ENVELOPE_DECODER = msgspec.json.Decoder(Envelope)


def has_nul(body: bytes) -> bool:
    """JSON carrying a NUL character (raw or as \\u0000): PostgreSQL cannot store it in text or jsonb,
    and no ActivityPub document needs it, so such documents are refused whole."""
    return b"\x00" in body or b"\\u0000" in body


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise ValueError(f"{literal[:20]} is too large a number")
    return value


def loads(body: bytes | str) -> Any:
    """Strict JSON: NaN, Infinity and numbers too large for a double (which Python's json turns into
    inf) are refused, since PostgreSQL's jsonb cannot store them and no ActivityPub document needs them."""
    return json.loads(body, parse_constant=_no_constant, parse_float=_finite)


def decode_envelope(body: bytes) -> Envelope:
    if has_nul(body):
        raise VocabError("NUL characters are not accepted")
    try:
        envelope = ENVELOPE_DECODER.decode(body)
    except msgspec.ValidationError as exc:
        raise VocabError(f"not an activity: {exc}") from None
    except msgspec.DecodeError:
        raise VocabError("body is not valid JSON") from None
    if id_of(envelope.actor) is None:
        raise VocabError("activity has no actor id")
    if not is_http_url(envelope.id):
        raise VocabError("activity id must be an http(s) URL")
    return envelope


def is_http_url(value: object) -> bool:
    if not isinstance(value, str) or len(value) > 2048:
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def host_of(url: str) -> str:
    return urlsplit(url).netloc.lower()


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def id_of(value: Any) -> str | None:
    """The id of a reference that may be a URL, an embedded object, or a one-element list."""
    if isinstance(value, list):
        value = value[0] if len(value) == 1 else None
    if isinstance(value, str):
        return value if is_http_url(value) else None
    if isinstance(value, Mapping):
        ref = value.get("id")
        return ref if is_http_url(ref) else None
    return None


def ids_of(value: Any) -> list[str]:
    out: list[str] = []
    for item in as_list(value):
        ref = item if isinstance(item, str) else item.get("id") if isinstance(item, Mapping) else None
        if isinstance(ref, str) and ref:
            out.append(ref)
    return out


def type_of(value: Any) -> str:
    if isinstance(value, Mapping):
        kind = value.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if isinstance(k, str)), "")
        return kind if isinstance(kind, str) else ""
    return ""


def text(value: Any, limit: int = 100_000) -> str:
    return value[:limit] if isinstance(value, str) else ""


LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8}){0,4}")
MAX_LANGUAGES = 20  # languages kept from one language map


def is_language_tag(value: object) -> bool:
    """A BCP 47 tag of the usual shape ("fr", "pt-BR", "zh-Hant-TW"); "und" is one too."""
    return isinstance(value, str) and len(value) <= 35 and LANGUAGE_TAG.fullmatch(value) is not None


def language_map(value: Any, limit: int = 100_000) -> dict[str, str]:
    """A JSON-LD language map (`contentMap`, `nameMap`, `summaryMap`) as {tag: text}, in the sender's
    order (its first key is the object's language for Mastodon). Keys that are not language tags,
    values that are not text or are blank are dropped; at most MAX_LANGUAGES languages are kept."""
    out: dict[str, str] = {}
    if not isinstance(value, Mapping):
        return out
    for key, item in list(value.items())[: MAX_LANGUAGES * 5]:
        if is_language_tag(key) and isinstance(item, str) and item.strip() and key not in out:
            out[key] = item[:limit]
            if len(out) >= MAX_LANGUAGES:
                break
    return out


def parse_datetime(value: Any) -> datetime | None:
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def iso(moment: datetime, precise: bool = False) -> str:
    """UTC ISO 8601; `precise` keeps milliseconds (for `updated`, so that two edits in one second
    can be ordered by receivers)."""
    spec = "milliseconds" if precise else "seconds"
    return moment.astimezone(timezone.utc).isoformat(timespec=spec).replace("+00:00", "Z")


def is_public(addresses: Iterable[str]) -> bool:
    return any(a in PUBLIC_ALIASES for a in addresses)


def visibility_of(to: Sequence[str], cc: Sequence[str], followers_url: str | None) -> str:
    """Mastodon's reading of addressing: public, unlisted, followers or direct."""
    if is_public(to):
        return "public"
    if is_public(cc):
        return "unlisted"
    if followers_url and followers_url in to:
        return "followers"
    return "direct"


def addressing(visibility: str, followers_url: str, mentions: Sequence[str] = ()) -> tuple[list[str], list[str]]:
    """to/cc for a visibility, with mentioned actors added where Mastodon expects them."""
    mentioned = list(dict.fromkeys(mentions))
    if visibility == "public":
        return [PUBLIC], [followers_url, *mentioned]
    if visibility == "unlisted":
        return [followers_url], [PUBLIC, *mentioned]
    if visibility == "followers":
        return [followers_url], mentioned
    return mentioned, []


def activity(kind: str, activity_id: str, actor: str, obj: Any, **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"@context": CONTEXT, "id": activity_id, "type": kind, "actor": actor, "object": obj}
    doc.update({k: v for k, v in extra.items() if v is not None})
    return doc


def tombstone(object_id: str, former_type: str, deleted: datetime) -> dict[str, Any]:
    return {"@context": AS2, "id": object_id, "type": "Tombstone", "formerType": former_type, "deleted": iso(deleted)}


def ordered_collection(collection_id: str, total: int, first: str | None) -> dict[str, Any]:
    doc: dict[str, Any] = {"@context": AS2, "id": collection_id, "type": "OrderedCollection", "totalItems": total}
    if first:
        doc["first"] = first
    return doc


def ordered_page(page_id: str, part_of: str, items: list[Any], next_page: str | None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": AS2,
        "id": page_id,
        "type": "OrderedCollectionPage",
        "partOf": part_of,
        "orderedItems": items,
    }
    if next_page:
        doc["next"] = next_page
    return doc
