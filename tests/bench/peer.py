"""Loopback "remote server" for the benchmark, run as its own process by bench.py.

It plays every remote peer at once, on one port:

* POST /inbox/{n}   an inbox sink: each POST's HTTP signature is verified with the project's own
                    verifier (federation.signatures.verify_request: digest, date window, host and the
                    RSA check); the sender's public key is fetched from its keyId once, then cached.
                    Verified POSTs get 202 and are counted, others get 401.
* GET /users/{name} actor documents of remote senders (all share one RSA key given with --key).
* GET /stats        counts, first/last verified time (wall clock) and this process's CPU time.
* POST /reset       zero the counters.

Usage: python tests/bench/peer.py --port P [--key public.pem]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
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


class Peer:
    def __init__(self, port: int, public_pem: str | None) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.public_pem = public_pem
        self.keys: dict[str, str] = {}
        self.key_fetches = 0
        self._key_lock = asyncio.Lock()
        self.client: httpx2.AsyncClient | None = None
        self.reset()

    def reset(self) -> None:
        self.verified = 0
        self.failed = 0
        self.reasons: dict[str, int] = {}
        self.first_at: float | None = None
        self.last_at: float | None = None

    async def key_for(self, key_id: str) -> str | None:
        if key_id in self.keys:
            return self.keys[key_id]
        async with self._key_lock:  # concurrent first POSTs: fetch once
            if key_id in self.keys:
                return self.keys[key_id]
            assert self.client is not None
            response = await self.client.get(
                key_id.split("#", 1)[0], headers={"Accept": "application/activity+json"}
            )
            self.key_fetches += 1
            if response.status_code != 200:
                return None
            doc: dict[str, Any] = response.json()
            key = doc.get("publicKey") or {}
            if key.get("id") != key_id or not key.get("publicKeyPem"):
                return None
            self.keys[key_id] = key["publicKeyPem"]
            return self.keys[key_id]

    async def inbox(self, request: Request) -> Response:
        body = await request.body()
        url = f"{self.base}{request.url.path}"
        found = extract_key_id(request.headers)
        pem = await self.key_for(found[1]) if found else None
        if pem is None:
            return self.refuse("unknown key")
        result = verify_request(request.method, url, request.headers, body, pem)
        if not result.ok:
            return self.refuse(result.reason)
        self.verified += 1
        now = time.time()
        if self.first_at is None:
            self.first_at = now
        self.last_at = now
        return Response(status_code=202)

    def refuse(self, reason: str) -> Response:
        self.failed += 1
        self.reasons[reason] = self.reasons.get(reason, 0) + 1
        return PlainTextResponse(reason, status_code=401)

    async def actor(self, request: Request) -> Response:
        if self.public_pem is None:
            return PlainTextResponse("no actors here", status_code=404)
        name = request.path_params["name"]
        uri = f"{self.base}/users/{name}"
        doc = {
            "@context": AS2_CONTEXT,
            "id": uri,
            "type": "Person",
            "preferredUsername": name,
            "name": f"Bench {name}",
            "inbox": f"{self.base}/inbox/{name}",
            "outbox": f"{uri}/outbox",
            "followers": f"{uri}/followers",
            "publicKey": {"id": f"{uri}#main-key", "owner": uri, "publicKeyPem": self.public_pem},
        }
        return JSONResponse(doc, media_type="application/activity+json")

    async def stats(self, request: Request) -> Response:
        return JSONResponse(
            {
                "verified": self.verified,
                "failed": self.failed,
                "reasons": self.reasons,
                "first_at": self.first_at,
                "last_at": self.last_at,
                "key_fetches": self.key_fetches,
                "cpu": time.process_time(),
            }
        )

    async def do_reset(self, request: Request) -> Response:
        self.reset()
        return Response(status_code=204)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--key", help="PEM public key served in every actor document")
    args = parser.parse_args()
    public_pem = open(args.key, encoding="ascii").read() if args.key else None
    peer = Peer(args.port, public_pem)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with httpx2.AsyncClient(timeout=10.0, trust_env=False) as client:
            peer.client = client
            yield

    app = Starlette(
        routes=[
            Route("/inbox/{n}", peer.inbox, methods=["POST"]),
            Route("/users/{name}", peer.actor),
            Route("/stats", peer.stats),
            Route("/reset", peer.do_reset, methods=["POST"]),
        ],
        lifespan=lifespan,
    )
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
