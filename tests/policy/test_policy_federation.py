"""The federation policy between real nodes: a suspended domain is refused in both directions (inbox
403 before any signature work, deliveries neither queued nor sent, fetches refused), an allow-list node
talks only to its list, silence holds content and follows, per-actor blocks, reject media."""

from __future__ import annotations

import functools
import json

from federation import vocab
from federation.client import FetchError
from federation.signatures import sign_cavage
from node.policy import blocks, modes, policy, rules
from node.accounts.actors import fetch_actor, local_actor
from node.posts.content import Draft, create_post
from node.social.delivery import DELIVER, publish, publish_to_inboxes
from node.core.models import Activity, Actor, AuditEntry, Follow, Job, Post
from node.core.runtime import Node
from node.social.social import follow
from tests.conftest import Federation, client_for, member
from tests.helpers import follow_association

AS2 = "application/activity+json"


def wire(node: Node) -> None:
    """The outgoing gate, as start_node wires it (FederationClient.policy_check)."""
    node.client.policy_check = functools.partial(policy.client_check, node)


def requests_to(fed: Federation, host: str, since: int = 0) -> list[tuple[str, str, int]]:
    return [entry for entry in fed.network.log[since:] if f"://{host}/" in entry[1]]


def signed_post(signer: Actor, doc: dict[str, object], url: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(doc).encode()
    headers = {"Content-Type": AS2}
    assert signer.key_id and signer.private_key_pem
    headers.update(sign_cavage("POST", url, headers, body, signer.key_id, signer.private_key_pem))
    return body, headers


async def test_a_suspended_domain_is_refused_in_both_directions(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    wire(a)
    bob = await follow_association(federation, a, b)
    with a.ctx:
        group = await local_actor("asso")
        assert group is not None
        post = await create_post(a, group, Draft(text="Meeting on Friday"))
    await federation.settle()
    with b.ctx:
        reply = await create_post(b, bob, Draft(text="@asso@a.test I will come", in_reply_to=post.uri))
        b_asso = await local_actor("asso")
    await federation.settle()
    with a.ctx:
        assert await Post.filter(uri=reply.uri).exists()
        await follow(a, group, await fetch_actor(a, b.urls.actor("asso")))  # a follows b's association too
    await federation.settle()
    with a.ctx:
        bob_here = await Actor.get(uri=bob.uri)
        assert bob_here.inbox
        queued = await publish_to_inboxes(  # a delivery job waiting when the block comes
            a, group, vocab.activity("Like", f"{group.uri}#likes/late", group.uri, reply.uri), [bob_here.inbox])
        assert await Job.filter(kind=DELIVER, status="queued").count() == 1
        await rules.save_rule(a, "b.test", "suspend", public_comment="harassment", by="cli")
        # Existing follows both ways are gone, and b's content with them:
        assert await Follow.filter(follower__domain="b.test").count() == 0
        assert await Follow.filter(target__domain="b.test").count() == 0
        assert not await Post.filter(uri=reply.uri).exists()
        assert (await Post.get(uri=post.uri)).reply_count == 0
        assert "domain.purge" in [e.action for e in await AuditEntry.all()]

    # b -> a: the inbox answers 403 before verifying anything (no key fetch towards b).
    with b.ctx:
        like = vocab.activity("Like", f"{bob.uri}#likes/after", bob.uri, post.uri)
    body, headers = signed_post(bob, like, "http://a.test/inbox")
    before = len(federation.network.log)
    async with client_for(a) as http:
        refused = await http.post("/inbox", content=body, headers=headers)
    assert refused.status_code == 403 and "suspended" in refused.text
    assert requests_to(federation, "b.test", before) == []

    # a -> b: deliveries are neither queued nor sent; the one queued before the block is dropped.
    before = len(federation.network.log)
    with a.ctx:
        second = await create_post(a, group, Draft(text="Another meeting"))
        await publish(a, group, vocab.activity("Like", f"{group.uri}#likes/x", group.uri, reply.uri),
                      followers=False, recipients=[bob.uri])
    await federation.settle()
    assert requests_to(federation, "b.test", before) == []
    with a.ctx:
        deliveries = await Job.filter(kind=DELIVER)
        to_b = [j for j in deliveries if "b.test" in j.payload["inbox"] and j.status != "done"]
        assert [(j.payload["activity"], j.status) for j in to_b] == [(queued.uri, "dead")]
        assert "dropped" in (to_b[0].last_error or "")
    with b.ctx:
        assert not await Post.filter(uri=second.uri).exists()

    # a's fetches of b are refused before any request, cached actor or not.
    before = len(federation.network.log)
    with a.ctx:
        for uri in (bob.uri, b.urls.actor("nobody")):
            try:
                await fetch_actor(a, uri, refresh=True)
            except FetchError as exc:
                assert "federation policy" in str(exc)
            else:
                raise AssertionError("fetched a suspended domain")
        try:
            await a.client.get_json(f"http://b.test/posts/anything")
        except FetchError as exc:
            assert "federation policy" in str(exc)
        else:
            raise AssertionError("the client fetched a suspended domain")
    assert requests_to(federation, "b.test", before) == []

    # b's signed fetches of a's content are refused too.
    with b.ctx:
        try:
            await b.client.get_json(post.uri, signer=b.instance_signer)
        except FetchError as exc:
            assert exc.status == 403
        else:
            raise AssertionError("a served a suspended domain")
    assert b_asso is not None

    # Lifting the suspension restores contact.
    with a.ctx:
        assert await rules.remove_domain(a, "b.test", "block", by="cli")
    async with client_for(a) as http:
        assert (await http.post("/inbox", content=body, headers=headers)).status_code == 202


async def test_an_allowlist_node_talks_only_to_its_list(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    c = await federation.add_node("c.test")
    wire(a)
    with b.ctx:
        await fetch_actor(b, a.urls.actor("asso"))  # known from before a switched to its allow list
    with a.ctx:
        await rules.save_rule(a, "c.test", "allow", by="cli")
        await modes.set_mode(a, "allowlist", by="cli")

    # c is listed: its member follows a's association (signed fetches, since the allow list implies
    # authorized fetch) and receives its posts.
    carol = await follow_association(federation, a, c, "carol")
    with a.ctx:
        assert (await Follow.get(follower__uri=carol.uri)).state == "accepted"

    # b is not: its Follow is refused at a's inbox (403), without a fetching anything from b.
    before = len(federation.network.log)
    bob = await follow_association(federation, a, b)
    refused = [entry for entry in federation.network.log[before:] if entry[0] == "POST" and "a.test" in entry[1]]
    assert refused and all(status == 403 for _, _, status in refused)
    assert [e for e in requests_to(federation, "b.test", before) if e[0] == "GET" and "a.test" not in e[1]] == []
    with a.ctx:
        assert not await Follow.filter(follower__uri=bob.uri).exists()
        assert not await Actor.filter(uri=bob.uri).exists()  # never fetched
    with b.ctx:
        assert (await Follow.get(follower__uri=bob.uri)).state == "pending"
        assert await Job.filter(kind=DELIVER, status="dead").count() == 1  # 403 is permanent

    # b cannot even read a's actor in full: unsigned gets the minimal document, signed is refused.
    async with client_for(a) as http:
        minimal = (await http.get("/users/asso", headers={"Accept": AS2})).json()
        assert set(minimal) <= {"@context", "id", "type", "preferredUsername", "inbox", "publicKey", "endpoints"}
    with b.ctx:
        try:
            await b.client.get_json(a.urls.actor("asso"), signer=b.instance_signer)
        except FetchError as exc:
            assert exc.status == 403
        else:
            raise AssertionError("an unlisted domain read the actor")

    # a's deliveries go to c only; nothing is sent to b even when b is addressed.
    before = len(federation.network.log)
    with a.ctx:
        group = await local_actor("asso")
        assert group is not None
        post = await create_post(a, group, Draft(text="News for our friends"))
        await publish(a, group, vocab.activity("Like", f"{group.uri}#likes/b", group.uri, f"{b.urls.base}/posts/x"),
                      followers=False, recipients=[bob.uri])
        try:
            await fetch_actor(a, bob.uri)
        except FetchError:
            pass
        else:
            raise AssertionError("fetched an unlisted actor")
    await federation.settle()
    assert requests_to(federation, "b.test", before) == []
    with c.ctx:
        assert await Post.filter(uri=post.uri).exists()


async def test_silence_holds_follows_and_replies(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    with a.ctx:
        group = await local_actor("asso")
        assert group is not None
        post = await create_post(a, group, Draft(text="Open question"))
        await rules.save_rule(a, "b.test", "silence", by="cli")
    bob = await follow_association(federation, a, b)
    with a.ctx:
        assert await policy.is_silenced(a, bob.uri)
        assert not await policy.is_blocked(a, bob.uri)
        assert (await Follow.get(follower__uri=bob.uri)).state == "pending"  # needs approval
    with b.ctx:
        reply = await create_post(b, bob, Draft(text="@asso@a.test an answer", in_reply_to=post.uri))
    await federation.settle()
    with a.ctx:
        stored = await Post.get(uri=reply.uri)
        assert stored.held  # kept off the public pages until a moderator approves it
    async with client_for(a) as http:
        page = await http.get(post.uri)
        assert "an answer" not in page.text


async def test_an_account_block_refuses_that_account_only(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    bob = await follow_association(federation, a, b, "bob")
    eve = await follow_association(federation, a, b, "eve")
    with a.ctx:
        await blocks.block_actor(a, eve.uri, "suspend", "spam", by="cli")
        assert not await Follow.filter(follower__uri=eve.uri).exists()
        assert await Follow.filter(follower__uri=bob.uri).exists()
        group = await local_actor("asso")
        assert group is not None
        post = await create_post(a, group, Draft(text="Hello"))
    for actor, expected in ((eve, 403), (bob, 202)):
        doc = vocab.activity("Like", f"{actor.uri}#likes/1", actor.uri, post.uri)
        body, headers = signed_post(actor, doc, "http://a.test/inbox")
        async with client_for(a) as http:
            assert (await http.post("/inbox", content=body, headers=headers)).status_code == expected


async def test_reject_media_is_reported_for_the_domain(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    with a.ctx:
        await rules.save_rule(a, "pics.example", "noop", reject_media=True, by="cli")
        assert await policy.rejects_media(a, "pics.example")
        assert await policy.rejects_media(a, "https://cdn.pics.example/avatar.png")
        assert not await policy.is_blocked(a, "https://pics.example/users/x")
        assert not await policy.is_silenced(a, "https://pics.example/users/x")
        assert not await policy.rejects_media(a, "b.test")


async def test_an_announce_of_blocked_content_is_dropped(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    bob, _ = await member(b, "bob")
    with a.ctx:
        await rules.save_rule(a, "spam.example", "suspend", by="cli")
    doc = vocab.activity("Announce", f"{bob.uri}#announces/1", bob.uri, "https://spam.example/notes/1")
    body, headers = signed_post(bob, doc, "http://a.test/inbox")
    async with client_for(a) as http:
        assert (await http.post("/inbox", content=body, headers=headers)).status_code == 202
    with a.ctx:
        assert not await Activity.filter(uri=doc["id"]).exists()
