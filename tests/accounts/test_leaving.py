"""Leaving: a member downloads exactly their own data as JSON, and deletes their account with their
password; their Person sends `Delete` of itself to the servers that know it (checked at a second
node), their content becomes tombstones, and the actor and the profile answer 410 Gone. A wrong
password, the association's actor and the last admin are refused."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest

from node.accounts import deletion
from node.accounts.actors import fetch_actor
from node.accounts.members import MemberError, create_member
from node.core.models import Activity, Actor, Follow, Post, User
from node.core.runtime import Node
from node.events.models import Event, Participation
from node.events.participation import join
from node.initiatives.models import Initiative, Need, Pledge, Support
from node.initiatives.pledges import pledge
from node.initiatives.support import support
from node.posts.content import Draft, create_post
from node.social.social import follow, like
from node.web.pages import association_actor
from tests.conftest import Federation, client_for, member
from tests.helpers import csrf_of, publish, publish_event, publish_initiative

AS2_ACCEPT = "application/activity+json"


@contextlib.asynccontextmanager
async def sign_in(node: Node, name: str, password: str) -> AsyncIterator[httpx2.AsyncClient]:
    async with client_for(node, follow_redirects=False) as http:
        token = await csrf_of(http, "/login")
        response = await http.post("/login", data={"csrf": token, "login": name, "password": password})
        assert response.status_code == 303, response.text
        yield http


async def busy_member(node: Node, name: str, event: Event, initiative: Initiative, parent: Post) -> tuple[Actor, str]:
    """A member with a post, a comment, a pledge, a participation, support and a like, each naming
    them; and their password."""
    actor, password = await member(node, name)
    with node.ctx:
        await create_post(node, actor, Draft(text=f"{name} writes a post"))
        await create_post(node, actor, Draft(text=f"{name} comments", in_reply_to=parent.uri))
        need = await Need.get(initiative=initiative)
        await pledge(node, need, actor=actor, name=name, amount="15", message=f"{name} pledges")
        await join(node, event, actor, message=f"{name} joins")
        await support(node, initiative, actor)
        await like(node, actor, parent.uri)
    return actor, password


async def test_the_export_holds_exactly_the_members_own_data(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    event, initiative = await publish_event(a), await publish_initiative(a)
    parent = await publish(a, "The association speaks")
    _, password = await busy_member(a, "alice", event, initiative, parent)
    await busy_member(a, "bruno", event, initiative, parent)
    async with client_for(a, follow_redirects=False) as visitor:
        assert (await visitor.get("/account/export.json")).status_code == 303  # members only
    async with sign_in(a, "alice", password) as http:
        page = await http.get("/account")
        assert 'href="/account/export.json"' in page.text and 'href="/account/delete"' in page.text
        response = await http.get("/account/export.json")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    assert "attachment" in response.headers["content-disposition"]
    data: dict[str, Any] = response.json()
    assert data["account"]["username"] == "alice" and data["account"]["email"] == "alice@example.org"
    assert data["profile"]["id"] == a.urls.actor("alice")
    assert [p["source"] for p in data["posts"]] == ["alice writes a post"]
    assert [(c["source"], c["inReplyTo"]) for c in data["comments"]] == [("alice comments", parent.uri)]
    assert [(p["message"], p["amountMinor"], p["currency"]) for p in data["pledges"]] == [("alice pledges", 1500, "EUR")]
    assert [(p["event"], p["message"], p["state"]) for p in data["participations"]] == [(event.uri, "alice joins", "accepted")]
    assert [s["initiative"] for s in data["supports"]] == [initiative.uri]
    assert [(i["type"], i["object"]) for i in data["likesAndBoosts"]] == [("Like", parent.uri)]
    text = json.dumps(data)
    assert "bruno" not in text and "argon2" not in text and password not in text


async def test_deleting_sends_delete_and_the_actor_answers_410(federation: Federation) -> None:
    a, b = await federation.add_node("a.test"), await federation.add_node("b.test")
    alice, password = await member(a, "alice")
    carol, _ = await member(b, "carol")
    dave, _ = await member(b, "dave")
    with b.ctx:  # carol on b follows alice
        await follow(b, carol, await fetch_actor(b, alice.uri))
    with a.ctx:  # alice follows dave on b
        await follow(a, alice, await fetch_actor(a, dave.uri))
    await federation.settle()
    with a.ctx:  # and writes a post carol receives
        post = await create_post(a, alice, Draft(text="Hello from alice"))
    await federation.settle()
    with b.ctx:
        assert await Post.filter(uri=post.uri).exists()
        assert await Follow.filter(follower__uri=alice.uri, target_id=dave.id).exists()
    async with sign_in(a, "alice", password) as http:
        form = await http.get("/account/delete")
        assert form.status_code == 200 and form.headers["cache-control"] == "no-store"
        done = await http.post("/account/delete", data={"csrf": await csrf_of(http, "/account/delete"), "password": password})
        assert done.status_code == 200 and "Your account was deleted" in done.text
        assert (await http.get("/account")).status_code == 303  # signed out
    await federation.settle()
    assert any(m == "POST" and url == "http://b.test/inbox" and status == 202 for m, url, status in federation.network.log)
    with b.ctx:  # b forgot alice: her actor is marked deleted, her post and her follow are gone
        remote = await Actor.get(uri=alice.uri)
        assert remote.deleted_at is not None
        assert not await Post.filter(uri=post.uri).exists()
        assert not await Follow.filter(follower_id=remote.id).exists()
    async with client_for(a, follow_redirects=False) as visitor:
        actor_doc = await visitor.get("/users/alice", headers={"Accept": AS2_ACCEPT})
        assert actor_doc.status_code == 410 and actor_doc.json()["type"] == "Tombstone"
        assert actor_doc.json()["id"] == alice.uri
        profile = await visitor.get("/@alice")
        assert profile.status_code == 410 and "deleted" in profile.text
        gone_post = await visitor.get(post.uri.removeprefix(a.settings.base_url), headers={"Accept": AS2_ACCEPT})
        assert gone_post.status_code == 410
    with a.ctx:
        assert not await User.filter(username="alice").exists()
        row = await Post.get(uri=post.uri)
        assert row.deleted_at is not None and row.source == "" and row.content == ""
        assert not await Follow.filter(follower_id=alice.id).exists()
        assert not await Follow.filter(target_id=alice.id).exists()
        sent = await Activity.get(uri=f"{alice.uri}#delete")
        assert sent.data["type"] == "Delete" and sent.data["object"] == alice.uri
    with pytest.raises(MemberError):  # the username stays taken
        with a.ctx:
            await create_member(a, "alice", "new@example.org")


async def test_deleting_removes_the_members_rows_and_recounts(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    event, initiative = await publish_event(a), await publish_initiative(a)
    parent = await publish(a, "The association speaks")
    alice, password = await busy_member(a, "alice", event, initiative, parent)
    await busy_member(a, "bruno", event, initiative, parent)
    with a.ctx:
        user = await User.get(username="alice")
        assert (await Event.get(id=event.id)).participant_count == 2
        assert (await Initiative.get(id=initiative.id)).support_count == 2
        await deletion.delete_account(a, user, password)
        assert (await Event.get(id=event.id)).participant_count == 1
        assert (await Initiative.get(id=initiative.id)).support_count == 1
        refreshed = await Post.get(id=parent.id)
        assert refreshed.reply_count == 1  # bruno's comment remains
        for model in (Participation, Support, Pledge):
            assert not await model.filter(actor_id=alice.id).exists(), model
            assert await model.filter(actor__username="bruno").exists(), model
        assert await Post.filter(author_id=alice.id, deleted_at=None).count() == 0
        assert (await Actor.get(id=alice.id)).name == ""


async def test_a_wrong_password_refuses_and_keeps_everything(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    alice, password = await member(a, "alice")
    async with sign_in(a, "alice", password) as http:
        refused = await http.post("/account/delete", data={"csrf": await csrf_of(http, "/account/delete"), "password": "not it"})
        assert refused.status_code == 400 and "The password is wrong." in refused.text
        no_token = await http.post("/account/delete", data={"password": password})
        assert no_token.status_code == 403
        assert (await http.get("/account")).status_code == 200  # still signed in
    with a.ctx:
        assert await User.filter(username="alice").exists()
        assert (await Actor.get(id=alice.id)).deleted_at is None
        assert not await Activity.filter(kind="Delete").exists()


async def test_the_last_admin_and_the_association_cannot_be_deleted(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    _, password = await member(a, "boss", role="admin")
    with a.ctx:
        await User.filter(role="admin").exclude(username="boss").update(role="member")
    async with sign_in(a, "boss", password) as http:
        refused = await http.post("/account/delete", data={"csrf": await csrf_of(http, "/account/delete"), "password": password})
        assert refused.status_code == 400 and "You are the last admin" in refused.text
    with a.ctx:
        assert await User.filter(username="boss").exists()
        asso = await association_actor(a)
        assert asso is not None
        boss = await User.get(username="boss")
        with pytest.raises(MemberError, match="association"):
            deletion.check_deletable(a, boss, asso, admins=5)
    _, other = await member(a, "deputy", role="admin")  # with a second admin, the first may leave
    with a.ctx:
        await deletion.delete_account(a, boss, password)
        assert not await User.filter(username="boss").exists()
