"""What both signature schemes share: the result and key types, the internal refusal, header folding,
URL and clock helpers."""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Literal, TypeAlias
from urllib.parse import SplitResult, urlsplit

Scheme: TypeAlias = Literal["cavage", "rfc9421"]


@dataclass(frozen=True)
class SignatureResult:
    ok: bool
    reason: str  # "" when ok; short human-readable reason otherwise
    scheme: Literal["cavage", "rfc9421", "none"]
    key_id: str | None
    owner: str | None = None  # the key's owner actor id (set by verify_with_keys)


@dataclass(frozen=True)
class PublicKey:
    key_id: str
    owner: str
    pem: str


KeyFetcher = Callable[[str, bool], Awaitable[PublicKey | None]]  # (key_id, refresh)

DEFAULT_MAX_SKEW = 3600.0
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_MAX_REASON = 200


class Refused(ValueError):
    """Internal: verification refused.  ``key_related`` means a key refresh may help."""

    def __init__(self, reason: str, *, key_related: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason[:_MAX_REASON]
        self.key_related = key_related


def current_time(now: float | None) -> float:
    return time.time() if now is None else now


def fold_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Lower-cased names; repeated fields (multi-dicts, case variants) joined with ", "."""
    folded: dict[str, list[str]] = {}
    for name, value in headers.items():
        folded.setdefault(name.strip().lower(), []).append(value.strip())
    return {name: ", ".join(values) for name, values in folded.items()}


def b64decode(value: str, what: str) -> bytes:
    try:
        return base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Refused(f"malformed {what} (bad base64)") from exc


def split_url(url: str) -> SplitResult:
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise Refused("invalid request URL") from exc
    if not parts.scheme or not parts.netloc:
        raise Refused("invalid request URL")
    return parts


def normalize_authority(authority: str, scheme: str) -> str:
    host = authority.rpartition("@")[2].strip().lower().rstrip(":")
    default_port = {"http": ":80", "https": ":443"}.get(scheme.lower())
    if default_port and host.endswith(default_port):
        host = host[: -len(default_port)]
    return host


def authority(parts: SplitResult) -> str:
    return normalize_authority(parts.netloc, parts.scheme)


def check_window(timestamp: float, now: float, max_skew: float) -> None:
    if timestamp < now - max_skew:
        raise Refused("signature expired")
    if timestamp > now + max_skew:
        raise Refused("date in the future")


def has_body(method: str, body: bytes | None) -> bool:
    return bool(body) or method.upper() in _BODY_METHODS
