"""Who is fetching: the HTTP signature on a GET of ActivityPub content (authorized fetch, followers-only
posts). Verified once per request, as the inbox verifies POSTs, and remembered in the ASGI scope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from starlette.requests import Request

from federation import vocab
from node.policy import policy
from node.activitypub.inbox import signer_key_id, verify_signature
from node.core.models import Actor, Follow
from node.core.runtime import Node

SCOPE_KEY = "agora.signed_fetch"
INSTANCE_KINDS = ("Application", "Service")


@dataclass(frozen=True)
class FetchAuth:
    state: Literal["unsigned", "invalid", "blocked", "ok"]
    signer: str | None = None  # the verified key's owner (an actor id)
    reason: str = ""


def wants_as2(request: Request) -> bool:
    accept = request.headers.get("accept", "").lower()
    return "application/activity+json" in accept or "application/ld+json" in accept


async def authenticate(node: Node, request: Request) -> FetchAuth:
    """The request's signer, verified (cached in the scope for the rest of the request)."""
    cached = request.scope.get(SCOPE_KEY)
    if isinstance(cached, FetchAuth):
        return cached
    auth = await _authenticate(node, request)
    request.scope[SCOPE_KEY] = auth
    return auth


async def _authenticate(node: Node, request: Request) -> FetchAuth:
    key_id = signer_key_id(request)
    if key_id is None:
        return FetchAuth("unsigned", reason="the request is not signed")
    refusal = await policy.block_reason(node, key_id)
    if refusal is not None:
        return FetchAuth("blocked", reason=refusal)
    result = await verify_signature(node, request, b"")
    if not result.ok or not result.owner:
        return FetchAuth("invalid", reason=f"signature not verified: {result.reason}")
    refusal = await policy.block_reason(node, result.owner)
    if refusal is not None:
        return FetchAuth("blocked", result.owner, refusal)
    return FetchAuth("ok", result.owner)


async def is_follower(node: Node, request: Request, author: Actor) -> bool:
    """The signed fetcher is an accepted follower of `author`, or the instance actor of a server where
    one of them lives (as Mastodon lets a server's own actor fetch for its users)."""
    auth = await authenticate(node, request)
    if auth.state != "ok" or auth.signer is None:
        return False
    followers = Follow.filter(target=author, state="accepted")
    if await followers.filter(follower__uri=auth.signer).exists():
        return True
    signer = await Actor.get_or_none(uri=auth.signer, local=False)
    if signer is None or signer.kind not in INSTANCE_KINDS:
        return False
    return await followers.filter(follower__domain=vocab.host_of(auth.signer), follower__local=False).exists()
