"""The running node: settings, database context, HTTP client and worker, passed to everything."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx2
import uvloop
from tortoise.context import TortoiseContext

from federation.client import FederationClient, Scheme, Signer
from federation.keycache import KeyCache
from federation.ldguard import LdGuard
from node.core import logredact
from node.core.settings import Settings
from node.core.urls import Urls

VERSION = "0.1.0"


@dataclass
class Node:
    settings: Settings
    ctx: TortoiseContext
    client: FederationClient
    urls: Urls
    instance_signer: Signer | None = None
    keys: KeyCache = field(default_factory=KeyCache)  # remote keys resolved, and their refetch brake
    ld: LdGuard = field(default_factory=LdGuard)  # LD canonicalization, in a worker process
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # From the moment a node exists, its secrets (and any private key) are redacted from every log.
        logredact.install(self.settings)

    def webfinger_scheme(self, host: str) -> str:
        """https, except for loopback peers when private addresses are allowed (development, tests)."""
        name = host.rsplit(":", 1)[0] if not host.startswith("[") else host.split("]")[0] + "]"
        loopback = name in ("localhost", "[::1]") or name.startswith("127.")
        return "http" if self.settings.allow_private_addresses and loopback else "https"

    def wake_worker(self) -> None:
        worker = self.extra.get("worker")
        if worker is not None:
            worker.wake()


def make_client(settings: Settings, transport: httpx2.AsyncBaseTransport | None = None) -> FederationClient:
    scheme: Scheme = "rfc9421" if settings.federation.first_signature_scheme == "rfc9421" else "cavage"
    return FederationClient(
        user_agent=f"Agora/{VERSION} (+{settings.base_url}/)",
        allow_private_addresses=settings.allow_private_addresses,
        transport=transport,
        max_body=settings.federation.max_body_bytes,
        timeout=settings.federation.request_timeout,
        first_scheme=scheme,
    )


T = TypeVar("T")


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on the event loop the node uses everywhere: uvloop, which uvicorn also picks
    for `agora serve`, so that commands, `agora worker` and the benchmark measure the same thing."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)
