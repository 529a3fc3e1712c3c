"""Thread pages as visitors see them, rendered once and served from memory for a moment.

A thread's first page is what search engines, link previews and people following a shared link ask
for, all of them without an account; Discourse answers them from its anonymous cache the same way.
Only a request that could not see anything personal is served from here: no signed-in member in the
session, no admin notice waiting, and no query beyond `page`. The key is what the page depends on
for such a reader: the path and query, the language cookie and `Accept-Language`.

The one personal thing in a visitor's page is the CSRF token of its forms (the language switcher,
the sign-in link's form): the stored body has a placeholder in its place, and each answer puts the
reader's own token back, so their session cookie and their forms still agree.

Freshness: an entry rendered before a change in this process (freshness.py) is a miss; in other
processes an entry lives CACHE_SECONDS. Entries are bounded (MAX_ENTRIES, least recently used
dropped first) and kept per node (`node.extra`)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response

from node.core import i18n
from node.forum import freshness
from node.web import auth
from node.web.admin_access import FLASH
from node.web.pages import node_of

CACHE_SECONDS = 2.0
MAX_ENTRIES = 512
PLACEHOLDER = b"\x00csrf\x00"  # no rendered page holds a NUL byte
_EXTRA = "forum_pages_cache"
_LEFT_OUT = {"content-length", "set-cookie"}
clock: Callable[[], float] = time.monotonic  # replaced by tests that step over the TTL

Key = tuple[str, str, str, str]


@dataclass(frozen=True)
class Stored:
    body: bytes
    headers: tuple[tuple[str, str], ...]
    generation: int
    expires: float


@dataclass
class PageCache:
    entries: OrderedDict[Key, Stored] = field(default_factory=OrderedDict)

    def get(self, key: Key, now: float) -> Stored | None:
        found = self.entries.get(key)
        if found is None:
            return None
        if found.expires <= now or found.generation != freshness.generation():
            del self.entries[key]
            return None
        self.entries.move_to_end(key)
        return found

    def put(self, key: Key, stored: Stored) -> None:
        self.entries[key] = stored
        self.entries.move_to_end(key)
        while len(self.entries) > MAX_ENTRIES:
            self.entries.popitem(last=False)


def cache_of(request: Request) -> PageCache:
    extra = node_of(request).extra
    cache = extra.get(_EXTRA)
    if not isinstance(cache, PageCache):
        cache = extra[_EXTRA] = PageCache()
    return cache


def visitor_key(request: Request) -> Key | None:
    """The key of a request that sees the page as any visitor would, or None."""
    if request.method != "GET" or "uid" in request.session or FLASH in request.session:
        return None
    if any(name != "page" for name in request.query_params):
        return None
    return (request.url.path, request.url.query, request.cookies.get(i18n.COOKIE, ""),
            request.headers.get("accept-language", "")[:200])


def answer(stored: Stored, token: str) -> Response:
    response = Response(stored.body.replace(PLACEHOLDER, token.encode()), status_code=200)
    for name, value in stored.headers:
        response.headers.append(name, value)
    return response


async def visitor_page(request: Request, build: Callable[[Request], Awaitable[Response]]) -> Response:
    """The page from the cache for a visitor, or `build`'s answer (stored when it is a 200 for one)."""
    key = visitor_key(request)
    if key is None:
        return await build(request)
    cache, now = cache_of(request), clock()
    found = cache.get(key, now)
    if found is not None:
        return answer(found, auth.csrf_token(request))
    generation = freshness.generation()  # read before building: a change during the build is a later miss
    response = await build(request)
    token = request.session.get("csrf")
    if response.status_code == 200 and isinstance(token, str) and isinstance(response.body, bytes):
        headers = tuple((k, v) for k, v in response.headers.items() if k.lower() not in _LEFT_OUT)
        cache.put(key, Stored(response.body.replace(token.encode(), PLACEHOLDER), headers, generation, now + CACHE_SECONDS))
    return response
