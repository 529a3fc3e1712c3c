"""Local actors (created with their keys) and remote actors (fetched, cached, refreshed)."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone
from typing import Any

from tortoise.exceptions import IntegrityError

from federation import vocab
from federation.client import FetchError, Signer
from federation.remote import RemoteActor, parse_actor
from federation.signatures import PublicKey, generate_key_pair
from node.policy import policy
from node.core import sql
from node.core.models import Actor, Follow, Interaction, Post
from node.core.runtime import Node
from node.core.urls import Urls
from node.social.interactions import recount

log = logging.getLogger("agora.actors")

INSTANCE_USERNAME = "instance"
RESERVED_USERNAMES = frozenset({INSTANCE_USERNAME, "actor", "inbox", "users", "posts", "activities", "static"})


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


async def create_local_actor(
    urls: Urls, *, kind: str, username: str, name: str, summary: str = "", manually_approves: bool = False
) -> Actor:
    private_pem, public_pem = generate_key_pair()
    uri = urls.instance_actor if kind == "Application" else urls.actor(username)
    return await Actor.create(
        uri=uri,
        local=True,
        kind=kind,
        username=username,
        domain=urls.host,
        name=name,
        summary=summary,
        url=urls.profile(username) if kind != "Application" else urls.base,
        inbox=urls.inbox(username) if kind != "Application" else f"{uri}/inbox",
        shared_inbox=urls.shared_inbox,
        followers_url=urls.followers(username),
        key_id=urls.key_id(uri),
        public_key_pem=public_pem,
        private_key_pem=private_pem,
        manually_approves_followers=manually_approves,
    )


async def ensure_instance_actor(urls: Urls) -> Actor:
    actor = await Actor.get_or_none(uri=urls.instance_actor)
    if actor is None:
        actor = await create_local_actor(urls, kind="Application", username=INSTANCE_USERNAME, name=urls.host)
    return actor


def signer_for(actor: Actor) -> Signer:
    if not actor.private_key_pem or not actor.key_id:
        raise ValueError(f"{actor.uri} is not a local actor")
    return Signer(key_id=actor.key_id, private_key_pem=actor.private_key_pem)


HIDDEN_KIND = "PrivateGroup"  # a members-only forum category: its name is taken, but it is never served


async def local_actor(username: str) -> Actor | None:
    """A local actor that may be served (WebFinger, its document, its collections)."""
    return await Actor.filter(local=True, username=username, deleted_at=None).exclude(kind=HIDDEN_KIND).first()


async def deleted_local_actor(username: str) -> Actor | None:
    """A local account that was deleted (its address answers 410 Gone), if this username was one."""
    return await Actor.get_or_none(local=True, username=username, deleted_at__isnull=False)


def actor_document(urls: Urls, actor: Actor) -> dict[str, Any]:
    """The AS2 representation of a local actor."""
    doc: dict[str, Any] = {
        "@context": vocab.CONTEXT,
        "id": actor.uri,
        "type": actor.kind,
        "preferredUsername": actor.username,
        "name": actor.name,
        "summary": actor.summary,
        "url": actor.url,
        "inbox": actor.inbox,
        "endpoints": {"sharedInbox": urls.shared_inbox},
        "manuallyApprovesFollowers": actor.manually_approves_followers,
        "discoverable": actor.kind != "Application",
        "indexable": actor.kind != "Application",
        "published": vocab.iso(actor.created_at),
        "publicKey": {"id": actor.key_id, "owner": actor.uri, "publicKeyPem": actor.public_key_pem},
    }
    if actor.kind != "Application":
        doc.update(
            outbox=urls.outbox(actor.username or ""),
            followers=urls.followers(actor.username or ""),
            following=urls.following(actor.username or ""),
            featured=urls.featured(actor.username or ""),
        )
    else:
        doc["outbox"] = f"{actor.uri}/outbox"
    if actor.icon_url:
        doc["icon"] = {"type": "Image", "url": actor.icon_url}
    header = actor.data.get("image") if isinstance(actor.data, dict) else None  # header image (admin console)
    if isinstance(header, dict) and isinstance(header.get("url"), str):
        doc["image"] = {"type": "Image", "url": header["url"]}
    _add_fields(doc, actor.data.get("document") if isinstance(actor.data, dict) else None)
    return doc


FIXED_FIELDS = frozenset({"@context", "id", "type", "preferredUsername", "inbox", "publicKey", "endpoints"})


def _add_fields(doc: dict[str, Any], extra: Any) -> None:
    """Fields a feature keeps in `actor.data["document"]` for its actors (a forum category's
    moderators, featured and outbox collections, with their JSON-LD terms under "@context")."""
    if not isinstance(extra, dict):
        return
    doc.update({k: v for k, v in extra.items() if k not in FIXED_FIELDS})
    terms = extra.get("@context")
    if isinstance(terms, dict):
        doc["@context"] = [*vocab.CONTEXT, terms]


def _fields_from(remote: RemoteActor, doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": remote.type,
        "username": remote.preferred_username,
        "domain": vocab.host_of(remote.id),
        "name": remote.name,
        "summary": remote.summary,
        "url": remote.url,
        "icon_url": remote.icon,
        "inbox": remote.inbox,
        "shared_inbox": remote.shared_inbox,
        "followers_url": remote.followers,
        "key_id": remote.key.key_id if remote.key else None,
        "public_key_pem": remote.key.pem if remote.key else None,
        "manually_approves_followers": remote.manually_approves_followers,
        "data": doc,
        "fetched_at": utcnow(),
        "deleted_at": None,
    }


async def store_remote_actor(doc: dict[str, Any], *, source_url: str | None = None) -> Actor:
    """Insert or refresh a remote actor from its document (already fetched from its own host)."""
    remote = parse_actor(doc)
    if source_url is not None and vocab.host_of(remote.id) != vocab.host_of(source_url):
        raise vocab.VocabError("actor id is on another host than the URL it came from")
    values = _fields_from(remote, doc)
    actor = await Actor.get_or_none(uri=remote.id)
    if actor is not None:
        if actor.local:
            raise vocab.VocabError("refusing to overwrite a local actor")
        await Actor.filter(id=actor.id).update(**values)
        await actor.refresh_from_db()
        return actor
    try:
        return await Actor.create(uri=remote.id, local=False, **values)
    except IntegrityError:
        return await Actor.get(uri=remote.id)


async def fetch_actor(node: Node, uri: str, *, refresh: bool = False) -> Actor:
    """A remote actor from the cache, or fetched (signed by the instance actor). Raises FetchError,
    also for an actor the federation policy blocks (cached or not: no contact at all)."""
    actor = await sql.get(Actor, uri=uri)
    if actor is not None and actor.local:
        return actor
    refusal = await policy.block_reason(node, uri)
    if refusal is not None:
        raise FetchError(f"{uri}: refused by federation policy: {refusal}")
    if actor is not None and not refresh and not _stale(node, actor):
        return actor
    doc = await node.client.get_json(uri, signer=node.instance_signer)
    try:
        return await store_remote_actor(doc, source_url=uri)
    except vocab.VocabError as exc:
        raise FetchError(f"{uri}: {exc}") from None


def _stale(node: Node, actor: Actor) -> bool:
    if actor.fetched_at is None:
        return True
    age = utcnow() - actor.fetched_at
    return age > timedelta(seconds=node.settings.federation.actor_cache_seconds)


async def lookup_key(node: Node, key_id: str, refresh: bool) -> PublicKey | None:
    """Resolve a signature's keyId to a public key: memory (`node.keys`, 5 minutes), the stored actor,
    then its document. `refresh` (a key that failed) skips both caches. Concurrent lookups of a keyId
    share one fetch, and a keyId is fetched from its origin at most once a minute: a key that fails
    again within the minute (a forgery naming a real keyId, say) is answered None without a request."""
    if await policy.is_blocked(node, key_id):
        return None  # a blocked signer's key is neither fetched nor trusted
    if not refresh:
        cached = node.keys.get(key_id)
        if cached is not None:
            return cached
    key = await _lookup_key(node, key_id, refresh)
    node.keys.put(key_id, key)
    return key


async def _lookup_key(node: Node, key_id: str, refresh: bool) -> PublicKey | None:
    actor = await Actor.filter(key_id=key_id, deleted_at=None).order_by("-fetched_at").first()
    if actor is not None and actor.public_key_pem and not (refresh and not actor.local):
        return PublicKey(key_id=key_id, owner=actor.uri, pem=actor.public_key_pem)
    if node.urls.is_local(key_id):
        return None
    fetching = node.keys.fetching(key_id, lambda: _fetch_key(node, key_id))
    if fetching is None:
        log.info("key %s not fetched: fetched less than a minute ago", key_id)
        return None
    return await asyncio.shield(fetching)


async def _fetch_key(node: Node, key_id: str) -> PublicKey | None:
    """The key from its origin: the actor document (or a key document naming its owner), stored."""
    try:
        doc = await node.client.get_json(key_id.split("#", 1)[0], signer=node.instance_signer)
        if vocab.type_of(doc) not in vocab.ACTOR_TYPES:  # a standalone key document
            owner = vocab.id_of(doc.get("owner"))
            if owner is None or vocab.host_of(owner) != vocab.host_of(key_id):
                return None
            doc = await node.client.get_json(owner, signer=node.instance_signer)
        actor = await store_remote_actor(doc, source_url=key_id)
    except (FetchError, vocab.VocabError) as exc:
        log.info("key %s not fetched: %s", key_id, exc)
        return None
    if actor.key_id != key_id or not actor.public_key_pem:
        return None
    return PublicKey(key_id=key_id, owner=actor.uri, pem=actor.public_key_pem)


async def follower_count(actor: Actor) -> int:
    return await Follow.filter(target=actor, state="accepted").count()


async def forget_actor(actor: Actor) -> None:
    """A remote account deleted itself: its follows, posts and interactions go, and the counts of our
    posts it had liked, boosted or replied to are recounted."""
    touched = set(await Interaction.filter(actor=actor).values_list("post_id", flat=True))
    touched |= set(await Post.filter(author=actor, in_reply_to_id__isnull=False).values_list("in_reply_to_id", flat=True))
    await Follow.filter(follower=actor).delete()
    await Interaction.filter(actor=actor).delete()
    await Post.filter(author=actor, local=False).delete()
    await Actor.filter(id=actor.id).update(deleted_at=utcnow())
    for post_id in touched:
        if isinstance(post_id, int):
            await recount(post_id)
