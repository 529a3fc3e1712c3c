"""The static files (templates/static/): served with long cache lifetimes when asked by their hashed
address.

Pages link a static file as `static_url("agora.css")`, that is `/static/agora.css?v=<hash>`, the
hash being the file's content digest (recomputed when the file changes on disk). A request carrying
the current hash is answered with `Cache-Control: public, max-age=31536000, immutable`: a browser
keeps the file for a year and never asks again, and a new version has a new address. Without the
hash, or with an old one, the file is revalidated after five minutes (ETag and Last-Modified as
Starlette sends them)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from jinja2 import Environment
from starlette.responses import Response
from starlette.staticfiles import PathLike, StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).resolve().parents[2] / "templates" / "static"
IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=300"
_hashes: dict[str, tuple[float, int, str]] = {}  # file name -> (mtime, size, hash)


def file_hash(name: str, directory: Path = STATIC_DIR) -> str:
    """The first 12 hex digits of the file's SHA-256, cached until its mtime or size change."""
    path = directory / name
    stat = path.stat()
    known = _hashes.get(str(path))
    if known is not None and known[0] == stat.st_mtime and known[1] == stat.st_size:
        return known[2]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    _hashes[str(path)] = (stat.st_mtime, stat.st_size, digest)
    return digest


def static_url(name: str) -> str:
    """The hashed address of a static file, for pages."""
    return f"/static/{name}?v={file_hash(name)}"


def install(env: Environment) -> None:
    env.globals["static_url"] = static_url


def _query_version(scope: Scope) -> str:
    for part in scope.get("query_string", b"").decode("latin-1").split("&"):
        if part.startswith("v="):
            return part[2:]
    return ""


class HashedStaticFiles(StaticFiles):
    """Starlette's static files, with the Cache-Control described above."""

    def file_response(self, full_path: PathLike, stat_result: os.stat_result, scope: Scope,
                      status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        wanted = _query_version(scope)
        current = ""
        if wanted:
            try:
                current = file_hash(os.path.basename(str(full_path)), Path(str(full_path)).parent)
            except OSError:
                current = ""
        response.headers["Cache-Control"] = IMMUTABLE if wanted and wanted == current else SHORT
        return response


def static_files(**kwargs: Any) -> HashedStaticFiles:
    return HashedStaticFiles(directory=str(STATIC_DIR), **kwargs)
