"""Helpers shared by the test files: logging in, reading a form's CSRF token, publishing, following.

Fixtures and the in-process network stay in tests/conftest.py; this module holds plain functions."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

import httpx2

from federation.events import Place
from node.accounts.actors import fetch_actor, local_actor
from node.core.models import Actor, Post, User
from node.core.runtime import Node
from node.events.events import create_event
from node.events.inputs import EventInput
from node.events.models import Event
from node.initiatives.initiatives import create_initiative
from node.initiatives.inputs import InitiativeInput, NeedInput
from node.initiatives.models import Initiative
from node.posts.content import Draft, create_post
from node.social.social import follow
from node.web.pages import association_actor
from tests.conftest import Federation, client_for, member

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def token_in(html: str) -> str:
    """The CSRF token of the (first) form in a page."""
    found = CSRF.search(html)
    assert found, "the page has no CSRF token"
    return found.group(1)


async def csrf_of(http: httpx2.AsyncClient, path: str) -> str:
    """The CSRF token of the form on the page at path."""
    return token_in((await http.get(path)).text)


@contextlib.asynccontextmanager
async def logged_in(
    node: Node, username: str, role: str = "member", *, password_changed: bool = False,
    client: Callable[[Node], httpx2.AsyncClient] | None = None,
) -> AsyncIterator[httpx2.AsyncClient]:
    """A new member with this role, logged in through the login form; redirects are not followed.

    password_changed: the member has replaced the one-time password (no notice asks them to).
    client: makes the HTTP client for the node instead of client_for(node, follow_redirects=False)."""
    _, password = await member(node, username, role)
    if password_changed:
        with node.ctx:
            await User.filter(username=username).update(must_change_password=False)
    async with client(node) if client else client_for(node, follow_redirects=False) as http:
        token = await csrf_of(http, "/login")
        response = await http.post("/login", data={"csrf": token, "login": username, "password": password})
        assert response.status_code == 303, response.text
        yield http


async def follow_association(fed: Federation, a: Node, b: Node, username: str = "bob") -> Actor:
    """A new member of b follows the association on a; returns their actor on b."""
    bob, _ = await member(b, username)
    with b.ctx:
        group = await fetch_actor(b, a.urls.actor("asso"))
        await follow(b, bob, group)
    await fed.settle()
    return bob


async def publish(node: Node, text: str, visibility: str = "public", summary: str = "") -> Post:
    """A post of the association, made by the service."""
    with node.ctx:
        asso = await association_actor(node)
        assert asso is not None
        return await create_post(node, asso, Draft(text=text, visibility=visibility, summary=summary))


async def publish_event(node: Node, **changes: Any) -> Event:
    """An event of the association, made by the service (the form is tested on its own)."""
    values: dict[str, Any] = {
        "name": "Language café", "start": datetime(2030, 7, 11, 19, 0), "end": datetime(2030, 7, 11, 22, 0),
        "timezone": "Europe/Paris", "language": "en",
        "places": (Place(name="Library", locality="Paris", latitude=48.85, longitude=2.35),),
    }
    values.update(changes)
    with node.ctx:
        actor = await local_actor("asso")
        assert actor is not None
        [event] = await create_event(node, actor, EventInput(**values))
    return event


async def publish_initiative(node: Node, **changes: Any) -> Initiative:
    """An initiative of the association, made by the service (the form is tested on its own)."""
    values: dict[str, Any] = {
        "title": "Medicine for Derna", "kind": "humanitarian", "summary": "After the flood.", "language": "en",
        "place_there": Place(name="Derna", country="Libya"),
        "needs": (NeedInput(kind="money", title="Medical supplies", goal="2000", currency="EUR"),),
    }
    values.update(changes)
    with node.ctx:
        actor = await local_actor("asso")
        assert actor is not None
        return await create_initiative(node, actor, InitiativeInput(**values))


async def eventually(condition: Callable[[], bool], timeout: float = 30.0, interval: float = 0.02) -> bool:
    """Whether `condition()` holds within `timeout` seconds of the loop's clock, asked every `interval`.
    It returns as soon as it holds, so a generous timeout costs nothing on a fast machine and still
    waits long enough on a loaded one."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            return False
        await asyncio.sleep(interval)
    return True
