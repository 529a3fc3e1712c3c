"""A loopback "remote server" for the scale-out test and the PostgreSQL fan-out benchmark, run as its
own process: remote actors (one shared RSA key) and their inboxes, which verify each POST's HTTP
signature with the project's verifier and record every activity id received, per inbox.

* GET /users/{name}   the actor document (inbox /inbox/{name}, the key given with --key)
* POST /inbox/{name}  verified POSTs get 202 and are recorded, others 401
* GET /stats          {"verified", "failed", "reasons", "received": {inbox: {activity id: times}}, "first_at", "last_at"}
* POST /reset         forget what was received

Usage: python tests/scale/sink.py --port P --key public.pem
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from federation.signatures import extract_key_id, verify_request

AS2_CONTEXT = ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"]


class Sink:
    def __init__(self, public_pem: str) -> None:
        self.public_pem = public_pem
        self.keys: dict[str, str] = {}
        self.lock = asyncio.Lock()
        self.client: httpx2.AsyncClient | None = None
        self.reset()

    def reset(self) -> None:
        self.verified = 0
        self.failed = 0
        self.reasons: dict[str, int] = {}
        self.received: dict[str, dict[str, int]] = {}
        self.first_at: float | None = None
        self.last_at: float | None = None

    async def key_for(self, key_id: str) -> str | None:
        """The sender's public key, fetched once from its keyId (the node's actor document)."""
        async with self.lock:
            if key_id not in self.keys:
                assert self.client is not None
                answer = await self.client.get(key_id.split("#", 1)[0], headers={"Accept": "application/activity+json"})
                if answer.status_code != 200:
                    return None
                key = answer.json().get("publicKey") or {}
                if key.get("id") != key_id or not key.get("publicKeyPem"):
                    return None
                self.keys[key_id] = key["publicKeyPem"]
            return self.keys[key_id]

    def refuse(self, reason: str) -> Response:
        self.failed += 1
        self.reasons[reason] = self.reasons.get(reason, 0) + 1
        return PlainTextResponse(reason, status_code=401)

    async def inbox(self, request: Request) -> Response:
        body = await request.body()
        found = extract_key_id(request.headers)
        pem = await self.key_for(found[1]) if found else None
        if pem is None:
            return self.refuse("unknown key")
        result = verify_request(request.method, str(request.url), request.headers, body, pem)
        if not result.ok:
            return self.refuse(result.reason)
        try:
            activity_id = str(json.loads(body).get("id"))
        except (ValueError, AttributeError):
            return self.refuse("not a JSON object")
        self.verified += 1
        now = time.time()
        self.first_at = self.first_at or now
        self.last_at = now
        seen = self.received.setdefault(request.url.path, {})
        seen[activity_id] = seen.get(activity_id, 0) + 1
        return Response(status_code=202)

    async def actor(self, request: Request) -> Response:
        name = request.path_params["name"]
        base = f"{request.url.scheme}://{request.url.netloc}"
        uri = f"{base}/users/{name}"
        doc = {
            "@context": AS2_CONTEXT, "id": uri, "type": "Person", "preferredUsername": name, "name": f"Remote {name}",
            "inbox": f"{base}/inbox/{name}", "outbox": f"{uri}/outbox", "followers": f"{uri}/followers",
            "publicKey": {"id": f"{uri}#main-key", "owner": uri, "publicKeyPem": self.public_pem},
        }
        return JSONResponse(doc, media_type="application/activity+json")

    async def stats(self, request: Request) -> Response:
        return JSONResponse({"verified": self.verified, "failed": self.failed, "reasons": self.reasons,
                             "received": self.received, "first_at": self.first_at, "last_at": self.last_at})

    async def do_reset(self, request: Request) -> Response:
        self.reset()
        return Response(status_code=204)


def app_for(sink: Sink) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with httpx2.AsyncClient(timeout=10.0, trust_env=False) as client:
            sink.client = client
            yield

    return Starlette(routes=[
        Route("/inbox/{name}", sink.inbox, methods=["POST"]),
        Route("/users/{name}", sink.actor),
        Route("/stats", sink.stats),
        Route("/reset", sink.do_reset, methods=["POST"]),
    ], lifespan=lifespan)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--key", required=True, help="PEM public key served in every actor document")
    args = parser.parse_args()
    with open(args.key, encoding="ascii") as fh:
        sink = Sink(fh.read())
    app: Any = app_for(sink)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
