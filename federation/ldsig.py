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
import copy
import hashlib
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, Final

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from federation.jsonld import JsonLdError, canonize
from federation.ldcheck import (
    SIGNATURE_TYPE,
    LdSignatureResult,
    failed,
    ld_signature_creator,
    prechecked,
    rsa_checked,
    signature_of,
    verify_ld_signed_data,
)

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

IDENTITY_CONTEXT: Final = "https://w3id.org/identity/v1"
_OPTION_EXCLUDED: Final = frozenset({"type", "id", "signatureValue"})


def _hash(obj: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonize(obj).encode("utf-8")).hexdigest()


def _to_be_signed(activity: Mapping[str, Any], signature: Mapping[str, Any]) -> bytes:
    """hash(options) + hash(document); raises JsonLdError."""
    options = {k: v for k, v in signature.items() if k not in _OPTION_EXCLUDED}
    options["@context"] = IDENTITY_CONTEXT
    document = {k: v for k, v in activity.items() if k != "signature"}
    return (_hash(options) + _hash(document)).encode("utf-8")


def ld_signed_data(activity: Mapping[str, Any]) -> bytes:
    """What the embedded signature of ``activity`` signs: hash(options) + hash(document).

    The costly half of a verification (two URDNA2015 canonicalizations), independent of the key, so
    that it is computed once however many keys are tried, and can run in another process.  Raises
    JsonLdError when the activity cannot be canonicalized (a context outside the bundle, say) and
    ValueError when it carries no signature object.
    """
    sig = signature_of(activity)
    if sig is None:
        raise ValueError("no signature object")
    return _to_be_signed(activity, sig)


def _checked(activity: Mapping[str, Any], public_key_pem: str) -> LdSignatureResult:
    checked = prechecked(activity, public_key_pem)
    if isinstance(checked, LdSignatureResult):
        return checked
    raw, public_key, creator = checked
    try:
        signed_data = ld_signed_data(activity)
    except JsonLdError as exc:
        return failed(f"JSON-LD: {exc}", creator)
    except Exception as exc:  # defensive: never raise to the inbox
        return failed(f"cannot canonicalize: {type(exc).__name__}", creator)
    return rsa_checked(raw, public_key, creator, signed_data)


def verify_ld_signature(activity: Mapping[str, Any], public_key_pem: str) -> LdSignatureResult:
    """Verify the embedded RsaSignature2017 of ``activity`` with an RSA public key.

    Never raises: every failure is reported as ``ok=False`` with a reason.
    The caller is responsible for checking that ``creator`` names the key it
    passed (and that the key belongs to the activity's actor).
    """
    return _checked(activity, public_key_pem)


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
