"""POST /inbox and /users/<name>/inbox: cheap refusals, signature, ownership, durable insert, 202."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from federation import vocab
from federation.signatures import SignatureResult, extract_key_id, verify_with_keys
from node.core import jobs, sql
from node.policy import policy
from node.accounts.actors import lookup_key
from node.activitypub.ldverify import verify_forwarded
from node.social.delivery import revive_host
from node.core.models import Activity, Actor, Job
from node.core.runtime import Node
from node.web.forms import BodyTooLarge, read_body

log = logging.getLogger("agora.inbox")

INBOX_JOB = "inbox"
JSON_TYPES = ("application/activity+json", "application/ld+json", "application/json")


def refuse(status: int, reason: str) -> Response:
    return PlainTextResponse(reason + "\n", status_code=status)


def external_url(node: Node, request: Request) -> str:
    """The URL the sender signed: the node's public base URL + the path and query it requested."""
    raw_path = request.scope.get("raw_path")
    path = raw_path.decode("latin-1") if isinstance(raw_path, bytes) else request.url.path
    path = path.split("?", 1)[0]  # still percent-encoded, as signed
    query = request.scope.get("query_string", b"").decode("latin-1")
    return f"{node.settings.base_url}{path}" + (f"?{query}" if query else "")


def signed_headers(request: Request) -> dict[str, str]:
    """The request's headers, with the Host the sender used when a trusted proxy forwarded it."""
    headers: dict[str, str] = {}
    for name, value in request.headers.items():  # a repeated header's values are joined, as signed
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    forwarded_host = request.scope.get("agora.forwarded_host")
    if forwarded_host:
        headers["host"] = forwarded_host
    return headers


async def verify_signature(node: Node, request: Request, body: bytes) -> SignatureResult:
    async def fetch_key(key_id: str, refresh: bool) -> Any:
        return await lookup_key(node, key_id, refresh)

    return await verify_with_keys(request.method, external_url(node, request), signed_headers(request), body, fetch_key)


async def is_unknown_self_delete(envelope: vocab.Envelope, doc: dict[str, Any]) -> bool:
    actor_uri = vocab.id_of(envelope.actor)
    if envelope.type != "Delete" or vocab.id_of(doc.get("object")) != actor_uri:
        return False
    return not await sql.exists(Actor, uri=actor_uri)


async def store(node: Node, doc: dict[str, Any], actor_uri: str, refetch: bool) -> bool:
    """Insert the activity and its job in one transaction; False when it was already received.
    An unverified forward is kept under its own key, so that the genuine delivery of the same activity,
    arriving later, is not taken for a duplicate of it. Under load, the activities that arrive while
    one write is under way go together in the next (ReceivedWriter)."""
    key = f"{doc['id']}#forwarded" if refetch else doc["id"]
    writer: ReceivedWriter = node.extra.setdefault("inbox_writer", ReceivedWriter())
    stored = await writer.store(Received(key, vocab.type_of(doc)[:32], actor_uri, doc, refetch))
    if stored:
        node.wake_worker()
    return stored


@dataclass
class Received:
    key: str
    kind: str
    actor_uri: str
    doc: dict[str, Any]
    refetch: bool
    stored: bool | None = None  # set by the write that took it
    error: BaseException | None = None


class ReceivedWriter:
    """Group commit of received activities: one write at a time; the activities that arrive meanwhile
    wait for the next (or, arriving within the same turn of the event loop, join this one), which takes
    them all in one transaction (a SELECT of the known ids, then one
    INSERT of the new activities and one of their jobs). At low load each write has one activity and
    is the single-row transaction it always was. A batch that fails (a concurrent writer inserted
    one of its ids first) is written again one activity at a time."""

    def __init__(self) -> None:
        self.pending: list[Received] = []
        self.lock = asyncio.Lock()
        self.batches = 0
        self.batched = 0

    async def store(self, item: Received) -> bool:
        self.pending.append(item)
        # One turn of the loop first: the requests already under way reach this point and join the
        # batch (SQLite's statements run on the loop's thread and would otherwise never let them in).
        await asyncio.sleep(0)
        async with self.lock:
            if item.stored is None and item.error is None:
                batch, self.pending = self.pending, []
                try:
                    await self._write(batch)
                except BaseException as exc:  # cancelled mid-write: every request of the batch hears of it
                    for other in batch:
                        if other.stored is None and other.error is None:
                            other.error = exc if isinstance(exc, Exception) else RuntimeError("write cancelled")
                    raise
        if item.error is not None:
            raise item.error
        return bool(item.stored)

    async def _write(self, batch: list[Received]) -> None:
        if len(batch) > 1:
            try:
                await _insert_batch(batch)
                self.batches += 1
                self.batched += len(batch)
                return
            except Exception as exc:  # a concurrent writer's id, one bad row...: each on its own
                log.debug("batch of %d received activities written one by one: %s", len(batch), exc)
        for item in batch:
            try:
                item.stored = await _insert_one(item)
            except Exception as exc:  # the database failed: the item's own request answers it
                item.error = exc


async def _insert_one(item: Received) -> bool:
    try:
        async with in_transaction():
            await Activity.create(uri=item.key, kind=item.kind, actor_uri=item.actor_uri, outgoing=False, data=item.doc)
            await Job.create(kind=INBOX_JOB, payload={"activity": item.key, "refetch": item.refetch}, run_at=jobs.utcnow())
    except IntegrityError:
        return False
    return True


async def _insert_batch(batch: list[Received]) -> None:
    async with in_transaction():
        known = set(await Activity.filter(uri__in=[i.key for i in batch]).values_list("uri", flat=True))
        fresh: dict[str, Received] = {}
        for item in batch:
            if item.key not in known and item.key not in fresh:
                fresh[item.key] = item
        now = jobs.utcnow()
        await Activity.bulk_create([
            Activity(uri=i.key, kind=i.kind, actor_uri=i.actor_uri, outgoing=False, data=i.doc) for i in fresh.values()
        ])
        await Job.bulk_create([
            Job(kind=INBOX_JOB, payload={"activity": i.key, "refetch": i.refetch}, run_at=now) for i in fresh.values()
        ])
    for item in batch:
        item.stored = fresh.get(item.key) is item


def signer_key_id(request: Request) -> str | None:
    """The keyId a request claims (not verified yet), to refuse blocked signers before any work."""
    try:
        found = extract_key_id(signed_headers(request))
    except ValueError:
        return None
    return found[1] if found else None


class Refused(Exception):
    """An inbox refusal, answered as plain text with its status (raised by the checks, answered once)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


async def check_policy(node: Node, actor_uri: str, key_id: str | None) -> None:
    """Refused (403) when the federation policy allows no contact with the actor or the signer's host."""
    for uri in (key_id, actor_uri):
        if uri:
            reason = await policy.block_reason(node, uri)
            if reason is not None:
                log.info("inbox refused %s: %s", uri, reason)
                raise Refused(403, f"refused by this node's federation policy: {reason}")


async def inbox_endpoint(request: Request) -> Response:
    try:
        return await receive(request)
    except Refused as refused:
        return refuse(refused.status, refused.reason)


async def read_activity(node: Node, request: Request) -> tuple[bytes, vocab.Envelope, dict[str, Any]]:
    """The body, its envelope and document, after the cheap refusals (actor, content type, blocked
    signer before the body is even read, size, syntax, id on the actor's host)."""
    username = request.path_params.get("username")
    if username is not None and not await sql.exists(Actor, local=True, username=username, deleted_at=None):
        raise Refused(404, "no such actor")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in JSON_TYPES:
        raise Refused(415, "expected application/activity+json")
    key_id = signer_key_id(request)
    if key_id:
        await check_policy(node, "", key_id)
    try:
        body = await read_body(request, node.settings.federation.max_body_bytes)
    except BodyTooLarge:
        raise Refused(413, f"body larger than {node.settings.federation.max_body_bytes} bytes") from None
    try:
        envelope = vocab.decode_envelope(body)
        doc = vocab.loads(body)
    except (vocab.VocabError, ValueError, RecursionError) as exc:
        raise Refused(400, str(exc) or "malformed activity") from None
    if vocab.host_of(envelope.id) != vocab.host_of(vocab.id_of(envelope.actor) or ""):
        raise Refused(400, "activity id is not on its actor's host")
    return body, envelope, doc


async def receive(request: Request) -> Response:
    node: Node = request.app.state.node
    body, envelope, doc = await read_activity(node, request)
    actor_uri = vocab.id_of(envelope.actor) or ""
    await check_policy(node, actor_uri, None)
    if await is_unknown_self_delete(envelope, doc):
        return Response(status_code=202)
    result = await verify_signature(node, request, body)
    if not result.ok:
        log.info("inbox refused %s from %s: %s", envelope.type, actor_uri, result.reason)
        raise Refused(401, f"signature not verified: {result.reason}")
    log.debug("inbox verified scheme=%s key=%s type=%s", result.scheme, result.key_id, envelope.type)
    refetch = False
    if result.owner != actor_uri:
        if await verify_forwarded(node, doc, len(body), actor_uri, result.key_id or ""):
            pass
        elif envelope.type in ("Create", "Update") and isinstance(doc.get("object"), dict):
            refetch = True  # forwarded without proof: the handler refetches the object from its origin
        else:
            raise Refused(401, "the signer does not own the activity's actor")
    await revive_host(node, vocab.host_of(result.owner or actor_uri))
    if await carries_blocked_content(node, vocab.type_of(doc), doc):
        return Response(status_code=202)  # a boost of blocked content (a relay's, say): dropped
    await store(node, doc, actor_uri, refetch)
    return Response(status_code=202)


async def carries_blocked_content(node: Node, kind: str, doc: dict[str, Any]) -> bool:
    """An Announce (a relay's or anyone's) of an object from a blocked domain or account."""
    if kind != "Announce":
        return False
    obj = doc.get("object")
    ref = vocab.id_of(obj)
    author = vocab.id_of(obj.get("attributedTo")) if isinstance(obj, dict) else None
    for uri in (ref, author):
        if uri and await policy.is_blocked(node, uri):
            return True
    return False
