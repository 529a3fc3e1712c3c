"""What the ActivityPub GET routes answer with: AS2 documents, 404s, paged ordered collections."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from federation import vocab
from node.activitypub.doc_cache import Entry, entry
from node.core.runtime import Node

PAGE_SIZE = 20
AS2_TYPE = 'application/activity+json'
HtmlView = Callable[[Request], Awaitable[Response]]


AS2_HEADERS = {"Vary": "Accept", "Cache-Control": "max-age=60"}
TEXT_TYPE = "text/plain; charset=utf-8"


def encode(content: Any) -> bytes:
    """Compact JSON, as every AS2 and JRD answer is sent."""
    return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()


class AS2Response(Response):
    media_type = AS2_TYPE

    def render(self, content: Any) -> bytes:
        return encode(content)


def as2(doc: Any, status: int = 200) -> Response:
    return AS2Response(doc, status_code=status, headers=AS2_HEADERS)


def not_found(reason: str = "not found") -> Response:
    return PlainTextResponse(reason + "\n", status_code=404, headers={"Vary": "Accept"})


def as2_entry(doc: Any, status: int = 200) -> Entry:
    """What `as2(doc, status)` answers, encoded once for the document cache."""
    return entry(status, encode(doc), AS2_TYPE, AS2_HEADERS, doc)


def not_found_entry(reason: str = "not found") -> Entry:
    return entry(404, (reason + "\n").encode(), TEXT_TYPE, {"Vary": "Accept"})


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 13.1.2: `*` or any listed validator equal to ours, compared weakly."""
    if not if_none_match or not etag:
        return False
    if if_none_match.strip() == "*":
        return True
    ours = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == ours for tag in if_none_match.split(","))


def answer(request: Request, found: Entry) -> Response:
    """A cached entry as the response: its bytes (compressed once, when the client takes gzip), or 304
    when the client holds them already."""
    headers = dict(found.headers)
    if found.gzipped:
        headers["Vary"] = headers.get("Vary", "") + ", Accept-Encoding" if "Vary" in headers else "Accept-Encoding"
    if found.etag:
        headers["ETag"] = found.etag
        if etag_matches(request.headers.get("if-none-match"), found.etag):
            return Response(status_code=304, headers=headers)
    if found.gzipped and "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(found.gzipped, status_code=found.status, media_type=found.media_type, headers=headers)
    return Response(found.body, status_code=found.status, media_type=found.media_type, headers=headers)


def node_of(request: Request) -> Node:
    node: Node = request.app.state.node
    return node


def page_number(request: Request) -> int | None:
    raw = request.query_params.get("page")
    if raw is None:
        return None
    return int(raw) if raw.isdigit() and 0 < int(raw) < 100_000 else 1


def collection(collection_id: str, total: int, page: int | None, items: list[Any], more: bool) -> Response:
    if page is None:
        return as2(vocab.ordered_collection(collection_id, total, f"{collection_id}?page=1"))
    next_page = f"{collection_id}?page={page + 1}" if more else None
    return as2(vocab.ordered_page(f"{collection_id}?page={page}", collection_id, items, next_page))
