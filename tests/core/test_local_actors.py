"""The local actors an inbound activity names are read once while it is handled, and only then;
the initiative URI shape lets a Like of a post skip the initiative lookups."""

from __future__ import annotations

from datetime import datetime, timezone

from node.core import local_actors
from node.core.models import Actor
from node.core.runtime import Node
from node.core.urls import Urls
from tests.conftest import member


async def test_a_local_actor_is_read_once_inside_remembered_and_afresh_outside(node: Node) -> None:
    amal, _ = await member(node, "amal")
    with node.ctx:
        with local_actors.remembered():
            first = await local_actors.live_local_actor(amal.uri)
            assert first is not None and first.id == amal.id
            await Actor.filter(id=amal.id).update(deleted_at=datetime.now(timezone.utc))
            again = await local_actors.live_local_actor(amal.uri)
            assert again is first  # the first answer, not a second query
            assert await local_actors.live_local_actor(amal.uri + "x") is None
        assert await local_actors.live_local_actor(amal.uri) is None  # outside: the database, deleted now
        with local_actors.remembered():  # a new activity starts with nothing remembered
            assert await local_actors.live_local_actor(amal.uri) is None


def test_the_initiative_uri_shape() -> None:
    urls = Urls("https://asso.example")
    assert urls.is_initiative(urls.initiative("abc123"))
    assert not urls.is_initiative(urls.post("abc123"))
    assert not urls.is_initiative("https://asso.example/initiatives/")
    assert not urls.is_initiative("https://asso.example/initiatives/abc/edit")
    assert not urls.is_initiative("https://other.example/initiatives/abc123")
    assert not urls.is_initiative("https://asso.example.evil/initiatives/abc123")
