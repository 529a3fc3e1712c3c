"""What the ActivityPub GET routes answer with: AS2 documents, 404s, paged ordered collections."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from federation import vocab
from node.core.runtime import Node

PAGE_SIZE = 20
AS2_TYPE = 'application/activity+json'
HtmlView = Callable[[Request], Awaitable[Response]]


class AS2Response(Response):
    media_type = AS2_TYPE

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()


def as2(doc: Any, status: int = 200) -> Response:
    return AS2Response(doc, status_code=status, headers={"Vary": "Accept", "Cache-Control": "max-age=60"})


def not_found(reason: str = "not found") -> Response:
    return PlainTextResponse(reason + "\n", status_code=404, headers={"Vary": "Accept"})


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
