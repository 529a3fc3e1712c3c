"""Held replies, comments and support: per object (moderated, closed, allow_all) and node-wide, content
and follows from silenced accounts, and the moderators' approve and reject, between two real nodes."""

from __future__ import annotations

import pytest

from node.moderation import moderation
from node.policy import policy
from node.accounts.actors import fetch_actor, local_actor
from node.posts.content import Draft, create_post
from node.initiatives.initiatives import create_initiative
from node.social.followers import approve_follow
from node.core.models import Activity, Actor, AuditEntry, Follow, Post, SiteSetting, User
from node.initiatives.models import Initiative, Support
from node.initiatives.support import support
from node.core.runtime import Node
from node.social.social import follow
from tests.conftest import Federation, client_for, member
from tests.helpers import csrf_of, logged_in
from tests.initiatives.test_initiatives import SCHOOL

AS2 = {"Accept": "application/activity+json"}


async def two_nodes(fed: Federation) -> tuple[Node, Node, Actor]:
    a = await fed.add_node("a.test")
    b = await fed.add_node("b.test")
    bob, _ = await member(b, "bob")
    return a, b, bob


async def asso_post(node: Node, text: str) -> Post:
    with node.ctx:
        asso = await local_actor("asso")
        assert asso is not None
        return await create_post(node, asso, Draft(text=text))


async def reply(fed: Federation, b: Node, bob: Actor, parent: Post, text: str) -> Post:
    with b.ctx:
        post = await create_post(b, bob, Draft(text=text, in_reply_to=parent.uri))
    await fed.settle()
    return post


async def test_a_reply_to_a_moderated_post_waits_then_counts(federation: Federation) -> None:
    a, b, bob = await two_nodes(federation)
    parent = await asso_post(a, "Our general assembly is on Sunday")
    async with logged_in(a, "ed", "editor") as http:
        token = await csrf_of(http, "/report")
        changed = await http.post("/moderation/replies", data={"csrf": token, "uri": parent.uri, "value": "moderated"})
        assert changed.status_code == 303 and changed.headers["location"] == parent.uri
        bad = await http.post("/moderation/replies", data={"csrf": token, "uri": parent.uri, "value": "sometimes"})
        assert bad.status_code == 400
        missing = await http.post("/moderation/replies", data={"csrf": token, "uri": "http://a.test/posts/x", "value": "closed"})
        assert missing.status_code == 404
    async with logged_in(a, "someone", "member") as http:
        token = await csrf_of(http, "/report")
        refused = await http.post("/moderation/replies", data={"csrf": token, "uri": parent.uri, "value": "allow_all"})
        assert refused.status_code == 403
    with a.ctx:
        assert (await Post.get(id=parent.id)).replies_moderation == "moderated"
        entry = await AuditEntry.get(action="moderation.replies")
        assert entry.by == "ed" and entry.details == {"value": "moderated", "previous": "default"}

    good = await reply(federation, b, bob, parent, "I will be there")
    spam = await reply(federation, b, bob, parent, "Cheap watches")
    with a.ctx:
        stored = {p.uri: p for p in await Post.filter(in_reply_to_uri=parent.uri)}
        assert stored[good.uri].held and stored[spam.uri].held
        assert (await Post.get(id=parent.id)).reply_count == 0  # held replies are not counted
    async with client_for(a) as http:
        page = await http.get(parent.uri)
        assert "I will be there" not in page.text
        assert (await http.get(f"{parent.uri}/replies?page=1", headers=AS2)).json()["orderedItems"] == []

    async with logged_in(a, "mod", "moderator") as http:
        held = await http.get("/admin/held")
        assert "I will be there" in held.text and "Cheap watches" in held.text
        token = await csrf_of(http, "/admin/held")
        ids = {uri: p.id for uri, p in stored.items()}
        ok = await http.post("/admin/held", data={"csrf": token, "kind": "reply", "id": str(ids[good.uri]), "decision": "approve"})
        assert ok.status_code == 303
        await http.post("/admin/held", data={"csrf": token, "kind": "reply", "id": str(ids[spam.uri]), "decision": "reject"})
        again = await http.post("/admin/held", data={"csrf": token, "kind": "reply", "id": str(ids[spam.uri]), "decision": "approve"})
        assert again.status_code == 303  # handled already: a notice, not an error page
        assert "handled already" in (await http.get("/admin/held")).text
        assert (await http.post("/admin/held", data={"csrf": token, "kind": "x", "id": "1", "decision": "approve"})).status_code == 400
    with a.ctx:
        assert not (await Post.get(uri=good.uri)).held
        assert not await Post.filter(uri=spam.uri).exists()
        assert (await Post.get(id=parent.id)).reply_count == 1
        assert [e.action for e in await AuditEntry.filter(action__startswith="held.").order_by("id")] == [
            "held.approve", "held.reject"]
    async with client_for(a) as http:
        page = await http.get(parent.uri)
        assert "I will be there" in page.text and "Cheap watches" not in page.text
        assert (await http.get(f"{parent.uri}/replies?page=1", headers=AS2)).json()["orderedItems"] == [good.uri]


async def test_node_wide_hold_allow_all_and_closed(federation: Federation) -> None:
    a, b, bob = await two_nodes(federation)
    default = await asso_post(a, "Default post")
    open_post = await asso_post(a, "Open post")
    closed = await asso_post(a, "Closed post")
    with a.ctx:
        await SiteSetting.create(key="hold_remote_replies", value=True)
    await member(a, "ed", "editor")
    with a.ctx:
        ed = await User.get(username="ed")
        await moderation.set_replies_moderation(a, await Post.get(id=open_post.id), "allow_all", ed)
        await moderation.set_replies_moderation(a, await Post.get(id=closed.id), "closed", ed)
    first = await reply(federation, b, bob, default, "Held by the node")
    second = await reply(federation, b, bob, open_post, "Shown at once")
    third = await reply(federation, b, bob, closed, "Refused")
    with a.ctx:
        assert (await Post.get(uri=first.uri)).held
        assert not (await Post.get(uri=second.uri)).held
        assert (await Post.get(id=open_post.id)).reply_count == 1
        assert not await Post.filter(uri=third.uri).exists()  # closed: not stored at all
        await SiteSetting.filter(key="hold_remote_replies").update(value=False)
    fourth = await reply(federation, b, bob, default, "No longer held")
    with a.ctx:
        assert not (await Post.get(uri=fourth.uri)).held
        assert (await Post.get(id=default.id)).reply_count == 1  # the held one still does not count


async def test_held_support_counts_only_once_approved(federation: Federation) -> None:
    a, b, bob = await two_nodes(federation)
    with b.ctx:
        await follow(b, await local_actor("asso"), await fetch_actor(b, a.urls.actor("asso")))
    await federation.settle()
    with a.ctx:
        initiative = await create_initiative(a, await local_actor("asso"), SCHOOL)
    await federation.settle()
    await member(a, "ed", "editor")
    with a.ctx:
        await moderation.set_replies_moderation(a, initiative, "moderated", await User.get(username="ed"))
    with b.ctx:
        await support(b, await Initiative.get(uri=initiative.uri), bob)  # a Like to a's association
    await federation.settle()
    with a.ctx:
        row = await Support.get(initiative_id=initiative.id)
        assert row.held and (await Initiative.get(id=initiative.id)).support_count == 0
    async with client_for(a) as http:
        assert (await http.get(initiative.uri, headers=AS2)).json()["supportCount"] == 0
        assert "@bob@b.test" not in (await http.get(initiative.uri)).text
    async with logged_in(a, "mod", "moderator") as http:
        assert "@bob@b.test" in (await http.get("/admin/held")).text
        token = await csrf_of(http, "/admin/held")
        done = await http.post("/admin/held", data={"csrf": token, "kind": "support", "id": str(row.id), "decision": "approve"})
        assert done.status_code == 303
    with a.ctx:
        assert not (await Support.get(id=row.id)).held
        assert (await Initiative.get(id=initiative.id)).support_count == 1
        assert (await AuditEntry.get(action="held.approve")).details["kind"] == "support"
    async with client_for(a) as http:
        assert (await http.get(initiative.uri, headers=AS2)).json()["supportCount"] == 1
    with a.ctx:  # closed: a new Like is not stored
        await moderation.set_replies_moderation(a, await Initiative.get(id=initiative.id), "closed",
                                                await User.get(username="ed"))
    carol, _ = await member(b, "carol")
    with b.ctx:
        await support(b, await Initiative.get(uri=initiative.uri), carol)
    await federation.settle()
    with a.ctx:
        assert await Support.filter(initiative_id=initiative.id).count() == 1


async def test_silenced_accounts_wait(federation: Federation, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b, bob = await two_nodes(federation)

    async def silenced(node: Node, actor_uri: str) -> bool:
        return actor_uri == bob.uri

    async def not_silenced(node: Node, actor_uri: str) -> bool:
        return False

    monkeypatch.setattr(policy, "is_silenced", silenced)
    parent = await asso_post(a, "Open to all")
    await member(a, "ed", "editor")
    with a.ctx:
        await moderation.set_replies_moderation(a, await Post.get(id=parent.id), "allow_all",
                                                await User.get(username="ed"))
    held = await reply(federation, b, bob, parent, "From a silenced account")
    with a.ctx:
        assert (await Post.get(uri=held.uri)).held
    with b.ctx:  # a follow from a silenced account waits, although the association accepts automatically
        await follow(b, bob, await fetch_actor(b, a.urls.actor("asso")))
    await federation.settle()
    with a.ctx:
        row = await Follow.get(follower__uri=bob.uri)
        assert row.state == "pending"
    with b.ctx:
        assert (await Follow.get(follower=bob)).state == "pending"
    with a.ctx:  # approved by an admin, bob writes to the group (FEP-1b12): held, so not relayed yet
        await approve_follow(a, row, True)
    await federation.settle()
    with b.ctx:
        group_post = await create_post(b, bob, Draft(text="@asso@a.test hello everyone"))
    await federation.settle()
    with a.ctx:
        stored = await Post.get(uri=group_post.uri)
        assert stored.held and not await Activity.filter(kind="Announce", outgoing=True).exists()
        await moderation.approve_post(a, stored, await User.get(username="ed"))
        [announce] = await Activity.filter(kind="Announce", outgoing=True)
        assert announce.data["object"] == group_post.uri and announce.actor_uri == a.urls.actor("asso")
    monkeypatch.setattr(policy, "is_silenced", not_silenced)
    carol, _ = await member(b, "carol")
    with b.ctx:
        await follow(b, carol, await fetch_actor(b, a.urls.actor("asso")))
    await federation.settle()
    with a.ctx:
        assert (await Follow.get(follower__uri=carol.uri)).state == "accepted"
