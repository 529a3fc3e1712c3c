"""JSON-LD processing (pyld) with a frozen, offline document loader.

Every operation here resolves remote ``@context`` URLs exclusively from the
context documents bundled in ``federation/contexts/`` (see SOURCES.md there).
Any other URL is refused with :class:`JsonLdError`; the network is never used.

Guards, in order:

1. every pyld call made by this module passes :func:`document_loader`
   explicitly, together with a private context resolver whose cache only this
   module fills (so nothing another pyld user cached can leak in);
2. at import, pyld's process-wide default loader (a network loader) is
   replaced with :func:`document_loader`.
"""

from __future__ import annotations

import copy
import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from pyld import jsonld as _pyld  # type: ignore[import-untyped]
from pyld.context_resolver import ContextResolver as _ContextResolver  # type: ignore[import-untyped]

__all__ = [
    "BUNDLED_CONTEXTS",
    "JsonLdError",
    "canonize",
    "compact",
    "document_loader",
    "expand",
    "is_supported_context",
]


class JsonLdError(Exception):
    """A JSON-LD document could not be processed (short reason in ``str()``)."""


_CONTEXT_DIR: Final = Path(__file__).resolve().parent / "contexts"

# Canonical (https) URL -> bundled file name.
BUNDLED_CONTEXTS: Final[Mapping[str, str]] = {
    "https://www.w3.org/ns/activitystreams": "activitystreams.jsonld",
    "https://w3id.org/security/v1": "security-v1.jsonld",
    "https://w3id.org/identity/v1": "identity-v1.jsonld",
    "https://w3id.org/security/data-integrity/v1": "data-integrity-v1.jsonld",
    "https://w3id.org/security/multikey/v1": "multikey-v1.jsonld",
}


def _load_bundle() -> dict[str, dict[str, Any]]:
    """Parse every bundled context once; keyed by URL without scheme."""
    docs: dict[str, dict[str, Any]] = {}
    for url, name in BUNDLED_CONTEXTS.items():
        with (_CONTEXT_DIR / name).open(encoding="utf-8") as fh:
            parsed = json.load(fh)
        if not isinstance(parsed, dict) or "@context" not in parsed:
            raise RuntimeError(f"bundled JSON-LD context {name} is malformed")
        docs[url.removeprefix("https://")] = parsed
    return docs


_DOCUMENTS: Final[dict[str, dict[str, Any]]] = _load_bundle()


def _bundle_key(url: str) -> str | None:
    """Map a context URL onto a bundle key, or None if it is not bundled.

    Accepted variants: ``http`` or ``https`` scheme (case-insensitive scheme
    and host), an empty trailing fragment (``…#``) and a ``.jsonld`` suffix.
    Anything else (query strings, other fragments, other paths) is refused.
    """
    if not isinstance(url, str):
        return None
    scheme, sep, rest = url.strip().partition("://")
    if not sep or scheme.lower() not in ("http", "https"):
        return None
    if rest.endswith("#"):
        rest = rest[:-1]
    if rest.endswith(".jsonld"):
        rest = rest[: -len(".jsonld")]
    host, slash, path = rest.partition("/")
    key = host.lower() + slash + path
    return key if key in _DOCUMENTS else None


def is_supported_context(url: str) -> bool:
    """True if ``url`` is answered by the bundled, offline document loader."""
    return _bundle_key(url) is not None


def document_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """pyld document loader answering only from the bundle; never the network.

    Returns a pyld RemoteDocument dict.  ``tag: "static"`` lets pyld keep the
    resolved context in (our private) resolver cache.
    """
    key = _bundle_key(url)
    if key is None:
        raise JsonLdError(f"JSON-LD context not bundled: {str(url)[:200]}")
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        # pyld may rewrite URLs inside a fetched context in place: hand out a copy.
        "document": copy.deepcopy(_DOCUMENTS[key]),
        "tag": "static",
    }


# Second guard: pyld's process-wide default loader must never be a network one.
_pyld.set_document_loader(document_loader)


class _BoundedCache:
    """Small thread-safe LRU mapping used as pyld's resolved-context cache.

    Private to this module so that only contexts resolved through
    :func:`document_loader` (or inline maps) are ever served from it; bounded so
    that many distinct inline contexts from remote peers cannot grow it forever.
    """

    def __init__(self, maxsize: int) -> None:
        self._maxsize = maxsize
        self._data: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, default: Any = None) -> Any:
        with self._lock:
            if key not in self._data:
                return default
            self._data.move_to_end(key)
            return self._data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self._maxsize:
                self._data.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._data)


_RESOLVED_CONTEXTS: Final = _BoundedCache(maxsize=256)

# pyld keeps per-context LRU caches (cachetools, not thread-safe) inside the
# resolved contexts shared through _RESOLVED_CONTEXTS.  pyld is pure Python and
# holds the GIL anyway, so serialising calls costs no real parallelism.
_PYLD_LOCK: Final = threading.RLock()


def _options(**extra: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "documentLoader": document_loader,
        # A fresh resolver per operation (its per-operation cache is not
        # thread-safe), sharing our private bounded cache.
        "contextResolver": _ContextResolver(_RESOLVED_CONTEXTS, document_loader),
    }
    options.update(extra)
    return options


def _plain(value: Any) -> Any:
    """Deep-copy JSON-like data into plain dicts/lists (pyld wants dict/list)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


_MAX_REASON: Final = 200


def _reason(exc: BaseException) -> str:
    """Short reason for ``exc``.

    Our own loader's message wins if it is anywhere in the cause chain;
    otherwise the innermost pyld error (the most specific one) is used.
    """
    chain: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and all(cur is not seen for seen in chain):
        if isinstance(cur, JsonLdError):
            return str(cur)[:_MAX_REASON]
        chain.append(cur)
        cur = cur.__cause__ or cur.__context__
    pyld_errors = [e for e in chain if isinstance(e, _pyld.JsonLdError)]
    if pyld_errors:
        inner = pyld_errors[-1]
        message = str(inner.args[0]) if inner.args else "JSON-LD error"
        code = getattr(inner, "code", None)
        text = f"{message} ({code})" if code else message
    elif isinstance(exc, RecursionError):
        text = "JSON-LD document nested too deeply"
    else:
        text = f"invalid JSON-LD document: {type(exc).__name__}: {exc}"
    return text[:_MAX_REASON]


def expand(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """JSON-LD expansion using only bundled contexts."""
    try:
        with _PYLD_LOCK:
            result = _pyld.expand(_plain(doc), _options())
    except Exception as exc:
        raise JsonLdError(_reason(exc)) from exc
    if not isinstance(result, list):
        raise JsonLdError("JSON-LD expansion did not produce a list")
    return result


def compact(doc: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """JSON-LD compaction against ``context`` (URL, inline map, or a list)."""
    try:
        with _PYLD_LOCK:
            result = _pyld.compact(_plain(doc), _plain(context), _options())
    except Exception as exc:
        raise JsonLdError(_reason(exc)) from exc
    if not isinstance(result, dict):
        raise JsonLdError("JSON-LD compaction did not produce an object")
    return result


def canonize(doc: Mapping[str, Any]) -> str:
    """URDNA2015 canonical N-Quads of ``doc`` (the input of LD signatures)."""
    try:
        with _PYLD_LOCK:
            result = _pyld.normalize(
                _plain(doc),
                _options(algorithm="URDNA2015", format="application/n-quads"),
            )
    except Exception as exc:
        raise JsonLdError(_reason(exc)) from exc
    if not isinstance(result, str):
        raise JsonLdError("JSON-LD canonicalization did not produce N-Quads")
    return result
