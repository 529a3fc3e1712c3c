"""The objects we speak: builders for what we send, tolerant typed parsers for what arrives."""

from __future__ import annotations

import json
import math

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
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
MAX_ATTACHMENTS = 10


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


def parse_attachments(value: Any) -> list[dict[str, Any]]:
    """Media attached to a note, as plain documents: {type, url, mediaType?, name? (the alt text),
    width?, height?, blurhash?}. Entries without an http(s) URL are dropped."""
    out: list[dict[str, Any]] = []
    for item in as_list(value)[: MAX_ATTACHMENTS * 3]:
        if not isinstance(item, Mapping):
            continue
        url = _first_url(item.get("url") if "url" in item else item.get("href"))
        if url is None:
            continue
        doc: dict[str, Any] = {"type": (type_of(item) or "Document")[:32], "url": url}
        media_type = item.get("mediaType")
        if isinstance(media_type, str) and 0 < len(media_type) <= 100:
            doc["mediaType"] = media_type
        name = text(item.get("name"), 1_500).strip()
        if name:
            doc["name"] = name
        for key in ("width", "height"):
            size = item.get(key)
            if isinstance(size, int) and not isinstance(size, bool) and 0 < size <= 100_000:
                doc[key] = size
        blurhash = item.get("blurhash")
        if isinstance(blurhash, str) and 0 < len(blurhash) <= 100:
            doc["blurhash"] = blurhash
        out.append(doc)
        if len(out) >= MAX_ATTACHMENTS:
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


# ---------------------------------------------------------------- parsed remote objects


@dataclass(frozen=True)
class ActorKey:
    key_id: str
    owner: str
    pem: str


@dataclass(frozen=True)
class RemoteActor:
    id: str
    type: str
    preferred_username: str | None
    name: str
    summary: str
    inbox: str
    shared_inbox: str | None
    followers: str | None
    url: str | None
    icon: str | None
    manually_approves_followers: bool
    key: ActorKey | None


def parse_actor(doc: Mapping[str, Any]) -> RemoteActor:
    actor_id = id_of(doc)
    if actor_id is None:
        raise VocabError("actor has no id")
    kind = type_of(doc)
    if kind not in ACTOR_TYPES:
        raise VocabError(f"not an actor type: {kind!r}")
    inbox = doc.get("inbox")
    if not isinstance(inbox, str) or not is_http_url(inbox):
        raise VocabError("actor has no inbox")
    endpoints = doc.get("endpoints")
    shared = endpoints.get("sharedInbox") if isinstance(endpoints, Mapping) else None
    return RemoteActor(
        id=actor_id,
        type=kind,
        preferred_username=text(doc.get("preferredUsername"), 255) or None,
        name=text(doc.get("name"), 512),
        summary=text(doc.get("summary"), 10_000),
        inbox=inbox,
        shared_inbox=shared if is_http_url(shared) else None,
        followers=id_of(doc.get("followers")),
        url=_first_url(doc.get("url")),
        icon=_first_url(doc.get("icon")),
        manually_approves_followers=doc.get("manuallyApprovesFollowers") is True,
        key=_parse_key(doc, actor_id),
    )


def _first_url(value: Any) -> str | None:
    for item in as_list(value):
        if isinstance(item, str) and is_http_url(item):
            return item
        if isinstance(item, Mapping):
            ref = item.get("url") if "url" in item else item.get("href")
            found = _first_url(ref)
            if found:
                return found
    return None


def _parse_key(doc: Mapping[str, Any], actor_id: str) -> ActorKey | None:
    for key in as_list(doc.get("publicKey")):
        if not isinstance(key, Mapping):
            continue
        pem, key_id = key.get("publicKeyPem"), key.get("id")
        owner = key.get("owner", actor_id)
        if (
            isinstance(pem, str)
            and isinstance(key_id, str)
            and owner == actor_id
            and host_of(key_id) == host_of(actor_id)  # no actor may claim another host's key id
        ):
            return ActorKey(key_id=key_id, owner=actor_id, pem=pem)
    return None


@dataclass(frozen=True)
class RemoteNote:
    id: str
    type: str
    attributed_to: str
    content: str
    content_map: dict[str, str] | None
    summary: str
    sensitive: bool
    in_reply_to: str | None
    published: datetime | None
    updated: datetime | None
    url: str | None
    to: list[str]
    cc: list[str]
    tags: list[dict[str, Any]] = field(default_factory=list)
    language: str | None = None
    summary_map: dict[str, str] | None = None  # {language: content warning}
    name_map: dict[str, str] | None = None
    attachments: list[dict[str, Any]] = field(default_factory=list)


CONTENT_TYPES = frozenset({"Note", "Article", "Page", "Question", "Event", "Image", "Video", "Audio"})


def parse_note(doc: Mapping[str, Any]) -> RemoteNote:
    note_id = id_of(doc)
    if note_id is None:
        raise VocabError("object has no id")
    kind = type_of(doc)
    if kind not in CONTENT_TYPES:
        raise VocabError(f"unsupported object type {kind!r}")
    author = id_of(doc.get("attributedTo")) or next(iter(ids_of(doc.get("attributedTo"))), None)
    if author is None:
        raise VocabError("object has no attributedTo")
    content_map = language_map(doc.get("contentMap"))
    summary_map = language_map(doc.get("summaryMap"), 10_000)
    name_map = language_map(doc.get("nameMap"), 1_000)
    content = text(doc.get("content")) or next(iter(content_map.values()), "")
    summary = (
        text(doc.get("summary"), 10_000) or next(iter(summary_map.values()), "")
        or text(doc.get("name"), 1000) or next(iter(name_map.values()), "")
    )
    tags = [dict(t) for t in as_list(doc.get("tag")) if isinstance(t, Mapping)][:100]
    # Mastodon's reading is the first key of contentMap, else of nameMap, else of summaryMap. A stored
    # copy may have lost the key order (PostgreSQL's jsonb sorts keys), so the language whose text is
    # the plain `content` (what senders put there: their default language) is taken first.
    language = next((k for k, v in content_map.items() if v == text(doc.get("content"))), None)
    language = language or next(iter(content_map or name_map or summary_map), None)
    return RemoteNote(
        id=note_id,
        type=kind,
        attributed_to=author,
        content=content,
        content_map=content_map or None,
        summary=summary,
        sensitive=doc.get("sensitive") is True,
        in_reply_to=id_of(doc.get("inReplyTo")),
        published=parse_datetime(doc.get("published")),
        updated=parse_datetime(doc.get("updated")),
        url=_first_url(doc.get("url")),
        to=ids_of(doc.get("to")),
        cc=ids_of(doc.get("cc")),
        tags=tags,
        language=language,
        summary_map=summary_map or None,
        name_map=name_map or None,
        attachments=parse_attachments(doc.get("attachment")),
    )


# ---------------------------------------------------------------- builders


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
