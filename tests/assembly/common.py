"""What the assembly tests share: many members made quickly (one key pair and one password hash for
all), logging one in through the login form, a vote made by the service, ballots cast by the service."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx2

from federation.signatures import generate_key_pair
from node.accounts.passwords import hash_password
from node.core.models import Actor, User
from node.core.runtime import Node
from node.assembly import votes
from node.assembly.inputs import VoteInput
from node.assembly.models import Vote
from tests.conftest import client_for
from tests.helpers import csrf_of

PASSWORD = "assembly-tests-password-1"


@functools.cache
def _shared() -> tuple[str, str, str]:
    private_pem, public_pem = generate_key_pair()
    return private_pem, public_pem, hash_password(PASSWORD)


async def crowd(node: Node, count: int, prefix: str = "m", role: str = "member") -> list[User]:
    """`count` members named <prefix>01, <prefix>02, ... who can log in with PASSWORD."""
    private_pem, public_pem, password_hash = _shared()
    made = []
    for i in range(1, count + 1):
        name = f"{prefix}{i:02d}"
        uri = node.urls.actor(name)
        actor = await Actor.create(uri=uri, local=True, kind="Person", username=name, domain=node.urls.host, name=name,
                                   url=node.urls.profile(name), inbox=node.urls.inbox(name),
                                   shared_inbox=node.urls.shared_inbox, followers_url=node.urls.followers(name),
                                   key_id=node.urls.key_id(uri), public_key_pem=public_pem, private_key_pem=private_pem)
        made.append(await User.create(username=name, email=f"{name}@example.org", password_hash=password_hash, role=role,
                                      actor=actor))
    return made


@contextlib.asynccontextmanager
async def session(node: Node, username: str) -> AsyncIterator[httpx2.AsyncClient]:
    """One of the crowd, logged in through the login form."""
    async with client_for(node, follow_redirects=False) as http:
        token = await csrf_of(http, "/login")
        response = await http.post("/login", data={"csrf": token, "login": username, "password": PASSWORD})
        assert response.status_code == 303, response.text
        yield http


def soon(days: int = 2) -> datetime:
    return datetime.now(timezone.utc) + timedelta(days=days)


async def open_vote(node: Node, **changes: Any) -> Vote:
    """A vote made and opened by the service (the admin's forms are tested on their own)."""
    values: dict[str, Any] = {"title": "Approve the accounts of 2026", "closes_at": soon()}
    values.update(changes)
    with node.ctx:
        vote = await votes.create_vote(None, VoteInput(**values))
        return await votes.open_vote(None, vote)


async def post(http: httpx2.AsyncClient, path: str, data: dict[str, Any]) -> httpx2.Response:
    """A form POST with the session's CSRF token (read from /votes, whose header has the logout form)."""
    token = await csrf_of(http, "/votes")
    return await http.post(path, data={"csrf": token, **data})
