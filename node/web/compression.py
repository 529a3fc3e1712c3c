"""Compressed answers: gzip (Starlette's middleware, level 6) for every response of 500 bytes or more
whose client accepts it, except those already encoded (the document cache sends its own gzip copy,
node/activitypub/doc_cache.py) and images, archives and other compressed types. Brotli is left out:
gzip is what every peer and browser takes, and the pages are small."""

from __future__ import annotations

from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp

MINIMUM_SIZE = 500
LEVEL = 6  # level 9 costs about twice the CPU for 1-2 % fewer bytes on HTML


class Compression(GZipMiddleware):
    def __init__(self, app: ASGIApp) -> None:
        super().__init__(app, minimum_size=MINIMUM_SIZE, compresslevel=LEVEL)
