"""Stored pictures: an uploaded image (processed by `node.core.images`) kept under `<data_dir>/media/` as
`<key>-<width>.<ext>`, the Media row that maps widths to file names, and their URLs and attachments."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import secrets
import tempfile
from pathlib import Path
from typing import Any

from node.core.images import MediaError as MediaError
from node.core.images import Processed, process
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


def write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_files(directory: Path, names: dict[int, str], processed: Processed) -> None:
    for width, name in names.items():
        write_atomically(directory / name, processed.variants[width])


def _remove_files(directory: Path, names: dict[int, str]) -> None:
    for name in names.values():
        (directory / name).unlink(missing_ok=True)


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
    directory = media_dir(node)
    await asyncio.to_thread(_write_files, directory, names, processed)
    try:
        media = await Media.create(
            key=key, owner=owner, media_type=processed.media_type, width=processed.width,
            height=processed.height, size=len(processed.variants[max(processed.variants)]), alt=description,
            blurhash=processed.blurhash, variants={str(w): n for w, n in names.items()},
        )
    except BaseException:
        await asyncio.to_thread(_remove_files, directory, names)
        raise
    log.info("stored media %s (%s, %dx%d, from %r)", key, processed.media_type, processed.width,
             processed.height, filename[:100])
    return media


async def get_media(node: Node, key: str) -> Media | None:
    if not isinstance(key, str) or not re.fullmatch(r"[A-Za-z0-9_-]{16,64}", key):
        return None
    return await Media.get_or_none(key=key)


async def media_for_url(node: Node, url: str) -> Media | None:
    """The Media row behind one of our /media/ URLs (any width), or None."""
    prefix = f"{node.settings.base_url}/media/"
    if not isinstance(url, str) or not url.startswith(prefix):
        return None
    match = FILE_NAME.fullmatch(url[len(prefix):])
    return await get_media(node, match.group(1)) if match else None


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
        return f"{node.settings.base_url}/media/{file_name(media.key, media.width, media.media_type)}"
    chosen = sizes[-1][1]
    if width is not None:
        chosen = next((name for w, name in sizes if w >= width), chosen)
    return f"{node.settings.base_url}/media/{chosen}"


def srcset(node: Node, media: Media) -> str:
    """`srcset` attribute value: every stored size with its width."""
    return ", ".join(f"{node.settings.base_url}/media/{name} {w}w" for w, name in _widths(media))


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
    await asyncio.to_thread(_remove_files, media_dir(node), names)
