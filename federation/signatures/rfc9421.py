"""RFC 9421 HTTP Message Signatures (``Signature-Input`` + ``Signature``) with a ``Content-Digest``
(RFC 9530), through the ``http-message-signatures`` library."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TypeAlias

import http_sf
from cryptography.hazmat.primitives.asymmetric import rsa
from http_message_signatures import (
    ContentDigest,
    HTTPMessageSignaturesException,
    HTTPMessageSigner,
    HTTPMessageVerifier,
    HTTPSignatureAlgorithm,
    HTTPSignatureKeyResolver,
    algorithms,
)

from federation.signatures.common import Refused, check_window, current_time, has_body
from federation.signatures.keys import (
    PrivateKeyObject,
    PublicKeyObject,
    load_private_key,
    load_public_key,
)

_SfMember: TypeAlias = http_sf.ItemType | http_sf.InnerListType
RFC9421_LABEL = "sig1"


def content_digest_header(body: bytes) -> str:
    """The RFC 9530 ``Content-Digest`` header value: ``sha-256=:<base64>:``."""
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii") + ":"


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
        raise Refused(f"duplicate signature label {name!r}")


def _parse_sf_dictionary(value: str, header: str) -> http_sf.DictionaryType:
    try:
        parsed = http_sf.parse(
            value.encode("ascii"), tltype="dictionary", on_duplicate_key=_reject_duplicate_label
        )
    except Refused:
        raise
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise Refused(f"malformed {header} header") from exc
    if not isinstance(parsed, dict):
        raise Refused(f"malformed {header} header")
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


def select_rfc9421(folded: Mapping[str, str]) -> _Rfc9421Input:
    for candidate in _rfc9421_inputs(folded):
        if _covers_request(candidate.components):
            return candidate
    raise Refused("no signature covers @method and @target-uri")


def rfc9421_key_id(chosen: _Rfc9421Input) -> str:
    key_id = chosen.params.get("keyid")
    if not isinstance(key_id, str) or not key_id:
        raise Refused("signature has no keyid")
    return key_id


def _check_rfc9421_coverage(chosen: _Rfc9421Input, needs_digest: bool) -> None:
    if needs_digest and "content-digest" not in chosen.components:
        raise Refused("signature does not cover content-digest")


def _int_param(params: Mapping[str, object], name: str) -> int | None:
    value = params.get(name)
    if value is None:
        return None
    if type(value) is not int:
        raise Refused(f"malformed {name} parameter")
    return value


def _check_rfc9421_clock(params: Mapping[str, object], now: float, max_skew: float) -> None:
    created = _int_param(params, "created")
    if created is None:
        raise Refused("signature has no created parameter")
    check_window(created, now, max_skew)
    expires = _int_param(params, "expires")
    if expires is not None and expires < now:
        raise Refused("signature expired")


def _check_content_digest(value: str | None, body: bytes) -> None:
    if value is None:
        raise Refused("Content-Digest header is missing")
    try:
        ContentDigest.verify(value, body)
    except (HTTPMessageSignaturesException, ValueError) as exc:
        detail = str(exc)
        raise Refused(detail if "Content-Digest" in detail else f"Content-Digest: {detail}") from exc


def _rfc9421_algorithm(alg: object, key: PublicKeyObject) -> type[HTTPSignatureAlgorithm]:
    if alg is not None and not isinstance(alg, str):
        raise Refused("malformed alg parameter")
    if alg is not None and alg.startswith("hmac"):
        raise Refused(f"HMAC signatures ({alg}) are not accepted")
    if isinstance(key, rsa.RSAPublicKey):
        if alg in (None, algorithms.RSA_V1_5_SHA256.algorithm_id):
            return algorithms.RSA_V1_5_SHA256
        if alg == algorithms.RSA_PSS_SHA512.algorithm_id:
            return algorithms.RSA_PSS_SHA512
    elif alg in (None, algorithms.ED25519.algorithm_id):
        return algorithms.ED25519
    raise Refused(f"alg {alg!r} does not match the key type", key_related=True)


def _single_label_lines(
    headers: Mapping[str, str], folded: Mapping[str, str], chosen: _Rfc9421Input
) -> list[tuple[str, str]]:
    """The request's header lines with Signature-Input/Signature reduced to ``chosen``."""
    signature = _parse_sf_dictionary(folded.get("signature", ""), "Signature").get(chosen.label)
    if signature is None:
        raise Refused(f"Signature header has no {chosen.label!r} member")
    lines = [
        (name, value)
        for name, value in headers.items()
        if name.strip().lower() not in ("signature-input", "signature")
    ]
    try:
        lines.append(("Signature-Input", http_sf.ser({chosen.label: chosen.member})))
        lines.append(("Signature", http_sf.ser({chosen.label: signature})))
    except (ValueError, TypeError) as exc:
        raise Refused("malformed Signature header") from exc
    return lines


def _library_verify(
    message: _Message, algorithm: type[HTTPSignatureAlgorithm], key: PublicKeyObject, body: bytes
) -> None:
    verifier = _Verifier(signature_algorithm=algorithm, key_resolver=_FixedKeyResolver(key))
    try:
        verifier.verify(message, max_age=None, body=body)
    except (HTTPMessageSignaturesException, ValueError, TypeError) as exc:
        detail = str(exc).strip()
        raise Refused(detail or "signature does not match", key_related=True) from exc


def verify_rfc9421(
    method: str,
    url: str,
    headers: Mapping[str, str],
    folded: Mapping[str, str],
    body: bytes,
    public_key_pem: str,
    now: float,
    max_skew: float,
) -> None:
    chosen = select_rfc9421(folded)
    rfc9421_key_id(chosen)
    _check_rfc9421_coverage(chosen, has_body(method, body))
    _check_rfc9421_clock(chosen.params, now, max_skew)
    if "content-digest" in chosen.components:
        _check_content_digest(folded.get("content-digest"), body)
    key = load_public_key(public_key_pem)
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
    key = load_private_key(private_key_pem)
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
        created=dt.datetime.fromtimestamp(int(current_time(now)), tz=dt.timezone.utc),
        label=RFC9421_LABEL,
        covered_component_ids=("@method", "@target-uri"),
        body=body,
    )
    return out
