"""Remote objects as they arrive: tolerant typed parsers for actors, notes and their attachments."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from federation.vocab import (
    ACTOR_TYPES, VocabError, as_list, host_of, id_of, ids_of, is_http_url, language_map, parse_datetime, text, type_of,
)

MAX_ATTACHMENTS = 10


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
        url=first_url(doc.get("url")),
        icon=first_url(doc.get("icon")),
        manually_approves_followers=doc.get("manuallyApprovesFollowers") is True,
        key=_parse_key(doc, actor_id),
    )


def first_url(value: Any) -> str | None:
    for item in as_list(value):
        if isinstance(item, str) and is_http_url(item):
            return item
        if isinstance(item, Mapping):
            ref = item.get("url") if "url" in item else item.get("href")
            found = first_url(ref)
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


def parse_attachments(value: Any) -> list[dict[str, Any]]:
    """Media attached to a note, as plain documents: {type, url, mediaType?, name? (the alt text),
    width?, height?, blurhash?}. Entries without an http(s) URL are dropped."""
    out: list[dict[str, Any]] = []
    for item in as_list(value)[: MAX_ATTACHMENTS * 3]:
        if not isinstance(item, Mapping):
            continue
        url = first_url(item.get("url") if "url" in item else item.get("href"))
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
        url=first_url(doc.get("url")),
        to=ids_of(doc.get("to")),
        cc=ids_of(doc.get("cc")),
        tags=tags,
        language=language,
        summary_map=summary_map or None,
        name_map=name_map or None,
        attachments=parse_attachments(doc.get("attachment")),
    )
