"""Stored pictures: an uploaded image (processed by `node.core.images`) kept as `<key>-<width>.<ext>` in
the media store (node/core/media_store.py: `<data_dir>/media/`, or an S3-compatible bucket), the Media
row that maps widths to file names, and their URLs and attachments.

URLs are `<base_url>/media/<file>`, except with an S3 store that has a public URL, where pages and
documents link `<s3_public_url>/<s3_prefix><file>` directly; `GET /media/<file>` answers from the disk,
or redirects to the bucket (its public URL, or a signed URL of `s3_url_seconds`)."""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from pathlib import Path
from typing import Any

from node.core.images import MediaError as MediaError
from node.core.images import process
from node.core.media_store import S3Store, Store, StoreError, open_store
from node.core.media_store import write_atomically as write_atomically
from node.core.models import Actor, Media
from node.core.runtime import Node

log = logging.getLogger("agora.media")

MAX_ALT = 1500
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif"}
CONTENT_TYPES = {ext: media_type for media_type, ext in EXTENSIONS.items()}
FILE_NAME = re.compile(r"^([A-Za-z0-9_-]{16,64})-([0-9]{1,5})\.(jpg|png|webp|gif)$")


def check_alt(alt: str) -> str:
    text = " ".join(alt.split()) if alt else ""
    if not text:
        raise MediaError("Describe the image in the alt text: people who cannot see it rely on it.")
    if len(text) > MAX_ALT:
        raise MediaError(f"The alt text is longer than {MAX_ALT} characters.")
    return text


def media_dir(node: Node) -> Path:
    return Path(node.settings.data_dir) / "media"


def file_name(key: str, width: int, media_type: str) -> str:
    return f"{key}-{width}.{EXTENSIONS[media_type]}"


def store_of(node: Node) -> Store:
    """The node's media store (one per settings, kept in `node.extra`: its S3 client is made once)."""
    stores: dict[tuple[Any, ...], Store] = node.extra.setdefault("media_stores", {})
    key = (node.settings.media, node.settings.data_dir)
    store = stores.get(key)
    if store is None:
        store = stores[key] = open_store(node.settings.media, media_dir(node))
    return store


def resolve_file(node: Node, name: str) -> Path | None:
    """The path of a stored media file from a requested name, or None (strict name, inside media/)."""
    if not FILE_NAME.fullmatch(name):
        return None
    directory = media_dir(node).resolve()
    path = (directory / name).resolve()
    if path.parent != directory or not path.is_file():
        return None
    return path


async def store_upload(node: Node, owner: Actor | None, data: bytes, alt: str, filename: str = "") -> Media:
    """Check, clean, resize and store an uploaded image. Raises MediaError with a reason a person can
    act on. `filename` is only informative: the content decides what the file is."""
    description = check_alt(alt)
    limits = node.settings.media
    if not data:
        raise MediaError("The file is empty.")
    if len(data) > limits.max_upload_bytes:
        raise MediaError(f"The file is larger than {limits.max_upload_bytes // 1_000_000} MB.")
    processed = await asyncio.to_thread(process, data, limits)
    key = secrets.token_urlsafe(16)
    names = {width: file_name(key, width, processed.media_type) for width in processed.variants}
    store = store_of(node)
    try:
        await store.put({name: (processed.variants[width], processed.media_type) for width, name in names.items()})
    except StoreError as exc:
        log.error("media %s not stored: %s", key, exc)
        raise MediaError("The picture could not be stored; try again later.") from None
    try:
        media = await Media.create(
            key=key, owner=owner, media_type=processed.media_type, width=processed.width,
            height=processed.height, size=len(processed.variants[max(processed.variants)]), alt=description,
            blurhash=processed.blurhash, variants={str(w): n for w, n in names.items()},
        )
    except BaseException:
        await store.delete(names.values())
        raise
    log.info("stored media %s (%s, %dx%d, from %r)", key, processed.media_type, processed.width,
             processed.height, filename[:100])
    return media


async def get_media(node: Node, key: str) -> Media | None:
    if not isinstance(key, str) or not re.fullmatch(r"[A-Za-z0-9_-]{16,64}", key):
        return None
    return await Media.get_or_none(key=key)


def _prefixes(node: Node) -> list[str]:
    """What our picture URLs start with: /media/ on the node, and the bucket's public URL, if any."""
    prefixes = [f"{node.settings.base_url}/media/"]
    store = store_of(node)
    if isinstance(store, S3Store) and (public := store.public_url("")):
        prefixes.append(public)
    return prefixes


async def media_for_url(node: Node, url: str) -> Media | None:
    """The Media row behind one of our picture URLs (any width), or None."""
    if not isinstance(url, str):
        return None
    for prefix in _prefixes(node):
        if url.startswith(prefix) and (match := FILE_NAME.fullmatch(url[len(prefix):])):
            return await get_media(node, match.group(1))
    return None


def file_url(node: Node, name: str) -> str:
    """The address pages and documents give for a stored file."""
    store = store_of(node)
    public = store.public_url(name) if isinstance(store, S3Store) else None
    return public or f"{node.settings.base_url}/media/{name}"


async def object_redirect(node: Node, name: str) -> tuple[str, str] | None:
    """With an S3 store: where `GET /media/<name>` sends the client, and the Cache-Control of that
    redirect; None for an unknown file (no Media row names it)."""
    store = store_of(node)
    match = FILE_NAME.fullmatch(name)
    if not isinstance(store, S3Store) or match is None:
        return None
    media = await get_media(node, match.group(1))
    if media is None or name not in {str(n) for n in (media.variants or {}).values()}:
        return None
    public = store.public_url(name)
    if public:
        return public, "public, max-age=86400"
    lifetime = min(3600, node.settings.media.s3_url_seconds // 2)
    return await store.signed_url(name), f"private, max-age={lifetime}"


def _widths(media: Media) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for width, name in (media.variants or {}).items():
        try:
            found.append((int(width), str(name)))
        except (TypeError, ValueError):
            continue
    return sorted(found)


def media_url(node: Node, media: Media, width: int | None = None) -> str:
    """The URL of the largest size, or of the smallest size at least `width` wide."""
    sizes = _widths(media)
    if not sizes:
        return file_url(node, file_name(media.key, media.width, media.media_type))
    chosen = sizes[-1][1]
    if width is not None:
        chosen = next((name for w, name in sizes if w >= width), chosen)
    return file_url(node, chosen)


def srcset(node: Node, media: Media) -> str:
    """`srcset` attribute value: every stored size with its width."""
    return ", ".join(f"{file_url(node, name)} {w}w" for w, name in _widths(media))


def attachment_doc(node: Node, media: Media) -> dict[str, Any]:
    """The ActivityStreams attachment for a post, event or initiative (what Mastodon reads)."""
    doc: dict[str, Any] = {
        "type": "Document",
        "mediaType": media.media_type,
        "url": media_url(node, media),
        "name": media.alt,
        "width": media.width,
        "height": media.height,
    }
    if media.blurhash:
        doc["blurhash"] = media.blurhash
    return doc


async def delete_media(node: Node, media: Media) -> None:
    """Remove a media row and its files."""
    names = {int(w): n for w, n in _widths(media)}
    await media.delete()
    try:
        await store_of(node).delete(names.values())
    except StoreError as exc:  # the row is gone: a leftover object costs space, not correctness
        log.warning("media %s: files not deleted from the store: %s", media.key, exc)
