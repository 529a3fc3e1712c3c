"""draft-cavage-http-signatures-12 ("Signature: keyId=...,signature=..."), written directly on top of
``cryptography``: the signing string, signing, and verification with the policy of the package."""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from federation.signatures.common import (
    Refused,
    authority,
    b64decode,
    check_window,
    current_time,
    fold_headers,
    has_body,
    normalize_authority,
    split_url,
)
from federation.signatures.keys import (
    PrivateKeyObject,
    PublicKeyObject,
    load_private_key,
    load_public_key,
    sign_with,
    verify_with,
)

_GENERIC_CAVAGE_LABELS = frozenset({"hs2019"})
_NO_PSEUDO_HEADER_PREFIXES = ("rsa", "hmac", "ecdsa")  # draft-12 section 2.3


def digest_header(body: bytes) -> str:
    """The draft-cavage era ``Digest`` header value (RFC 3230): ``SHA-256=<base64>``."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def _request_target(method: str, parts: SplitResult, with_query: bool) -> str:
    target = parts.path or "/"
    if with_query and parts.query:
        target += "?" + parts.query
    return f"{method.lower()} {target}"


_CAVAGE_PARAM = re.compile(r'\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"([^"]*)"|([^",\s]*))\s*')
_TIMESTAMP = re.compile(r"\d{1,15}(?:\.\d{1,9})?")


def cavage_header_value(folded: Mapping[str, str]) -> str | None:
    if "signature" in folded:
        return folded["signature"]
    scheme, _, rest = folded.get("authorization", "").strip().partition(" ")
    return rest if scheme.lower() == "signature" else None


def _parse_cavage_params(value: str) -> dict[str, str]:
    params: dict[str, str] = {}
    pos = 0
    while pos < len(value):
        match = _CAVAGE_PARAM.match(value, pos)
        if match is None:
            raise Refused("malformed Signature header")
        name = match.group(1).lower()
        if name in params:
            raise Refused(f"duplicate {match.group(1)!r} in Signature header")
        quoted, bare = match.group(2), match.group(3)
        params[name] = quoted if quoted is not None else bare
        pos = match.end()
        if pos < len(value):
            if value[pos] != ",":
                raise Refused("malformed Signature header")
            pos += 1
    return params


def cavage_params(folded: Mapping[str, str]) -> dict[str, str]:
    value = cavage_header_value(folded)
    if value is None:
        raise Refused("request is not signed")
    return _parse_cavage_params(value)


def _required_param(params: Mapping[str, str], name: str, label: str) -> str:
    value = params.get(name, "")
    if not value:
        raise Refused(f"Signature header has no {label}")
    return value


def cavage_key_id(params: Mapping[str, str]) -> str:
    return _required_param(params, "keyid", "keyId")


def _cavage_covered(params: Mapping[str, str]) -> list[str]:
    if "headers" not in params:
        return ["date"]  # draft-cavage: an absent headers parameter means "date"
    covered = params["headers"].lower().split()
    if not covered:
        raise Refused("Signature headers= is empty")
    return covered


def _cavage_component(
    name: str,
    method: str,
    parts: SplitResult,
    folded: Mapping[str, str],
    params: Mapping[str, str],
    with_query: bool,
) -> str:
    if name == "(request-target)":
        return _request_target(method, parts, with_query)
    if name in ("(created)", "(expires)"):
        value = params.get(name[1:-1])
        if value is None:
            raise Refused(f"{name} is signed but the {name[1:-1]} parameter is missing")
        return value
    value = folded.get(name)
    if value is None and name == "host":
        value = authority(parts)  # HTTP/2 carries :authority instead of Host
    if value is None:
        raise Refused(f"header {name!r} listed in headers= is missing")
    if "\n" in value or "\r" in value:
        raise Refused(f"header {name!r} contains a line break")
    return value


def _build_signing_string(
    method: str,
    parts: SplitResult,
    folded: Mapping[str, str],
    covered: Sequence[str],
    params: Mapping[str, str],
    with_query: bool,
) -> str:
    return "\n".join(
        f"{name}: {_cavage_component(name, method, parts, folded, params, with_query)}"
        for name in covered
    )


def cavage_signing_string(
    method: str,
    url: str,
    headers: Mapping[str, str],
    covered: Sequence[str],
    params: Mapping[str, str] | None = None,
    *,
    with_query: bool = True,
) -> str:
    """Low-level: the draft-cavage signing string for ``covered`` (lower-case names).

    ``params`` supplies ``created``/``expires`` for the pseudo-headers.  Raises
    ``ValueError`` when a listed header is missing.
    """
    return _build_signing_string(
        method,
        split_url(url),
        fold_headers(headers),
        [name.lower() for name in covered],
        params or {},
        with_query,
    )


def _encode_signing_string(signing_string: str) -> bytes:
    # ASGI servers decode header bytes as latin-1; encoding back restores the wire bytes.
    try:
        return signing_string.encode("latin-1")
    except UnicodeEncodeError as exc:
        raise Refused("header value is not representable as bytes") from exc


def _cavage_label(key: PrivateKeyObject) -> str:
    return "rsa-sha256" if isinstance(key, rsa.RSAPrivateKey) else "hs2019"


def _check_key_id_syntax(key_id: str) -> None:
    if not key_id or any(char in key_id for char in '"\r\n'):
        raise ValueError(f"key_id cannot be used in a Signature header: {key_id!r}")


@dataclass(frozen=True)
class CavageDraft:
    """A draft-cavage signature waiting for its signature bytes (:func:`prepare_cavage`): the bytes
    to sign go wherever signing is done (a worker process, say), :meth:`finish` makes the headers."""

    added: dict[str, str]
    covered: tuple[str, ...]
    data: bytes
    key_id: str
    label: str

    def finish(self, signature: bytes) -> dict[str, str]:
        """Headers to add/override (Host, Date, Digest when there is a body, Signature)."""
        encoded = base64.b64encode(signature).decode("ascii")
        return {
            **self.added,
            "Signature": f'keyId="{self.key_id}",algorithm="{self.label}",'
            f'headers="{" ".join(self.covered)}",signature="{encoded}"',
        }


def prepare_cavage(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    key_id: str,
    private_key_pem: str,
    *,
    now: float | None = None,
) -> CavageDraft:
    """Everything of :func:`sign_cavage` but the signature itself."""
    return _draft(method, url, headers, body, key_id, load_private_key(private_key_pem), now)


def _draft(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    key_id: str,
    key: PrivateKeyObject,
    now: float | None,
) -> CavageDraft:
    _check_key_id_syntax(key_id)
    parts = urlsplit(url)
    folded = fold_headers(headers)
    added = {"Host": authority(parts), "Date": email.utils.formatdate(current_time(now), usegmt=True)}
    covered = ["(request-target)", "host", "date"]
    if body is not None:
        added["Digest"] = digest_header(body)
        covered.append("digest")
        if "content-type" in folded:
            covered.append("content-type")
    folded.update({name.lower(): value for name, value in added.items()})
    signing_string = _build_signing_string(method, parts, folded, covered, {}, True)
    return CavageDraft(added, tuple(covered), signing_string.encode("latin-1"), key_id, _cavage_label(key))


def sign_cavage(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    key_id: str,
    private_key_pem: str,
    *,
    now: float | None = None,
) -> dict[str, str]:
    """Headers to add/override (Host, Date, Digest when body is not None, Signature)."""
    key = load_private_key(private_key_pem)
    draft = _draft(method, url, headers, body, key_id, key, now)
    return draft.finish(sign_with(key, draft.data))


def _check_cavage_label(label: str | None) -> None:
    if label is not None and label.startswith("hmac"):
        raise Refused(f"HMAC signatures ({label}) are not accepted")


def _check_label_matches_key(label: str | None, key: PublicKeyObject) -> None:
    if label is None or label in _GENERIC_CAVAGE_LABELS:
        return
    if isinstance(key, rsa.RSAPublicKey) and label == "rsa-sha256":
        return
    if isinstance(key, ed25519.Ed25519PublicKey) and label == "ed25519":
        return
    raise Refused(f"algorithm {label!r} does not match the key type", key_related=True)


def _check_cavage_coverage(covered: Sequence[str], label: str | None, needs_digest: bool) -> None:
    required = ["(request-target)", "host"] + (["digest"] if needs_digest else [])
    for name in required:
        if name not in covered:
            raise Refused(f"signature does not cover {name}")
    if "date" not in covered and "(created)" not in covered:
        raise Refused("signature does not cover date or (created)")
    pseudo = [name for name in covered if name in ("(created)", "(expires)")]
    if pseudo and label is not None and label.startswith(_NO_PSEUDO_HEADER_PREFIXES):
        raise Refused(f"{pseudo[0]} cannot be signed with algorithm {label!r}")


def _parse_http_date(value: str | None) -> float:
    if value is None:
        raise Refused("header 'date' listed in headers= is missing")
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError) as exc:
        raise Refused("malformed Date header") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.timestamp()


def _parse_timestamp(value: str, name: str) -> float:
    if _TIMESTAMP.fullmatch(value.strip()) is None:
        raise Refused(f"malformed {name} parameter")
    return float(value)


def _check_cavage_clock(
    covered: Sequence[str],
    folded: Mapping[str, str],
    params: Mapping[str, str],
    now: float,
    max_skew: float,
) -> None:
    if "date" in covered:
        check_window(_parse_http_date(folded.get("date")), now, max_skew)
    if "created" in params:
        check_window(_parse_timestamp(params["created"], "created"), now, max_skew)
    if "expires" in params and _parse_timestamp(params["expires"], "expires") < now:
        raise Refused("signature expired")


def _check_cavage_host(folded: Mapping[str, str], parts: SplitResult) -> None:
    host = folded.get("host")
    if host is not None and normalize_authority(host, parts.scheme) != authority(parts):
        raise Refused("Host header does not match the request URL")


def _check_digest(value: str | None, body: bytes) -> None:
    if value is None:
        raise Refused("header 'digest' listed in headers= is missing")
    for entry in value.split(","):
        algorithm, sep, encoded = entry.strip().partition("=")
        if sep and algorithm.strip().lower() == "sha-256":
            claimed = b64decode(encoded, "Digest header")
            if not hmac.compare_digest(claimed, hashlib.sha256(body).digest()):
                raise Refused("Digest does not match the body")
            return
    raise Refused("Digest header has no SHA-256 value")


def _cavage_crypto_ok(
    key: PublicKeyObject,
    signature: bytes,
    method: str,
    parts: SplitResult,
    folded: Mapping[str, str],
    covered: Sequence[str],
    params: Mapping[str, str],
) -> bool:
    # (request-target) is checked with the query string and, failing that, without.
    variants = [True, False] if parts.query and "(request-target)" in covered else [True]
    for with_query in variants:
        signing_string = _build_signing_string(method, parts, folded, covered, params, with_query)
        if verify_with(key, _encode_signing_string(signing_string), signature):
            return True
    return False


def verify_cavage_crypto(
    method: str, url: str, headers: Mapping[str, str], public_key_pem: str
) -> bool:
    """Low-level: cryptographic check of a draft-cavage signature, with NO policy.

    No coverage, clock, digest or algorithm-label checks: use ``verify_request``
    for incoming requests.  Exists to check published test vectors.
    """
    try:
        folded = fold_headers(headers)
        params = cavage_params(folded)
        signature = b64decode(_required_param(params, "signature", "signature"), "signature")
        key = load_public_key(public_key_pem)
        parts = split_url(url)
        covered = _cavage_covered(params)
        return _cavage_crypto_ok(key, signature, method, parts, folded, covered, params)
    except Refused:
        return False


def verify_cavage(
    method: str,
    parts: SplitResult,
    folded: Mapping[str, str],
    body: bytes,
    public_key_pem: str,
    now: float,
    max_skew: float,
) -> None:
    params = cavage_params(folded)
    cavage_key_id(params)
    signature = b64decode(_required_param(params, "signature", "signature"), "signature")
    covered = _cavage_covered(params)
    label = params.get("algorithm", "").strip().lower() or None
    _check_cavage_label(label)
    _check_cavage_coverage(covered, label, has_body(method, body))
    _check_cavage_clock(covered, folded, params, now, max_skew)
    _check_cavage_host(folded, parts)
    if "digest" in covered:
        _check_digest(folded.get("digest"), body)
    key = load_public_key(public_key_pem)
    _check_label_matches_key(label, key)
    if not _cavage_crypto_ok(key, signature, method, parts, folded, covered, params):
        raise Refused("signature does not match", key_related=True)
