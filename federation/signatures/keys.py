"""Keys: generation, cached PEM loading, and signing/verifying bytes with the algorithm the key type
implies (RSA -> RSASSA-PKCS1-v1_5 SHA-256, Ed25519 -> Ed25519)."""

from __future__ import annotations

import functools
from typing import TypeAlias

from cryptography.exceptions import InvalidSignature as _CryptoInvalidSignature
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from federation.signatures.common import Refused

PrivateKeyObject: TypeAlias = rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
PublicKeyObject: TypeAlias = rsa.RSAPublicKey | ed25519.Ed25519PublicKey


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
def load_private_key(pem: str) -> PrivateKeyObject:
    # Cached: a delivery fan-out signs many requests with the same key.
    key = serialization.load_pem_private_key(pem.encode("utf-8"), password=None)
    if isinstance(key, (rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey)):
        return key
    raise ValueError("unsupported private key type (RSA or Ed25519 expected)")


@functools.lru_cache(maxsize=1024)
def cached_public_key(pem: str) -> PublicKeyObject:
    key = serialization.load_pem_public_key(pem.strip().encode("utf-8"))
    if isinstance(key, (rsa.RSAPublicKey, ed25519.Ed25519PublicKey)):
        return key
    raise UnsupportedAlgorithm("unsupported public key type")


def load_public_key(pem: str) -> PublicKeyObject:
    try:
        return cached_public_key(pem)
    except UnsupportedAlgorithm as exc:
        raise Refused("unsupported public key type", key_related=True) from exc
    except (ValueError, TypeError) as exc:
        raise Refused("invalid public key", key_related=True) from exc


def sign_with(key: PrivateKeyObject, data: bytes) -> bytes:
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    return key.sign(data)


def verify_with(key: PublicKeyObject, data: bytes, signature: bytes) -> bool:
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
    return sign_with(load_private_key(private_key_pem), data)


def verify_bytes(public_key_pem: str, data: bytes, signature: bytes) -> bool:
    """Low-level: check ``signature`` over ``data`` (algorithm implied by the key type)."""
    try:
        return verify_with(load_public_key(public_key_pem), data, signature)
    except Refused:
        return False
