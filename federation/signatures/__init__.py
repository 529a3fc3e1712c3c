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

from federation.signatures.cavage import (
    CavageDraft,
    cavage_signing_string,
    digest_header,
    prepare_cavage,
    sign_cavage,
    verify_cavage_crypto,
)
from federation.signatures.common import (
    DEFAULT_MAX_SKEW,
    KeyFetcher,
    PublicKey,
    Scheme,
    SignatureResult,
)
from federation.signatures.keys import (
    PrivateKeyObject,
    PublicKeyObject,
    generate_key_pair,
    sign_bytes,
    verify_bytes,
)
from federation.signatures.rfc9421 import RFC9421_LABEL, content_digest_header, sign_rfc9421
from federation.signatures.verify import extract_key_id, verify_request, verify_with_keys

__all__ = [
    "CavageDraft",
    "DEFAULT_MAX_SKEW",
    "RFC9421_LABEL",
    "KeyFetcher",
    "PrivateKeyObject",
    "PublicKey",
    "PublicKeyObject",
    "Scheme",
    "SignatureResult",
    "cavage_signing_string",
    "content_digest_header",
    "digest_header",
    "extract_key_id",
    "generate_key_pair",
    "prepare_cavage",
    "sign_bytes",
    "sign_cavage",
    "sign_rfc9421",
    "verify_bytes",
    "verify_cavage_crypto",
    "verify_request",
    "verify_with_keys",
]
