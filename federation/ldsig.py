"""RsaSignature2017 Linked Data Signatures, computed the way Mastodon does.

Mastodon signs some activities (public Creates, Deletes, Updates, …) with an
embedded ``signature`` object so that they can be relayed/forwarded::

    "signature": {"type": "RsaSignature2017", "creator": "<key id>",
                  "created": "<xsd:dateTime>", "signatureValue": "<base64>"}

Algorithm:

* options = the signature object minus ``type``, ``id`` and ``signatureValue``,
  with ``"@context": "https://w3id.org/identity/v1"``;
* document = the activity minus ``signature``;
* hash(x) = hex SHA-256 of the URDNA2015 canonical N-Quads of x;
* to_be_signed = hash(options) + hash(document) (hex strings, UTF-8);
* RSASSA-PKCS1-v1_5 with SHA-256; ``signatureValue`` is standard base64.

JSON-LD processing only ever uses the bundled contexts (federation.jsonld), so
an activity with a context outside the bundle cannot be verified.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Final

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from federation.jsonld import JsonLdError, canonize

__all__ = [
    "IDENTITY_CONTEXT",
    "SIGNATURE_TYPE",
    "LdSignatureResult",
    "ld_signature_creator",
    "ld_signed_data",
    "sign_ld",
    "verify_ld_signature",
    "verify_ld_signed_data",
]

SIGNATURE_TYPE: Final = "RsaSignature2017"
IDENTITY_CONTEXT: Final = "https://w3id.org/identity/v1"
_OPTION_EXCLUDED: Final = frozenset({"type", "id", "signatureValue"})
_WHITESPACE: Final = re.compile(r"\s+")


@dataclass(frozen=True)
class LdSignatureResult:
    ok: bool
    reason: str  # "" when ok
    creator: str | None  # signature.creator (a key id)


def _signature(activity: Mapping[str, Any]) -> Mapping[str, Any] | None:
    sig = activity.get("signature") if isinstance(activity, Mapping) else None
    return sig if isinstance(sig, Mapping) else None


def ld_signature_creator(activity: Mapping[str, Any]) -> str | None:
    """Key id of an embedded RsaSignature2017 signature, else None."""
    sig = _signature(activity)
    if sig is None or sig.get("type") != SIGNATURE_TYPE:
        return None
    creator = sig.get("creator")
    return creator if isinstance(creator, str) and creator else None


def _hash(obj: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonize(obj).encode("utf-8")).hexdigest()


def _to_be_signed(activity: Mapping[str, Any], signature: Mapping[str, Any]) -> bytes:
    """hash(options) + hash(document); raises JsonLdError."""
    options = {k: v for k, v in signature.items() if k not in _OPTION_EXCLUDED}
    options["@context"] = IDENTITY_CONTEXT
    document = {k: v for k, v in activity.items() if k != "signature"}
    return (_hash(options) + _hash(document)).encode("utf-8")


def _fail(reason: str, creator: str | None) -> LdSignatureResult:
    return LdSignatureResult(ok=False, reason=reason, creator=creator)


def ld_signed_data(activity: Mapping[str, Any]) -> bytes:
    """What the embedded signature of ``activity`` signs: hash(options) + hash(document).

    The costly half of a verification (two URDNA2015 canonicalizations), independent of the key, so
    that it is computed once however many keys are tried, and can run in another process.  Raises
    JsonLdError when the activity cannot be canonicalized (a context outside the bundle, say) and
    ValueError when it carries no signature object.
    """
    sig = _signature(activity)
    if sig is None:
        raise ValueError("no signature object")
    return _to_be_signed(activity, sig)


def _signature_bytes(sig: Mapping[str, Any] | None) -> tuple[bytes | None, str, str | None]:
    """(the decoded signatureValue or None, the reason when None, the creator)."""
    if sig is None:
        return None, "no signature object", None
    creator_value = sig.get("creator")
    creator = creator_value if isinstance(creator_value, str) and creator_value else None
    sig_type = sig.get("type")
    if sig_type != SIGNATURE_TYPE:
        return None, f"unsupported signature type: {str(sig_type)[:80]}", creator
    if creator is None:
        return None, "signature has no creator", None
    value = sig.get("signatureValue")
    if not isinstance(value, str) or not value:
        return None, "signature has no signatureValue", creator
    try:
        raw = base64.b64decode(_WHITESPACE.sub("", value), validate=True)
    except (binascii.Error, ValueError):
        return None, "signatureValue is not valid base64", creator
    if not raw:
        return None, "signatureValue is empty", creator
    return raw, "", creator


def _rsa_key(public_key_pem: str) -> rsa.RSAPublicKey | str:
    """The RSA public key of a PEM string, or the reason it is none."""
    if not isinstance(public_key_pem, str):
        return "public key is not a PEM string"
    try:
        public_key = serialization.load_pem_public_key(public_key_pem.encode("utf-8"))
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return "public key is not a valid PEM public key"
    if not isinstance(public_key, rsa.RSAPublicKey):
        return "public key is not an RSA key"
    return public_key


def _checked(
    activity: Mapping[str, Any], public_key_pem: str, signed_data: bytes | None
) -> LdSignatureResult:
    if not isinstance(activity, Mapping):
        return _fail("activity is not a JSON object", None)
    raw, reason, creator = _signature_bytes(_signature(activity))
    if raw is None:
        return _fail(reason, creator)
    public_key = _rsa_key(public_key_pem)
    if isinstance(public_key, str):
        return _fail(public_key, creator)
    if signed_data is None:
        try:
            signed_data = ld_signed_data(activity)
        except JsonLdError as exc:
            return _fail(f"JSON-LD: {exc}", creator)
        except Exception as exc:  # defensive: never raise to the inbox
            return _fail(f"cannot canonicalize: {type(exc).__name__}", creator)
    try:
        public_key.verify(raw, signed_data, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return _fail("signature does not match", creator)
    return LdSignatureResult(ok=True, reason="", creator=creator)


def verify_ld_signature(activity: Mapping[str, Any], public_key_pem: str) -> LdSignatureResult:
    """Verify the embedded RsaSignature2017 of ``activity`` with an RSA public key.

    Never raises: every failure is reported as ``ok=False`` with a reason.
    The caller is responsible for checking that ``creator`` names the key it
    passed (and that the key belongs to the activity's actor).
    """
    return _checked(activity, public_key_pem, None)


def verify_ld_signed_data(
    activity: Mapping[str, Any], signed_data: bytes, public_key_pem: str
) -> LdSignatureResult:
    """Like :func:`verify_ld_signature`, with ``signed_data`` already computed by
    :func:`ld_signed_data` for this very activity (no canonicalization here: only the RSA check)."""
    return _checked(activity, public_key_pem, signed_data)


def _now_xsd() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def sign_ld(
    activity: Mapping[str, Any],
    key_id: str,
    private_key_pem: str,
    *,
    created: str | None = None,
) -> dict[str, Any]:
    """Return a deep copy of ``activity`` with an RsaSignature2017 ``signature``.

    Any existing ``signature`` is replaced.  ``created`` defaults to now (UTC,
    second precision, ``Z``), as Mastodon does.  Raises ValueError for a key
    that is not an RSA private key and JsonLdError if the activity uses a
    context outside the bundle.
    """
    try:
        private_key = serialization.load_pem_private_key(
            private_key_pem.encode("utf-8"), password=None
        )
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ValueError("private key is not a valid unencrypted PEM key") from exc
    if not isinstance(private_key, rsa.RSAPrivateKey):
        raise ValueError("RsaSignature2017 needs an RSA private key")

    document = {k: copy.deepcopy(v) for k, v in activity.items() if k != "signature"}
    options: dict[str, Any] = {
        "type": SIGNATURE_TYPE,
        "creator": key_id,
        "created": created if created is not None else _now_xsd(),
    }
    to_be_signed = _to_be_signed(document, options)
    raw = private_key.sign(to_be_signed, padding.PKCS1v15(), hashes.SHA256())
    options["signatureValue"] = base64.b64encode(raw).decode("ascii")
    document["signature"] = options
    return document
