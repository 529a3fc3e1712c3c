"""The entry points: which scheme a request carries, and its verification against one key or a key
fetcher (cached key first, refreshed once on a key-related failure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from federation.signatures.cavage import cavage_header_value, cavage_key_id, cavage_params, verify_cavage
from federation.signatures.common import (
    DEFAULT_MAX_SKEW,
    KeyFetcher,
    PublicKey,
    Refused,
    Scheme,
    SignatureResult,
    current_time,
    fold_headers,
    split_url,
)
from federation.signatures.rfc9421 import rfc9421_key_id, select_rfc9421, verify_rfc9421


def _detect_scheme(folded: Mapping[str, str]) -> Scheme | None:
    if "signature-input" in folded:
        return "rfc9421"
    if cavage_header_value(folded) is not None:
        return "cavage"
    return None


def _locate(folded: Mapping[str, str]) -> tuple[Scheme | None, str | None, str]:
    """(scheme, key id, reason when the key id cannot be found)."""
    scheme = _detect_scheme(folded)
    if scheme is None:
        return None, None, "request is not signed"
    try:
        if scheme == "rfc9421":
            return scheme, rfc9421_key_id(select_rfc9421(folded)), ""
        return scheme, cavage_key_id(cavage_params(folded)), ""
    except Refused as refusal:
        return scheme, None, refusal.reason


def extract_key_id(headers: Mapping[str, str]) -> tuple[Scheme, str] | None:
    """Which scheme and keyId the request carries (RFC 9421 preferred); no crypto."""
    scheme, key_id, _ = _locate(fold_headers(headers))
    if scheme is None or key_id is None:
        return None
    return scheme, key_id


def _verify(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    public_key_pem: str,
    now: float,
    max_skew: float,
) -> tuple[SignatureResult, bool]:
    """(result, whether a failure could be cured by refreshing the key)."""
    folded = fold_headers(headers)
    scheme, key_id, reason = _locate(folded)
    if scheme is None or key_id is None:
        return SignatureResult(False, reason, scheme or "none", None), False
    try:
        if scheme == "rfc9421":
            verify_rfc9421(method, url, headers, folded, body, public_key_pem, now, max_skew)
        else:
            parts = split_url(url)
            verify_cavage(method, parts, folded, body, public_key_pem, now, max_skew)
    except Refused as refusal:
        return SignatureResult(False, refusal.reason, scheme, key_id), refusal.key_related
    return SignatureResult(True, "", scheme, key_id), False


def verify_request(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    public_key_pem: str,
    *,
    now: float | None = None,
    max_skew: float = DEFAULT_MAX_SKEW,
) -> SignatureResult:
    """Verify whichever scheme the request carries (RFC 9421 preferred) against one key."""
    return _verify(method, url, headers, body, public_key_pem, current_time(now), max_skew)[0]


def _with_owner(result: SignatureResult, key: PublicKey) -> SignatureResult:
    return replace(result, owner=key.owner) if result.ok else result


async def verify_with_keys(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    fetch_key: KeyFetcher,
    *,
    now: float | None = None,
) -> SignatureResult:
    """Fetch the signer's key (cached first, refreshed once on a key-related failure)."""
    at = current_time(now)
    scheme, key_id, reason = _locate(fold_headers(headers))
    if scheme is None or key_id is None:
        return SignatureResult(False, reason, scheme or "none", None)
    result: SignatureResult | None = None
    key = await fetch_key(key_id, False)
    if key is not None:
        result, key_related = _verify(method, url, headers, body, key.pem, at, DEFAULT_MAX_SKEW)
        if result.ok or not key_related:
            return _with_owner(result, key)
    fresh = await fetch_key(key_id, True)
    if fresh is None:
        return result or SignatureResult(False, "unknown key", scheme, key_id)
    result, _ = _verify(method, url, headers, body, fresh.pem, at, DEFAULT_MAX_SKEW)
    return _with_owner(result, fresh)
