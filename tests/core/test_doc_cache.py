"""The document cache of the hot federation GETs (node/activitypub/doc_cache.py): the same bytes with an
ETag, 304 for a client that holds them, a change seen at once in this process and within the TTL in
another one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from node.activitypub import doc_cache
from node.core.models import Actor
from node.core.runtime import Node
from tests.conftest import Federation, client_for

AS2 = {"Accept": "application/activity+json"}
WEBFINGER = ("/.well-known/webfinger", {"resource": "acct:asso@a.test"})


@pytest.fixture
def clock() -> Iterator[list[float]]:
    now = [1000.0]
    saved = doc_cache.clock
    doc_cache.clock = lambda: now[0]
    yield now
    doc_cache.clock = saved


async def test_actor_document_has_an_etag_and_answers_304(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with client_for(a) as http:
        first = await http.get("/users/asso", headers=AS2)
        etag = first.headers["etag"]
        assert first.status_code == 200 and etag.startswith('W/"')
        assert first.headers["cache-control"] == "max-age=60" and first.headers["vary"] == "Accept, Accept-Encoding"
        again = await http.get("/users/asso", headers=AS2)
        assert again.content == first.content and again.headers["etag"] == etag
        for validator in (etag, etag.removeprefix("W/"), f'"other", {etag}', "*"):
            not_modified = await http.get("/users/asso", headers={**AS2, "If-None-Match": validator})
            assert not_modified.status_code == 304 and not_modified.content == b""
            assert not_modified.headers["etag"] == etag
        other = await http.get("/users/asso", headers={**AS2, "If-None-Match": '"something-else"'})
        assert other.status_code == 200 and other.content == first.content


async def test_webfinger_and_instance_actor_are_cached_with_etags(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with client_for(a) as http:
        jrd = await http.get(WEBFINGER[0], params=WEBFINGER[1])
        assert jrd.status_code == 200 and jrd.headers["content-type"] == "application/jrd+json"
        assert jrd.headers["access-control-allow-origin"] == "*"
        by_url = await http.get(WEBFINGER[0], params={"resource": "http://a.test/users/asso"})
        assert by_url.content == jrd.content  # one record for every resource naming the account
        cached = await http.get(WEBFINGER[0], params=WEBFINGER[1], headers={"If-None-Match": jrd.headers["etag"]})
        assert cached.status_code == 304
        instance = await http.get("/actor", headers=AS2)
        assert instance.json()["type"] == "Application" and instance.headers["etag"]
        missing = await http.get(WEBFINGER[0], params={"resource": "acct:nobody@a.test"})
        assert missing.status_code == 404 and "etag" not in missing.headers


async def rename(node: Node, name: str) -> None:
    with node.ctx:
        actor = await Actor.get(username="asso", local=True)
        actor.name = name
        await actor.save(update_fields=["name"])


async def test_a_saved_actor_is_served_fresh_at_once(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with client_for(a) as http:
        before = await http.get("/users/asso", headers=AS2)
        await rename(a, "Renamed association")
        after = await http.get("/users/asso", headers=AS2)
        assert after.json()["name"] == "Renamed association"
        assert after.headers["etag"] != before.headers["etag"]
        stale = await http.get("/users/asso", headers={**AS2, "If-None-Match": before.headers["etag"]})
        assert stale.status_code == 200  # the old validator no longer matches


async def test_a_change_without_signals_is_seen_after_the_ttl(federation: Federation, clock: list[float]) -> None:
    """What another process (or a row written by hand) changes: no signal here, the TTL bounds it."""
    a = await federation.add_node("a.test")
    async with client_for(a) as http:
        assert (await http.get("/users/asso", headers=AS2)).json()["name"] != "Written elsewhere"
        with a.ctx:
            await Actor.filter(username="asso", local=True).update(name="Written elsewhere")
        assert (await http.get("/users/asso", headers=AS2)).json()["name"] != "Written elsewhere"
        clock[0] += doc_cache.CACHE_SECONDS + 0.1
        assert (await http.get("/users/asso", headers=AS2)).json()["name"] == "Written elsewhere"


async def test_a_deleted_account_answers_410_at_once(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with client_for(a) as http:
        assert (await http.get("/users/asso", headers=AS2)).status_code == 200
        with a.ctx:
            actor = await Actor.get(username="asso", local=True)
            actor.deleted_at = actor.created_at
            await actor.save(update_fields=["deleted_at"])
        gone = await http.get("/users/asso", headers=AS2)
        assert gone.status_code == 410 and gone.json()["type"] == "Tombstone"
        assert (await http.get(WEBFINGER[0], params=WEBFINGER[1])).status_code == 404


def test_the_cache_is_bounded() -> None:
    cache = doc_cache.DocCache()
    value = doc_cache.entry(404, b"no\n", "text/plain", {})
    for n in range(doc_cache.MAX_ENTRIES + 10):
        cache.put(("actor", f"u{n}"), value, doc_cache._generation.value, 0.0)
    assert len(cache.entries) == doc_cache.MAX_ENTRIES
    assert cache.get(("actor", "u0"), 0.0) is None  # the oldest went first
    assert cache.get(("actor", f"u{doc_cache.MAX_ENTRIES + 9}"), 0.0) is not None


async def test_the_cached_document_goes_compressed_to_who_takes_gzip(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with client_for(a) as http:
        plain = await http.get("/users/asso", headers={**AS2, "Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers
        packed = await http.get("/users/asso", headers={**AS2, "Accept-Encoding": "gzip, deflate"})
        assert packed.headers["content-encoding"] == "gzip"
        assert int(packed.headers["content-length"]) < len(plain.content)
        assert packed.content == plain.content and packed.headers["etag"] == plain.headers["etag"]
