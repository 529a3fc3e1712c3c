"""A forwarded activity's Linked Data signature (RsaSignature2017), checked without freezing the node.

The inbox asks this only when the HTTP signer is not the activity's actor. The cheap checks come
first (a signature by the actor's own key, the size cap, the per-host budget); the canonicalization
runs once per request, in the node's LD worker process (`node.ld`, federation/ldguard.py) with a time
limit; the RSA check then tries the cached key and, only if that fails, the key refetched once (at
most once a minute per keyId, see `lookup_key`) over the same signed data. Any refusal on the way
means "no valid LD signature": the inbox then refetches a Create or Update from its origin.
"""

from __future__ import annotations

import logging
from typing import Any

from federation import vocab
from federation.ldcheck import ld_signature_creator, verify_ld_signed_data
from node.accounts.actors import lookup_key
from node.core.runtime import Node

log = logging.getLogger("agora.inbox")


def _unchecked(actor_uri: str, reason: str) -> bool:
    log.info("LD signature of %s's activity not checked: %s", actor_uri, reason)
    return False


async def verify_forwarded(node: Node, doc: dict[str, Any], body_size: int, actor_uri: str, signer: str) -> bool:
    """True when a valid LD signature by `actor_uri` covers `doc` (`body_size` bytes, received from
    the HTTP signer `signer`, a keyId)."""
    creator = ld_signature_creator(doc)
    if creator is None:
        return False
    settings = node.settings.federation
    if body_size > settings.ld_max_bytes:
        return _unchecked(actor_uri, f"{body_size} bytes, more than {settings.ld_max_bytes}")
    key = await lookup_key(node, creator, False)
    if key is None or key.owner != actor_uri:
        return False
    host = vocab.host_of(signer)
    if not node.ld.allow(host, settings.ld_per_host_per_minute):
        return _unchecked(actor_uri, f"{host} is over {settings.ld_per_host_per_minute} LD checks a minute")
    canonical = await node.ld.signed_data(doc, settings.ld_timeout_seconds)
    if canonical.data is None:
        return _unchecked(actor_uri, canonical.reason)
    if verify_ld_signed_data(doc, canonical.data, key.pem).ok:
        return True
    fresh = await lookup_key(node, creator, True)  # a rotated key? the same signed data, no second canonicalization
    return fresh is not None and fresh.owner == actor_uri and verify_ld_signed_data(doc, canonical.data, fresh.pem).ok
