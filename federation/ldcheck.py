"""The RSA half of an RsaSignature2017 verification (federation/ldsig.py has the algorithm): reading the
embedded signature, loading the key, checking the signature over data already canonicalized (by the
LD worker, federation/ldworker.py). It needs no JSON-LD processor, so the node's process, which only
ever does this half, does not load one."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

__all__ = [
    "SIGNATURE_TYPE",
    "LdSignatureResult",
    "failed",
    "ld_signature_creator",
    "prechecked",
    "rsa_checked",
    "signature_of",
    "verify_ld_signed_data",
]

SIGNATURE_TYPE: Final = "RsaSignature2017"
_WHITESPACE: Final = re.compile(r"\s+")


@dataclass(frozen=True)
class LdSignatureResult:
    ok: bool
    reason: str  # "" when ok
    creator: str | None  # signature.creator (a key id)


def signature_of(activity: Mapping[str, Any]) -> Mapping[str, Any] | None:
    sig = activity.get("signature") if isinstance(activity, Mapping) else None
    return sig if isinstance(sig, Mapping) else None


def ld_signature_creator(activity: Mapping[str, Any]) -> str | None:
    """Key id of an embedded RsaSignature2017 signature, else None."""
    sig = signature_of(activity)
    if sig is None or sig.get("type") != SIGNATURE_TYPE:
        return None
    creator = sig.get("creator")
    return creator if isinstance(creator, str) and creator else None


def failed(reason: str, creator: str | None) -> LdSignatureResult:
    return LdSignatureResult(ok=False, reason=reason, creator=creator)


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


def prechecked(
    activity: Mapping[str, Any], public_key_pem: str
) -> tuple[bytes, rsa.RSAPublicKey, str | None] | LdSignatureResult:
    """What is checked before any canonicalization: (signature bytes, key, creator), or the failure."""
    if not isinstance(activity, Mapping):
        return failed("activity is not a JSON object", None)
    raw, reason, creator = _signature_bytes(signature_of(activity))
    if raw is None:
        return failed(reason, creator)
    public_key = _rsa_key(public_key_pem)
    if isinstance(public_key, str):
        return failed(public_key, creator)
    return raw, public_key, creator


def rsa_checked(
    raw: bytes, public_key: rsa.RSAPublicKey, creator: str | None, signed_data: bytes
) -> LdSignatureResult:
    try:
        public_key.verify(raw, signed_data, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return failed("signature does not match", creator)
    return LdSignatureResult(ok=True, reason="", creator=creator)


def verify_ld_signed_data(
    activity: Mapping[str, Any], signed_data: bytes, public_key_pem: str
) -> LdSignatureResult:
    """Like :func:`federation.ldsig.verify_ld_signature`, with ``signed_data`` already computed by
    :func:`federation.ldsig.ld_signed_data` for this very activity (no canonicalization here: only
    the RSA check)."""
    checked = prechecked(activity, public_key_pem)
    if isinstance(checked, LdSignatureResult):
        return checked
    return rsa_checked(*checked, signed_data)
