"""HTTP signatures for ActivityPub requests.

Two schemes are supported:

* draft-cavage-http-signatures-12 ("Signature: keyId=...,signature=..."), the
  scheme the fediverse has used for years.  Signing and verification are written
  directly on top of ``cryptography``.
* RFC 9421 HTTP Message Signatures (``Signature-Input`` + ``Signature``) with a
  ``Content-Digest`` (RFC 9530), using the ``http-message-signatures`` library.

Verification policy (both schemes):

* the algorithm is decided by the key type (RSA -> RSASSA-PKCS1-v1_5 SHA-256,
  Ed25519 -> Ed25519); a header may only confirm it.  HMAC is never accepted;
* the signature must cover the request target, the host, a timestamp and, for
  requests with a body, the body digest -- which is recomputed from the body;
* Date / ``created`` must lie within ``max_skew`` of the current time;
* malformed input never raises: it yields ``SignatureResult(ok=False, ...)``.

``url`` arguments are the full external URL as the client saw it, e.g.
``https://example.org/users/alice/inbox?page=1``: the public scheme and
authority of this server (from configuration, not from the Host header) plus
the raw, still percent-encoded path and query (ASGI ``raw_path`` and
``query_string``).  A draft-cavage Host header must match that authority
(default ports ignored); RFC 9421 ``@target-uri`` is rebuilt from it.

Headers may be any ``Mapping[str, str]``; names are case-insensitive and
repeated fields yielded by ``items()`` (e.g. Starlette ``Headers``) are joined
with ", ".  The verifiers return the signer's key id; whether that key may act
for the activity's actor (``SignatureResult.owner``) is the caller's check.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import email.utils
import functools
import hashlib
import hmac
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal, TypeAlias
from urllib.parse import SplitResult, urlsplit

import http_sf
from cryptography.exceptions import InvalidSignature as _CryptoInvalidSignature
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from http_message_signatures import (
    ContentDigest,
    HTTPMessageSignaturesException,
    HTTPMessageSigner,
    HTTPMessageVerifier,
    HTTPSignatureAlgorithm,
    HTTPSignatureKeyResolver,
    algorithms,
)

__all__ = [
    "KeyFetcher",
    "PublicKey",
    "SignatureResult",
    "cavage_signing_string",
    "content_digest_header",
    "digest_header",
    "extract_key_id",
    "generate_key_pair",
    "sign_bytes",
    "sign_cavage",
    "sign_rfc9421",
    "verify_bytes",
    "verify_cavage_crypto",
    "verify_request",
    "verify_with_keys",
]

Scheme: TypeAlias = Literal["cavage", "rfc9421"]
PrivateKeyObject: TypeAlias = rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
PublicKeyObject: TypeAlias = rsa.RSAPublicKey | ed25519.Ed25519PublicKey
_SfMember: TypeAlias = http_sf.ItemType | http_sf.InnerListType


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
RFC9421_LABEL = "sig1"
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_GENERIC_CAVAGE_LABELS = frozenset({"hs2019"})
_NO_PSEUDO_HEADER_PREFIXES = ("rsa", "hmac", "ecdsa")  # draft-12 section 2.3
_MAX_REASON = 200


class _Refused(ValueError):
    """Internal: verification refused.  ``key_related`` means a key refresh may help."""

    def __init__(self, reason: str, *, key_related: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason[:_MAX_REASON]
        self.key_related = key_related


# --------------------------------------------------------------------------
# keys


def generate_key_pair() -> tuple[str, str]:
    """A fresh RSA-2048 pair: (private PEM PKCS#8, public PEM SubjectPublicKeyInfo)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_pem.decode("ascii"), public_pem.decode("ascii")


@functools.lru_cache(maxsize=64)
def _load_private_key(pem: str) -> PrivateKeyObject:
    # Cached: a delivery fan-out signs many requests with the same key.
    key = serialization.load_pem_private_key(pem.encode("utf-8"), password=None)
    if isinstance(key, (rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey)):
        return key
    raise ValueError("unsupported private key type (RSA or Ed25519 expected)")


@functools.lru_cache(maxsize=1024)
def _cached_public_key(pem: str) -> PublicKeyObject:
    key = serialization.load_pem_public_key(pem.strip().encode("utf-8"))
    if isinstance(key, (rsa.RSAPublicKey, ed25519.Ed25519PublicKey)):
        return key
    raise UnsupportedAlgorithm("unsupported public key type")


def _load_public_key(pem: str) -> PublicKeyObject:
    try:
        return _cached_public_key(pem)
    except UnsupportedAlgorithm as exc:
        raise _Refused("unsupported public key type", key_related=True) from exc
    except (ValueError, TypeError) as exc:
        raise _Refused("invalid public key", key_related=True) from exc


def _sign_with(key: PrivateKeyObject, data: bytes) -> bytes:
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    return key.sign(data)


def _verify_with(key: PublicKeyObject, data: bytes, signature: bytes) -> bool:
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        else:
            key.verify(signature, data)
    except (_CryptoInvalidSignature, ValueError):
        return False
    return True


def sign_bytes(private_key_pem: str, data: bytes) -> bytes:
    """Low-level: sign ``data`` with the algorithm implied by the key type."""
    return _sign_with(_load_private_key(private_key_pem), data)


def verify_bytes(public_key_pem: str, data: bytes, signature: bytes) -> bool:
    """Low-level: check ``signature`` over ``data`` (algorithm implied by the key type)."""
    try:
        return _verify_with(_load_public_key(public_key_pem), data, signature)
    except _Refused:
        return False


# --------------------------------------------------------------------------
# digests and small helpers


def digest_header(body: bytes) -> str:
    """The draft-cavage era ``Digest`` header value (RFC 3230): ``SHA-256=<base64>``."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def content_digest_header(body: bytes) -> str:
    """The RFC 9530 ``Content-Digest`` header value: ``sha-256=:<base64>:``."""
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii") + ":"


def _now(now: float | None) -> float:
    return time.time() if now is None else now


def _fold_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Lower-cased names; repeated fields (multi-dicts, case variants) joined with ", "."""
    folded: dict[str, list[str]] = {}
    for name, value in headers.items():
        folded.setdefault(name.strip().lower(), []).append(value.strip())
    return {name: ", ".join(values) for name, values in folded.items()}


def _b64decode(value: str, what: str) -> bytes:
    try:
        return base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _Refused(f"malformed {what} (bad base64)") from exc


def _split_url(url: str) -> SplitResult:
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise _Refused("invalid request URL") from exc
    if not parts.scheme or not parts.netloc:
        raise _Refused("invalid request URL")
    return parts


def _normalize_authority(authority: str, scheme: str) -> str:
    host = authority.rpartition("@")[2].strip().lower().rstrip(":")
    default_port = {"http": ":80", "https": ":443"}.get(scheme.lower())
    if default_port and host.endswith(default_port):
        host = host[: -len(default_port)]
    return host


def _authority(parts: SplitResult) -> str:
    return _normalize_authority(parts.netloc, parts.scheme)


def _request_target(method: str, parts: SplitResult, with_query: bool) -> str:
    target = parts.path or "/"
    if with_query and parts.query:
        target += "?" + parts.query
    return f"{method.lower()} {target}"


def _check_window(timestamp: float, now: float, max_skew: float) -> None:
    if timestamp < now - max_skew:
        raise _Refused("signature expired")
    if timestamp > now + max_skew:
        raise _Refused("date in the future")


def _has_body(method: str, body: bytes | None) -> bool:
    return bool(body) or method.upper() in _BODY_METHODS


# --------------------------------------------------------------------------
# draft-cavage-http-signatures-12


_CAVAGE_PARAM = re.compile(r'\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"([^"]*)"|([^",\s]*))\s*')
_TIMESTAMP = re.compile(r"\d{1,15}(?:\.\d{1,9})?")


def _cavage_header_value(folded: Mapping[str, str]) -> str | None:
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
            raise _Refused("malformed Signature header")
        name = match.group(1).lower()
        if name in params:
            raise _Refused(f"duplicate {match.group(1)!r} in Signature header")
        quoted, bare = match.group(2), match.group(3)
        params[name] = quoted if quoted is not None else bare
        pos = match.end()
        if pos < len(value):
            if value[pos] != ",":
                raise _Refused("malformed Signature header")
            pos += 1
    return params


def _cavage_params(folded: Mapping[str, str]) -> dict[str, str]:
    value = _cavage_header_value(folded)
    if value is None:
        raise _Refused("request is not signed")
    return _parse_cavage_params(value)


def _required_param(params: Mapping[str, str], name: str, label: str) -> str:
    value = params.get(name, "")
    if not value:
        raise _Refused(f"Signature header has no {label}")
    return value


def _cavage_key_id(params: Mapping[str, str]) -> str:
    return _required_param(params, "keyid", "keyId")


def _cavage_covered(params: Mapping[str, str]) -> list[str]:
    if "headers" not in params:
        return ["date"]  # draft-cavage: an absent headers parameter means "date"
    covered = params["headers"].lower().split()
    if not covered:
        raise _Refused("Signature headers= is empty")
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
            raise _Refused(f"{name} is signed but the {name[1:-1]} parameter is missing")
        return value
    value = folded.get(name)
    if value is None and name == "host":
        value = _authority(parts)  # HTTP/2 carries :authority instead of Host
    if value is None:
        raise _Refused(f"header {name!r} listed in headers= is missing")
    if "\n" in value or "\r" in value:
        raise _Refused(f"header {name!r} contains a line break")
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
        _split_url(url),
        _fold_headers(headers),
        [name.lower() for name in covered],
        params or {},
        with_query,
    )


def _encode_signing_string(signing_string: str) -> bytes:
    # ASGI servers decode header bytes as latin-1; encoding back restores the wire bytes.
    try:
        return signing_string.encode("latin-1")
    except UnicodeEncodeError as exc:
        raise _Refused("header value is not representable as bytes") from exc


def _cavage_label(key: PrivateKeyObject) -> str:
    return "rsa-sha256" if isinstance(key, rsa.RSAPrivateKey) else "hs2019"


def _check_key_id_syntax(key_id: str) -> None:
    if not key_id or any(char in key_id for char in '"\r\n'):
        raise ValueError(f"key_id cannot be used in a Signature header: {key_id!r}")


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
    _check_key_id_syntax(key_id)
    key = _load_private_key(private_key_pem)
    parts = urlsplit(url)
    folded = _fold_headers(headers)
    added = {"Host": _authority(parts), "Date": email.utils.formatdate(_now(now), usegmt=True)}
    covered = ["(request-target)", "host", "date"]
    if body is not None:
        added["Digest"] = digest_header(body)
        covered.append("digest")
        if "content-type" in folded:
            covered.append("content-type")
    folded.update({name.lower(): value for name, value in added.items()})
    signing_string = _build_signing_string(method, parts, folded, covered, {}, True)
    signature = base64.b64encode(_sign_with(key, signing_string.encode("latin-1")))
    added["Signature"] = (
        f'keyId="{key_id}",algorithm="{_cavage_label(key)}",'
        f'headers="{" ".join(covered)}",signature="{signature.decode("ascii")}"'
    )
    return added


def _check_cavage_label(label: str | None) -> None:
    if label is not None and label.startswith("hmac"):
        raise _Refused(f"HMAC signatures ({label}) are not accepted")


def _check_label_matches_key(label: str | None, key: PublicKeyObject) -> None:
    if label is None or label in _GENERIC_CAVAGE_LABELS:
        return
    if isinstance(key, rsa.RSAPublicKey) and label == "rsa-sha256":
        return
    if isinstance(key, ed25519.Ed25519PublicKey) and label == "ed25519":
        return
    raise _Refused(f"algorithm {label!r} does not match the key type", key_related=True)


def _check_cavage_coverage(covered: Sequence[str], label: str | None, needs_digest: bool) -> None:
    required = ["(request-target)", "host"] + (["digest"] if needs_digest else [])
    for name in required:
        if name not in covered:
            raise _Refused(f"signature does not cover {name}")
    if "date" not in covered and "(created)" not in covered:
        raise _Refused("signature does not cover date or (created)")
    pseudo = [name for name in covered if name in ("(created)", "(expires)")]
    if pseudo and label is not None and label.startswith(_NO_PSEUDO_HEADER_PREFIXES):
        raise _Refused(f"{pseudo[0]} cannot be signed with algorithm {label!r}")


def _parse_http_date(value: str | None) -> float:
    if value is None:
        raise _Refused("header 'date' listed in headers= is missing")
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError) as exc:
        raise _Refused("malformed Date header") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.timestamp()


def _parse_timestamp(value: str, name: str) -> float:
    if _TIMESTAMP.fullmatch(value.strip()) is None:
        raise _Refused(f"malformed {name} parameter")
    return float(value)


def _check_cavage_clock(
    covered: Sequence[str],
    folded: Mapping[str, str],
    params: Mapping[str, str],
    now: float,
    max_skew: float,
) -> None:
    if "date" in covered:
        _check_window(_parse_http_date(folded.get("date")), now, max_skew)
    if "created" in params:
        _check_window(_parse_timestamp(params["created"], "created"), now, max_skew)
    if "expires" in params and _parse_timestamp(params["expires"], "expires") < now:
        raise _Refused("signature expired")


def _check_cavage_host(folded: Mapping[str, str], parts: SplitResult) -> None:
    host = folded.get("host")
    if host is not None and _normalize_authority(host, parts.scheme) != _authority(parts):
        raise _Refused("Host header does not match the request URL")


def _check_digest(value: str | None, body: bytes) -> None:
    if value is None:
        raise _Refused("header 'digest' listed in headers= is missing")
    for entry in value.split(","):
        algorithm, sep, encoded = entry.strip().partition("=")
        if sep and algorithm.strip().lower() == "sha-256":
            claimed = _b64decode(encoded, "Digest header")
            if not hmac.compare_digest(claimed, hashlib.sha256(body).digest()):
                raise _Refused("Digest does not match the body")
            return
    raise _Refused("Digest header has no SHA-256 value")


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
        if _verify_with(key, _encode_signing_string(signing_string), signature):
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
        folded = _fold_headers(headers)
        params = _cavage_params(folded)
        signature = _b64decode(_required_param(params, "signature", "signature"), "signature")
        key = _load_public_key(public_key_pem)
        parts = _split_url(url)
        covered = _cavage_covered(params)
        return _cavage_crypto_ok(key, signature, method, parts, folded, covered, params)
    except _Refused:
        return False


def _verify_cavage(
    method: str,
    parts: SplitResult,
    folded: Mapping[str, str],
    body: bytes,
    public_key_pem: str,
    now: float,
    max_skew: float,
) -> None:
    params = _cavage_params(folded)
    _cavage_key_id(params)
    signature = _b64decode(_required_param(params, "signature", "signature"), "signature")
    covered = _cavage_covered(params)
    label = params.get("algorithm", "").strip().lower() or None
    _check_cavage_label(label)
    _check_cavage_coverage(covered, label, _has_body(method, body))
    _check_cavage_clock(covered, folded, params, now, max_skew)
    _check_cavage_host(folded, parts)
    if "digest" in covered:
        _check_digest(folded.get("digest"), body)
    key = _load_public_key(public_key_pem)
    _check_label_matches_key(label, key)
    if not _cavage_crypto_ok(key, signature, method, parts, folded, covered, params):
        raise _Refused("signature does not match", key_related=True)


# --------------------------------------------------------------------------
# RFC 9421


@dataclass(frozen=True)
class _Rfc9421Input:
    label: str
    components: frozenset[str]  # names of parameter-less covered components
    params: dict[str, object]
    member: _SfMember = field(repr=False)  # the parsed Signature-Input member


class _FixedKeyResolver(HTTPSignatureKeyResolver):
    """Hands the library one already-loaded key, whatever keyid is asked for."""

    def __init__(
        self,
        public_key: PublicKeyObject | None = None,
        private_key: PrivateKeyObject | None = None,
    ) -> None:
        self._public_key = public_key
        self._private_key = private_key

    def resolve_public_key(self, key_id: str) -> PublicKeyObject | None:
        return self._public_key

    def resolve_private_key(self, key_id: str) -> PrivateKeyObject:
        if self._private_key is None:
            raise KeyError(key_id)
        return self._private_key


class _Verifier(HTTPMessageVerifier):
    """The library verifier, minus its wall-clock checks (done here against ``now``)."""

    def validate_created_and_expires(self, sig_input: object, max_age: object = None) -> None:
        return None


class _HeaderLines:
    """Read-only header view keeping repeated field lines, as the library expects."""

    def __init__(self, lines: list[tuple[str, str]]) -> None:
        self._lines = lines

    def items(self) -> list[tuple[str, str]]:
        return list(self._lines)

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(name for name, _ in self._lines))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and any(n.lower() == name.lower() for n, _ in self._lines)


@dataclass
class _Message:
    method: str
    url: str
    headers: _HeaderLines | dict[str, str]


def _reject_duplicate_label(name: str, context: str) -> None:
    if context == "dictionary":
        raise _Refused(f"duplicate signature label {name!r}")


def _parse_sf_dictionary(value: str, header: str) -> http_sf.DictionaryType:
    try:
        parsed = http_sf.parse(
            value.encode("ascii"), tltype="dictionary", on_duplicate_key=_reject_duplicate_label
        )
    except _Refused:
        raise
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise _Refused(f"malformed {header} header") from exc
    if not isinstance(parsed, dict):
        raise _Refused(f"malformed {header} header")
    return parsed


def _component_names(items: Iterable[object]) -> frozenset[str] | None:
    """Names of the parameter-less components; None if a component is malformed."""
    names: set[str] = set()
    for item in items:
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)):
            return None
        if not item[1]:
            names.add(item[0])
    return frozenset(names)


def _rfc9421_inputs(folded: Mapping[str, str]) -> list[_Rfc9421Input]:
    """Well-formed Signature-Input members, in order (malformed ones are skipped)."""
    inputs = []
    for label, member in _parse_sf_dictionary(folded["signature-input"], "Signature-Input").items():
        if not (
            isinstance(member, tuple)
            and len(member) == 2
            and isinstance(member[0], list)
            and isinstance(member[1], dict)
        ):
            continue
        names = _component_names(member[0])
        if names is not None:
            inputs.append(_Rfc9421Input(label, names, dict(member[1]), member))
    return inputs


def _covers_request(components: frozenset[str]) -> bool:
    target = "@target-uri" in components or {"@authority", "@path"} <= components
    return "@method" in components and target


def _select_rfc9421(folded: Mapping[str, str]) -> _Rfc9421Input:
    for candidate in _rfc9421_inputs(folded):
        if _covers_request(candidate.components):
            return candidate
    raise _Refused("no signature covers @method and @target-uri")


def _rfc9421_key_id(chosen: _Rfc9421Input) -> str:
    key_id = chosen.params.get("keyid")
    if not isinstance(key_id, str) or not key_id:
        raise _Refused("signature has no keyid")
    return key_id


def _check_rfc9421_coverage(chosen: _Rfc9421Input, needs_digest: bool) -> None:
    if needs_digest and "content-digest" not in chosen.components:
        raise _Refused("signature does not cover content-digest")


def _int_param(params: Mapping[str, object], name: str) -> int | None:
    value = params.get(name)
    if value is None:
        return None
    if type(value) is not int:
        raise _Refused(f"malformed {name} parameter")
    return value


def _check_rfc9421_clock(params: Mapping[str, object], now: float, max_skew: float) -> None:
    created = _int_param(params, "created")
    if created is None:
        raise _Refused("signature has no created parameter")
    _check_window(created, now, max_skew)
    expires = _int_param(params, "expires")
    if expires is not None and expires < now:
        raise _Refused("signature expired")


def _check_content_digest(value: str | None, body: bytes) -> None:
    if value is None:
        raise _Refused("Content-Digest header is missing")
    try:
        ContentDigest.verify(value, body)
    except (HTTPMessageSignaturesException, ValueError) as exc:
        detail = str(exc)
        raise _Refused(detail if "Content-Digest" in detail else f"Content-Digest: {detail}") from exc


def _rfc9421_algorithm(alg: object, key: PublicKeyObject) -> type[HTTPSignatureAlgorithm]:
    if alg is not None and not isinstance(alg, str):
        raise _Refused("malformed alg parameter")
    if alg is not None and alg.startswith("hmac"):
        raise _Refused(f"HMAC signatures ({alg}) are not accepted")
    if isinstance(key, rsa.RSAPublicKey):
        if alg in (None, algorithms.RSA_V1_5_SHA256.algorithm_id):
            return algorithms.RSA_V1_5_SHA256
        if alg == algorithms.RSA_PSS_SHA512.algorithm_id:
            return algorithms.RSA_PSS_SHA512
    elif alg in (None, algorithms.ED25519.algorithm_id):
        return algorithms.ED25519
    raise _Refused(f"alg {alg!r} does not match the key type", key_related=True)


def _single_label_lines(
    headers: Mapping[str, str], folded: Mapping[str, str], chosen: _Rfc9421Input
) -> list[tuple[str, str]]:
    """The request's header lines with Signature-Input/Signature reduced to ``chosen``."""
    signature = _parse_sf_dictionary(folded.get("signature", ""), "Signature").get(chosen.label)
    if signature is None:
        raise _Refused(f"Signature header has no {chosen.label!r} member")
    lines = [
        (name, value)
        for name, value in headers.items()
        if name.strip().lower() not in ("signature-input", "signature")
    ]
    try:
        lines.append(("Signature-Input", http_sf.ser({chosen.label: chosen.member})))
        lines.append(("Signature", http_sf.ser({chosen.label: signature})))
    except (ValueError, TypeError) as exc:
        raise _Refused("malformed Signature header") from exc
    return lines


def _library_verify(
    message: _Message, algorithm: type[HTTPSignatureAlgorithm], key: PublicKeyObject, body: bytes
) -> None:
    verifier = _Verifier(signature_algorithm=algorithm, key_resolver=_FixedKeyResolver(key))
    try:
        verifier.verify(message, max_age=None, body=body)
    except (HTTPMessageSignaturesException, ValueError, TypeError) as exc:
        detail = str(exc).strip()
        raise _Refused(detail or "signature does not match", key_related=True) from exc


def _verify_rfc9421(
    method: str,
    url: str,
    headers: Mapping[str, str],
    folded: Mapping[str, str],
    body: bytes,
    public_key_pem: str,
    now: float,
    max_skew: float,
) -> None:
    chosen = _select_rfc9421(folded)
    _rfc9421_key_id(chosen)
    _check_rfc9421_coverage(chosen, _has_body(method, body))
    _check_rfc9421_clock(chosen.params, now, max_skew)
    if "content-digest" in chosen.components:
        _check_content_digest(folded.get("content-digest"), body)
    key = _load_public_key(public_key_pem)
    algorithm = _rfc9421_algorithm(chosen.params.get("alg"), key)
    lines = _single_label_lines(headers, folded, chosen)
    _library_verify(_Message(method.upper(), url, _HeaderLines(lines)), algorithm, key, body)


def sign_rfc9421(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    key_id: str,
    private_key_pem: str,
    *,
    now: float | None = None,
) -> dict[str, str]:
    """Headers to add: Content-Digest (when body is not None), Signature-Input, Signature.

    Covers "@method" "@target-uri" (+ "content-digest"); ``headers`` is accepted for
    symmetry with :func:`sign_cavage` but no header field is covered.
    """
    key = _load_private_key(private_key_pem)
    algorithm = (
        algorithms.RSA_V1_5_SHA256 if isinstance(key, rsa.RSAPrivateKey) else algorithms.ED25519
    )
    signer = HTTPMessageSigner(
        signature_algorithm=algorithm, key_resolver=_FixedKeyResolver(private_key=key)
    )
    out: dict[str, str] = {}
    signer.sign(
        _Message(method.upper(), url, out),
        key_id=key_id,
        created=dt.datetime.fromtimestamp(int(_now(now)), tz=dt.timezone.utc),
        label=RFC9421_LABEL,
        covered_component_ids=("@method", "@target-uri"),
        body=body,
    )
    return out


# --------------------------------------------------------------------------
# entry points


def _detect_scheme(folded: Mapping[str, str]) -> Scheme | None:
    if "signature-input" in folded:
        return "rfc9421"
    if _cavage_header_value(folded) is not None:
        return "cavage"
    return None


def _locate(folded: Mapping[str, str]) -> tuple[Scheme | None, str | None, str]:
    """(scheme, key id, reason when the key id cannot be found)."""
    scheme = _detect_scheme(folded)
    if scheme is None:
        return None, None, "request is not signed"
    try:
        if scheme == "rfc9421":
            return scheme, _rfc9421_key_id(_select_rfc9421(folded)), ""
        return scheme, _cavage_key_id(_cavage_params(folded)), ""
    except _Refused as refusal:
        return scheme, None, refusal.reason


def extract_key_id(headers: Mapping[str, str]) -> tuple[Scheme, str] | None:
    """Which scheme and keyId the request carries (RFC 9421 preferred); no crypto."""
    scheme, key_id, _ = _locate(_fold_headers(headers))
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
    folded = _fold_headers(headers)
    scheme, key_id, reason = _locate(folded)
    if scheme is None or key_id is None:
        return SignatureResult(False, reason, scheme or "none", None), False
    try:
        if scheme == "rfc9421":
            _verify_rfc9421(method, url, headers, folded, body, public_key_pem, now, max_skew)
        else:
            parts = _split_url(url)
            _verify_cavage(method, parts, folded, body, public_key_pem, now, max_skew)
    except _Refused as refusal:
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
    return _verify(method, url, headers, body, public_key_pem, _now(now), max_skew)[0]


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
    at = _now(now)
    scheme, key_id, reason = _locate(_fold_headers(headers))
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
