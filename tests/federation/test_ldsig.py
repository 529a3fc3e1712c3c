"""federation.ldsig: RsaSignature2017 Linked Data Signatures (Mastodon style)."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from federation.jsonld import JsonLdError
from federation.ldsig import (
    LdSignatureResult,
    ld_signature_creator,
    ld_signed_data,
    sign_ld,
    verify_ld_signature,
    verify_ld_signed_data,
)

DATA = Path(__file__).parents[1] / "data"
KEY_ID = "https://agora.example/users/alice#main-key"


def _rsa_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    return private, public


@pytest.fixture(scope="module")
def keys() -> tuple[str, str]:
    return _rsa_pair()


@pytest.fixture(scope="module")
def other_keys() -> tuple[str, str]:
    return _rsa_pair()


ACTIVITY: dict[str, Any] = {
    "@context": [
        "https://www.w3.org/ns/activitystreams",
        "https://w3id.org/security/v1",
        {"toot": "http://joinmastodon.org/ns#", "sensitive": "as:sensitive", "Hashtag": "as:Hashtag"},
    ],
    "id": "https://agora.example/users/alice/statuses/1/activity",
    "type": "Create",
    "actor": "https://agora.example/users/alice",
    "published": "2024-05-01T10:00:00Z",
    "to": ["https://www.w3.org/ns/activitystreams#Public"],
    "cc": ["https://agora.example/users/alice/followers"],
    "object": {
        "id": "https://agora.example/users/alice/statuses/1",
        "type": "Note",
        "attributedTo": "https://agora.example/users/alice",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": ["https://agora.example/users/alice/followers"],
        "sensitive": False,
        "content": "<p>Hello #agora</p>",
        "tag": [{"type": "Hashtag", "href": "https://agora.example/tags/agora", "name": "#agora"}],
    },
}


@pytest.fixture(scope="module")
def signed(keys: tuple[str, str]) -> dict[str, Any]:
    return sign_ld(ACTIVITY, KEY_ID, keys[0], created="2024-05-01T10:00:01Z")


def test_sign_then_verify(signed: dict[str, Any], keys: tuple[str, str]) -> None:
    sig = signed["signature"]
    assert sig["type"] == "RsaSignature2017"
    assert sig["creator"] == KEY_ID
    assert sig["created"] == "2024-05-01T10:00:01Z"
    assert len(base64.b64decode(sig["signatureValue"], validate=True)) == 256
    assert "signature" not in ACTIVITY  # input untouched
    result = verify_ld_signature(signed, keys[1])
    assert result == LdSignatureResult(ok=True, reason="", creator=KEY_ID)
    assert ld_signature_creator(signed) == KEY_ID


def test_sign_defaults_created_and_replaces_signature(keys: tuple[str, str]) -> None:
    first = sign_ld(ACTIVITY, KEY_ID, keys[0])
    created = first["signature"]["created"]
    assert len(created) == 20 and created.endswith("Z") and created[10] == "T"
    again = sign_ld(first, KEY_ID, keys[0], created="2030-01-01T00:00:00Z")
    assert again["signature"]["created"] == "2030-01-01T00:00:00Z"
    assert verify_ld_signature(again, keys[1]).ok


def test_json_round_trip_still_verifies(signed: dict[str, Any], keys: tuple[str, str]) -> None:
    wire = json.loads(json.dumps(signed, indent=2))
    assert verify_ld_signature(wire, keys[1]).ok
    # key order does not matter (canonical RDF)
    reordered = dict(reversed(list(wire.items())))
    assert verify_ld_signature(reordered, keys[1]).ok


def _tampered(signed: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(signed)
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return doc


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("object", "content"), "<p>Hello #evil</p>"),
        (("actor",), "https://evil.example/users/mallory"),
        (("to",), ["https://evil.example/users/mallory"]),
        (("cc",), []),
        (("object", "sensitive"), True),
        (("id",), "https://agora.example/users/alice/statuses/2/activity"),
        (("type",), "Update"),
        (("signature", "created"), "2024-05-01T10:00:02Z"),
        (("signature", "creator"), "https://agora.example/users/bob#main-key"),
        (("signature", "nonce"), "extra"),
    ],
)
def test_any_change_breaks_the_signature(
    signed: dict[str, Any], keys: tuple[str, str], path: tuple[str, ...], value: Any
) -> None:
    result = verify_ld_signature(_tampered(signed, path, value), keys[1])
    assert not result.ok
    assert result.reason == "signature does not match"


def test_added_field_breaks_the_signature(signed: dict[str, Any], keys: tuple[str, str]) -> None:
    doc = copy.deepcopy(signed)
    doc["object"]["summary"] = "cw"
    assert not verify_ld_signature(doc, keys[1]).ok


def test_changes_invisible_to_rdf_do_not_break_it(signed: dict[str, Any], keys: tuple[str, str]) -> None:
    # Known property of LD signatures: terms not defined by any context are
    # dropped from the RDF and are therefore NOT covered by the signature.
    doc = copy.deepcopy(signed)
    doc["undefinedTerm"] = "not signed"
    assert verify_ld_signature(doc, keys[1]).ok
    # id/type/signatureValue of the signature object are excluded by design
    doc["signature"]["id"] = "https://whatever.example/sig"
    assert verify_ld_signature(doc, keys[1]).ok


def test_different_key_fails(signed: dict[str, Any], other_keys: tuple[str, str]) -> None:
    result = verify_ld_signature(signed, other_keys[1])
    assert not result.ok
    assert result.reason == "signature does not match"
    assert result.creator == KEY_ID


def test_unbundled_context_is_reported_not_raised(keys: tuple[str, str]) -> None:
    doc = copy.deepcopy(ACTIVITY)
    doc["@context"] = [*ACTIVITY["@context"], "https://example.com/ctx"]
    fake = copy.deepcopy(doc)
    fake["signature"] = {
        "type": "RsaSignature2017",
        "creator": KEY_ID,
        "created": "2024-05-01T10:00:01Z",
        "signatureValue": base64.b64encode(b"\x01" * 256).decode(),
    }
    result = verify_ld_signature(fake, keys[1])
    assert not result.ok
    assert "https://example.com/ctx" in result.reason
    assert result.creator == KEY_ID
    # signing such a document is an error for the caller
    from federation.jsonld import JsonLdError

    with pytest.raises(JsonLdError):
        sign_ld(doc, KEY_ID, keys[0])


def test_other_signature_type_is_rejected(signed: dict[str, Any], keys: tuple[str, str]) -> None:
    doc = _tampered(signed, ("signature", "type"), "Ed25519Signature2018")
    result = verify_ld_signature(doc, keys[1])
    assert not result.ok
    assert "Ed25519Signature2018" in result.reason
    assert ld_signature_creator(doc) is None


@pytest.mark.parametrize("field", ["type", "creator", "signatureValue"])
def test_missing_signature_field(signed: dict[str, Any], keys: tuple[str, str], field: str) -> None:
    doc = copy.deepcopy(signed)
    del doc["signature"][field]
    result = verify_ld_signature(doc, keys[1])
    assert not result.ok
    assert result.reason


@pytest.mark.parametrize("signature", [None, "abc", ["RsaSignature2017"], 5])
def test_missing_or_malformed_signature_object(keys: tuple[str, str], signature: Any) -> None:
    doc = copy.deepcopy(ACTIVITY)
    if signature is not None:
        doc["signature"] = signature
    result = verify_ld_signature(doc, keys[1])
    assert result == LdSignatureResult(ok=False, reason="no signature object", creator=None)
    assert ld_signature_creator(doc) is None


@pytest.mark.parametrize("value", ["!!!not base64!!!", "", "====", 12345, "YWJj\x00"])
def test_garbage_signature_value(signed: dict[str, Any], keys: tuple[str, str], value: Any) -> None:
    result = verify_ld_signature(_tampered(signed, ("signature", "signatureValue"), value), keys[1])
    assert not result.ok
    assert result.reason


def test_wrapped_base64_is_accepted(signed: dict[str, Any], keys: tuple[str, str]) -> None:
    # Ruby's Base64.encode64 wraps lines at 60 characters.
    value = signed["signature"]["signatureValue"]
    wrapped = "\n".join(value[i : i + 60] for i in range(0, len(value), 60)) + "\n"
    assert verify_ld_signature(_tampered(signed, ("signature", "signatureValue"), wrapped), keys[1]).ok


def test_non_rsa_or_bad_key(signed: dict[str, Any]) -> None:
    ed_pub = (
        ed25519.Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    result = verify_ld_signature(signed, ed_pub)
    assert not result.ok and "RSA" in result.reason
    for bad in ["", "-----BEGIN PUBLIC KEY-----\ngarbage\n-----END PUBLIC KEY-----\n", "x"]:
        result = verify_ld_signature(signed, bad)
        assert not result.ok and "PEM" in result.reason


def test_sign_with_non_rsa_key_raises() -> None:
    ed_priv = (
        ed25519.Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    with pytest.raises(ValueError):
        sign_ld(ACTIVITY, KEY_ID, ed_priv)


def test_invalid_json_ld_is_reported_not_raised(keys: tuple[str, str]) -> None:
    doc = copy.deepcopy(ACTIVITY)
    doc["@context"] = {"a": {"@id": 5}}
    doc["signature"] = {
        "type": "RsaSignature2017",
        "creator": KEY_ID,
        "signatureValue": base64.b64encode(b"\x01" * 256).decode(),
    }
    result = verify_ld_signature(doc, keys[1])
    assert not result.ok and result.reason.startswith("JSON-LD:")


# A real activity signed by Mastodon (activitypub.academy runs Mastodon), with
# the signer's public key.  Origin: fedify-dev/fedify (MIT),
# packages/fedify/src/sig/ld.test.ts (test vector added in commit 151eb864,
# "Verify LD Signatures", 2024-09-13) and the actor document
# packages/fixture/src/fixtures/activitypub.academy/users/brauca_darradiul.json
# (publicKey.publicKeyPem).  The fixture's PEM had its newlines flattened to
# spaces; tests/data/ldsig_activitypub_academy_key.pem re-wraps the same base64
# at 64 columns.  It needs only the AS context plus an inline map.
REAL_ACTIVITY = DATA / "ldsig_activitypub_academy_create.json"
REAL_KEY = DATA / "ldsig_activitypub_academy_key.pem"
REAL_KEY_ID = "https://activitypub.academy/users/brauca_darradiul#main-key"


def test_real_mastodon_signature_verifies() -> None:
    activity = json.loads(REAL_ACTIVITY.read_text())
    result = verify_ld_signature(activity, REAL_KEY.read_text())
    assert result == LdSignatureResult(ok=True, reason="", creator=REAL_KEY_ID)


def test_real_mastodon_signature_detects_tampering(other_keys: tuple[str, str]) -> None:
    activity = json.loads(REAL_ACTIVITY.read_text())
    key = REAL_KEY.read_text()
    tampered = copy.deepcopy(activity)
    tampered["object"]["content"] = "<p>Test!</p>"
    assert not verify_ld_signature(tampered, key).ok
    assert not verify_ld_signature(activity, other_keys[1]).ok


# ------------------------------------------------------------------ signed data computed once, checked with each key


def test_signed_data_once_serves_every_key(
    signed: dict[str, Any], keys: tuple[str, str], other_keys: tuple[str, str]
) -> None:
    data = ld_signed_data(signed)
    assert len(data) == 128  # two hex SHA-256 digests
    assert not verify_ld_signed_data(signed, data, other_keys[1]).ok
    assert verify_ld_signed_data(signed, data, keys[1]) == verify_ld_signature(signed, keys[1])
    assert verify_ld_signed_data(signed, data, keys[1]).ok


def test_signed_data_of_another_activity_does_not_verify(signed: dict[str, Any], keys: tuple[str, str]) -> None:
    other = sign_ld(dict(ACTIVITY, id="https://agora.example/users/alice/statuses/2/activity"), KEY_ID, keys[0])
    result = verify_ld_signed_data(signed, ld_signed_data(other), keys[1])
    assert (result.ok, result.reason) == (False, "signature does not match")


def test_signed_data_needs_a_signature_and_bundled_contexts(keys: tuple[str, str]) -> None:
    with pytest.raises(ValueError):
        ld_signed_data(ACTIVITY)
    foreign = sign_ld(ACTIVITY, KEY_ID, keys[0])
    foreign["@context"] = "https://example.org/unknown-context"
    with pytest.raises(JsonLdError):
        ld_signed_data(foreign)


def test_real_mastodon_signature_verifies_over_its_signed_data() -> None:
    activity = json.loads(REAL_ACTIVITY.read_text())
    assert verify_ld_signed_data(activity, ld_signed_data(activity), REAL_KEY.read_text()).ok
