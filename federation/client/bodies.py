"""Reading replies: bounded bodies, media type and charset."""

from __future__ import annotations

from dataclasses import dataclass

import httpx2

from federation.client.errors import FetchError


def media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _charset(content_type: str) -> str:
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            return value.strip().strip('"')
    return "utf-8"


def decode(body: bytes, content_type: str) -> str:
    try:
        return body.decode(_charset(content_type), errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class Reply:
    url: str
    status: int
    headers: httpx2.Headers
    body: bytes


async def read_body(response: httpx2.Response, limit: int, *, strict: bool) -> bytes:
    """Read at most ``limit`` bytes; over the limit raise (strict) or truncate."""
    declared = response.headers.get("content-length", "")
    if strict and declared.isdigit() and int(declared) > limit:
        raise FetchError("response too large", response.status_code)
    buf = bytearray()
    async for chunk in response.aiter_bytes():
        buf += chunk
        if len(buf) > limit:
            if strict:
                raise FetchError("response too large", response.status_code)
            return bytes(buf[:limit])
    return bytes(buf)
