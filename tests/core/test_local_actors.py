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


def test_named_here_keeps_distinct_local_uris_in_order_and_caps_them() -> None:
    urls = Urls("https://agora.example")
    local = [f"https://agora.example/actors/m{i}" for i in range(local_actors.MAX_NAMED_HERE + 500)]
    remote = [f"https://elsewhere.example/users/u{i}" for i in range(300)]
    kept = local_actors.named_here(urls, [remote[0], local[1], local[0], local[1], *remote, *local])
    assert kept[:2] == [local[1], local[0]]
    assert len(kept) == local_actors.MAX_NAMED_HERE == len(set(kept))
    assert not any(uri.startswith("https://elsewhere.example") for uri in kept)
    assert local_actors.named_here(urls, remote) == []
