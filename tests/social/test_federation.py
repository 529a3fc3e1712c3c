"""Two complete nodes federating in-process: follow, accept, post, edit, delete, unfollow; replies,
likes and boosts coming back."""

from __future__ import annotations

from federation import vocab
from node.accounts.actors import follower_count, local_actor
from node.social.followers import approve_follow
from node.posts.content import Draft, create_post, delete_post, update_post
from node.social.delivery import publish
from node.core.models import Activity, Actor, Follow, Post
from node.social.social import boost, follow, like, undo, unfollow
from tests.conftest import Federation, client_for
from tests.helpers import follow_association

AS2 = {"Accept": "application/activity+json"}


async def test_follow_is_accepted_with_embedded_follow(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    bob = await follow_association(federation, a, b)
    with a.ctx:
        group = await local_actor("asso")
        assert await follower_count(group) == 1
        row = await Follow.get(target=group).prefetch_related("follower")
        assert row.follower.uri == bob.uri and row.state == "accepted"
    with b.ctx:
        assert (await Follow.get(follower__uri=bob.uri)).state == "accepted"
    async with client_for(a) as http:
        followers = (await http.get("/users/asso/followers", headers=AS2)).json()
        assert followers["totalItems"] == 1
        page = (await http.get(followers["first"], headers=AS2)).json()
        assert page["orderedItems"] == [bob.uri]


async def test_post_edit_delete_reach_the_follower(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    await follow_association(federation, a, b)
    with a.ctx:
        group = await local_actor("asso")
        post = await create_post(a, group, Draft(text="Welcome evening on *Friday* #newcomers", language="fr"))
    await federation.settle()
    with b.ctx:
        copy = await Post.get(uri=post.uri)
        assert "<em>Friday</em>" in copy.content
        assert copy.language == "fr" and copy.visibility == "public"
        assert any(t["name"] == "#newcomers" for t in copy.tags)
    with a.ctx:
        await update_post(a, post, Draft(text="Welcome evening moved to *Saturday*"))
    await federation.settle()
    with b.ctx:
        copy = await Post.get(uri=post.uri)
        assert "Saturday" in copy.content and copy.updated is not None
    with a.ctx:
        await delete_post(a, post)
    await federation.settle()
    with b.ctx:
        assert not await Post.filter(uri=post.uri).exists()
    async with client_for(a) as http:
        gone = await http.get(post.uri, headers=AS2)
        assert gone.status_code == 410 and gone.json()["type"] == "Tombstone"
        page = await http.get(post.uri)
        assert page.status_code == 410


async def test_replies_likes_and_boosts_come_back(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    bob = await follow_association(federation, a, b)
    with a.ctx:
        group = await local_actor("asso")
        post = await create_post(a, group, Draft(text="Who can help at the festival?"))
    await federation.settle()
    with b.ctx:
        reply = await create_post(b, bob, Draft(text="@asso@a.test I can bring chairs", in_reply_to=post.uri))
        like_id = await like(b, bob, post.uri)
        await boost(b, bob, post.uri)
    await federation.settle()
    with a.ctx:
        stored = await Post.get(uri=post.uri)
        assert (stored.reply_count, stored.like_count, stored.announce_count) == (1, 1, 1)
        remote_reply = await Post.get(uri=reply.uri)
        assert "bring chairs" in remote_reply.content and remote_reply.in_reply_to_id == stored.id
    async with client_for(a) as http:
        html = (await http.get(post.uri)).text
        assert "bring chairs" in html
        replies = (await http.get(f"{post.uri}/replies", headers=AS2)).json()
        assert replies["totalItems"] == 1
        likes = (await http.get(f"{post.uri}/likes", headers=AS2)).json()
        assert likes["totalItems"] == 1
    with b.ctx:
        await undo(b, bob, like_id)
    await federation.settle()
    with a.ctx:
        assert (await Post.get(uri=post.uri)).like_count == 0


async def test_unfollow_removes_the_follower(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    bob = await follow_association(federation, a, b)
    with b.ctx:
        await unfollow(b, bob, await Actor.get(uri=a.urls.actor("asso")))
    await federation.settle()
    with a.ctx:
        assert await follower_count(await local_actor("asso")) == 0


async def test_manual_approval_keeps_the_follow_pending_until_approved(federation: Federation) -> None:
    a = await federation.add_node("a.test", manually_approves_followers=True)
    b = await federation.add_node("b.test")
    bob = await follow_association(federation, a, b)
    with a.ctx:
        row = await Follow.get(follower__uri=bob.uri)
        assert row.state == "pending"
    with b.ctx:
        assert (await Follow.get(follower__uri=bob.uri)).state == "pending"
    with a.ctx:
        await approve_follow(a, row, True)
    await federation.settle()
    with b.ctx:
        assert (await Follow.get(follower__uri=bob.uri)).state == "accepted"


async def test_repeated_follow_is_accepted_again(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    bob = await follow_association(federation, a, b)
    with b.ctx:
        group = await Actor.get(uri=a.urls.actor("asso"))
        again = vocab.activity("Follow", f"{bob.uri}#follows/again", bob.uri, group.uri)
        await publish(b, bob, again, followers=False, recipients=[group.uri])
    await federation.settle()
    with a.ctx:
        assert await Follow.filter(target__username="asso").count() == 1
        assert (await Follow.get(target__username="asso")).uri == again["id"]
    with b.ctx:
        accepts = await Activity.filter(kind="Accept", outgoing=False)
        assert len(accepts) == 2
        embedded = [x.data["object"] for x in accepts if vocab.id_of(x.data["object"]) == again["id"]]
        assert embedded and embedded[0]["type"] == "Follow" and embedded[0]["actor"] == bob.uri


async def test_two_quick_edits_both_federate(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    await follow_association(federation, a, b)
    with a.ctx:
        post = await create_post(a, await local_actor("asso"), Draft(text="v1"))
        await update_post(a, post, Draft(text="v2"))
        await update_post(a, post, Draft(text="v3"))
    await federation.settle()
    with b.ctx:
        assert "v3" in (await Post.get(uri=post.uri)).content


async def test_an_account_deleting_itself_takes_its_likes_and_replies_with_it(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    bob = await follow_association(federation, a, b)
    with a.ctx:
        post = await create_post(a, await local_actor("asso"), Draft(text="Count me"))
    await federation.settle()
    with b.ctx:
        await create_post(b, bob, Draft(text="reply", in_reply_to=post.uri))
        await like(b, bob, post.uri)
    await federation.settle()
    with a.ctx:
        assert (await Post.get(uri=post.uri)).like_count == 1
    with b.ctx:
        await publish(b, bob, vocab.activity("Delete", f"{bob.uri}#delete", bob.uri, bob.uri, to=[vocab.PUBLIC]),
                      recipients=[a.urls.actor("asso")])
    await federation.settle()
    with a.ctx:
        stored = await Post.get(uri=post.uri)
        assert (stored.reply_count, stored.like_count) == (0, 0)
        assert (await Actor.get(uri=bob.uri)).deleted_at is not None
        assert await follower_count(await local_actor("asso")) == 0


async def test_group_announces_a_followers_post_addressed_to_it(federation: Federation) -> None:
    """FEP-1b12: bob (b) posts to the association (a); carol (c), who follows the association, gets
    the group's Announce of it; bob's reply to it is not re-published."""
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    c = await federation.add_node("c.test")
    bob = await follow_association(federation, a, b)
    await follow_association(federation, a, c, "carol")
    with b.ctx:
        post = await create_post(b, bob, Draft(text="@asso@a.test Newcomers' meetup on Sunday!"))
    await federation.settle()
    with b.ctx:
        await create_post(b, bob, Draft(text="@asso@a.test (at 3 pm)", in_reply_to=post.uri))
    await federation.settle()
    with a.ctx:
        announces = await Activity.filter(kind="Announce", outgoing=True)
        assert [x.data["object"] for x in announces] == [post.uri]
        assert announces[0].data["actor"] == a.urls.actor("asso")
    with c.ctx:
        received = await Activity.filter(kind="Announce", outgoing=False)
        assert [x.data["object"] for x in received] == [post.uri]
