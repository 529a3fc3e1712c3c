"""Outboxes: the instance actor's, which its document advertises, answers (an empty collection); an
actor's outbox leaves out a post that cannot be rendered instead of answering 500."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timezone

import pytest

from node.accounts.actors import local_actor
from node.core.models import Post
from tests.conftest import Federation, client_for
from tests.helpers import publish

AS2 = {"Accept": "application/activity+json"}


async def test_the_instance_actors_outbox_is_an_empty_collection(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with client_for(a) as http:
        actor = (await http.get("/actor", headers=AS2)).json()
        assert actor["type"] == "Application" and actor["outbox"] == "http://a.test/actor/outbox"
        outbox = await http.get("/actor/outbox", headers=AS2)
        assert outbox.status_code == 200 and outbox.headers["content-type"].startswith("application/activity+json")
        doc = outbox.json()
        assert (doc["id"], doc["type"], doc["totalItems"], doc["orderedItems"]) == (actor["outbox"], "OrderedCollection", 0, [])
        page = (await http.get("/actor/outbox", params={"page": "1"}, headers=AS2)).json()
        assert page["type"] == "OrderedCollectionPage" and page["orderedItems"] == [] and "next" not in page


async def test_an_outbox_leaves_out_a_post_that_cannot_be_rendered(
        federation: Federation, caplog: pytest.LogCaptureFixture) -> None:
    a = await federation.add_node("a.test")
    good = await publish(a, "Hello from the association")
    with a.ctx:  # as a bad migration or a bug could have left it: `data` a list, not an object
        asso = await local_actor("asso")
        broken = await Post.create(uri=f"http://a.test/posts/{secrets.token_hex(6)}", local=True, author=asso,
                                   content="<p>broken</p>", to=[], cc=[], data=["not", "an", "object"],
                                   published=datetime.now(timezone.utc))
    caplog.set_level(logging.WARNING, logger="agora.events")
    async with client_for(a) as http:
        for _ in range(2):
            page = await http.get("/users/asso/outbox", params={"page": "1"}, headers=AS2)
            assert page.status_code == 200, page.text
            assert [item["object"]["id"] for item in page.json()["orderedItems"]] == [good.uri]
    logged = [r.getMessage() for r in caplog.records if broken.uri in r.getMessage()]
    assert len(logged) == 1 and "the outbox of http://a.test/users/asso" in logged[0]
