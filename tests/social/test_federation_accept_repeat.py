"""The same Follow handled twice in the same second (a re-run job, a redelivery) answers twice
without a duplicate Accept id making `publish` fail."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from federation import vocab
from node.social import followers, handlers
from node.accounts.actors import local_actor
from node.core.models import Activity, Actor, Follow
from tests.conftest import Federation
from tests.helpers import follow_association

FROZEN = datetime(2026, 11, 21, 4, 30, 0, tzinfo=timezone.utc)


async def test_one_follow_handled_twice_quickly_gets_two_accepts(federation: Federation, monkeypatch: pytest.MonkeyPatch) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    bob = await follow_association(federation, a, b)
    monkeypatch.setattr(followers, "_now", lambda: FROZEN)  # both runs within the same second, for sure
    with a.ctx:
        group = await local_actor("asso")
        assert group is not None
        follower = await Actor.get(uri=bob.uri)
        doc = vocab.activity("Follow", f"{bob.uri}#follows/rerun", bob.uri, group.uri)
        await handlers.on_follow(a, follower, dict(doc))
        await handlers.on_follow(a, follower, dict(doc))
        sent = [x for x in await Activity.filter(kind="Accept", outgoing=True)
                if vocab.id_of(x.data["object"]) == doc["id"]]
        assert len(sent) == 2 and sent[0].uri != sent[1].uri
        assert all(x.uri.startswith(group.uri + "#accept-") for x in sent)
        assert await Follow.filter(target=group).count() == 1
        assert (await Follow.get(target=group)).state == "accepted"
    await federation.settle()
    with b.ctx:
        received = [x for x in await Activity.filter(kind="Accept", outgoing=False)
                    if vocab.id_of(x.data["object"]) == doc["id"]]
        assert len(received) == 2
