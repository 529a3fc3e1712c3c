"""Authorized fetch (secure mode): GETs of ActivityPub content need a valid signature by an allowed
actor; the instance actor and the actors' keys stay fetchable; pages and discovery are unaffected;
two secure nodes still federate; followers-only posts are served to their followers' signed fetches."""

from __future__ import annotations

import pytest

from federation.client import FetchError, Signer
from federation.signatures import sign_cavage
from node.policy import modes, rules
from node.accounts.actors import fetch_actor, local_actor, signer_for
from node.posts.content import Draft, create_post
from node.core.models import Actor, Post
from node.core.runtime import Node
from node.social.social import follow
from tests.conftest import Federation, client_for, member

AS2 = {"Accept": "application/activity+json"}


async def secure(node: Node) -> None:
    with node.ctx:
        await modes.set_flag(node, "authorized_fetch", True, by="cli")


async def status_of(node: Node, url: str, signer: Signer | None) -> int:
    """What `node` gets when it fetches `url` (signed by `signer`): 200 or the refusal's status."""
    with node.ctx:
        try:
            await node.client.get_json(url, signer=signer)
        except FetchError as exc:
            assert exc.status is not None, str(exc)
            return exc.status
    return 200


async def a_post(node: Node, text: str = "Hello", visibility: str = "public") -> Post:
    with node.ctx:
        group = await local_actor("asso")
        assert group is not None
        return await create_post(node, group, Draft(text=text, visibility=visibility))


async def test_unsigned_fetches_are_refused_but_pages_and_discovery_are_not(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    await secure(a)
    post = await a_post(a)
    async with client_for(a) as http:
        refused = await http.get(post.uri, headers=AS2)
        assert refused.status_code == 401 and "signed" in refused.text
        assert refused.headers["www-authenticate"].startswith("Signature")
        for path in ("/users/asso/outbox", "/users/asso/followers", f"{post.uri}/replies"):
            assert (await http.get(path)).status_code == 401, path  # AS2 whatever the Accept header
        ld = {"Accept": 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'}
        assert (await http.get(post.uri, headers=ld)).status_code == 401
        assert (await http.get(post.uri)).status_code == 200  # the HTML page
        assert (await http.get("/.well-known/webfinger", params={"resource": "acct:asso@a.test"})).status_code == 200
        assert (await http.get("/.well-known/nodeinfo")).status_code == 200
        assert (await http.get("/nodeinfo/2.1")).status_code == 200


async def test_the_instance_actor_and_the_actors_keys_stay_fetchable(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    await secure(a)
    async with client_for(a) as http:
        instance = (await http.get("/actor", headers=AS2)).json()
        assert instance["type"] == "Application" and instance["publicKey"]["publicKeyPem"]
        minimal = await http.get("/users/asso", headers=AS2)
        assert minimal.status_code == 200
        doc = minimal.json()
        assert doc["publicKey"]["id"] == f"{a.urls.actor('asso')}#main-key" and doc["inbox"]
        assert "name" not in doc and "summary" not in doc and "followers" not in doc  # nothing more
        assert "Signature" in minimal.headers["vary"]


async def test_signed_by_an_allowed_actor_200_by_a_blocked_domain_403(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    c = await federation.add_node("c.test")
    await secure(a)
    post = await a_post(a)
    assert await status_of(b, post.uri, b.instance_signer) == 200
    assert await status_of(b, a.urls.actor("asso"), b.instance_signer) == 200
    with a.ctx:
        await rules.save_rule(a, "c.test", "suspend", by="cli")
    assert await status_of(c, post.uri, c.instance_signer) == 403
    assert await status_of(c, a.urls.actor("asso"), c.instance_signer) == 403
    with b.ctx:  # a full actor for b, fetched signed
        group = await fetch_actor(b, a.urls.actor("asso"), refresh=True)
        assert group.followers_url and group.name


async def test_both_signature_schemes_are_accepted_and_a_bad_signature_is_401(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    await secure(a)
    post = await a_post(a)
    b.client.first_scheme = "rfc9421"
    assert await status_of(b, post.uri, b.instance_signer) == 200
    assert b.client.remembered_scheme(post.uri) == "rfc9421"  # accepted at the first knock
    with b.ctx:
        instance = await Actor.get(local=True, kind="Application")
    assert instance.key_id and instance.private_key_pem
    headers = {"Accept": "application/activity+json"}
    headers.update(sign_cavage("GET", f"{a.urls.base}/posts/other", headers, None, instance.key_id,
                               instance.private_key_pem))
    async with client_for(a) as http:
        forged = await http.get(post.uri, headers=headers)  # signed for another URL
        assert forged.status_code == 401 and "not verified" in forged.text


async def test_two_secure_nodes_still_federate(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    await secure(a)
    await secure(b)
    bob, _ = await member(b, "bob")
    with b.ctx:
        await follow(b, bob, await fetch_actor(b, a.urls.actor("asso")))
    await federation.settle()
    post = await a_post(a, "News for secure friends")
    await federation.settle()
    with b.ctx:
        assert await Post.filter(uri=post.uri).exists()
    with a.ctx:
        stored_bob = await Actor.get(uri=bob.uri)
        assert stored_bob.followers_url  # a fetched bob's full actor, signed, from a secure node
    unsigned = [e for e in federation.network.log if e[0] == "GET" and e[2] == 401]
    assert unsigned == []  # every fetch between them was signed


async def test_followers_only_posts_reach_their_followers_signed_fetches(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    bob, _ = await member(b, "bob")
    eve, _ = await member(b, "eve")
    with b.ctx:
        await follow(b, bob, await fetch_actor(b, a.urls.actor("asso")))
        bob_signer = signer_for(await Actor.get(id=bob.id))
        eve_signer = signer_for(await Actor.get(id=eve.id))
    await federation.settle()
    post = await a_post(a, "For our followers", visibility="followers")
    assert await status_of(b, post.uri, bob_signer) == 200
    assert await status_of(b, f"{post.uri}/activity", bob_signer) == 200
    assert await status_of(b, post.uri, b.instance_signer) == 200  # a follower's server
    assert await status_of(b, post.uri, eve_signer) == 404
    assert await status_of(b, post.uri, None) == 404
    async with client_for(a) as http:
        assert (await http.get(post.uri)).status_code == 404  # never as a page
    await secure(a)
    assert await status_of(b, post.uri, None) == 401
    assert await status_of(b, post.uri, bob_signer) == 200


@pytest.mark.parametrize("mode", ["allowlist"])
async def test_the_allow_list_implies_signed_fetches(federation: Federation, mode: str) -> None:
    a = await federation.add_node("a.test")
    post = await a_post(a)
    with a.ctx:
        await modes.set_mode(a, mode, by="cli")
    async with client_for(a) as http:
        assert (await http.get(post.uri, headers=AS2)).status_code == 401
