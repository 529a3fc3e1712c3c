"""Members comment from the web on posts, events and initiatives: a reply from their own Person that
shows under the object, reaches their followers on other servers, notifies the object's author, and
follows the object's reply setting (closed refuses, moderated holds until approved)."""

from __future__ import annotations

import httpx2

from node.accounts.actors import fetch_actor
from node.core.models import Actor, Notification, Post, User
from node.core.runtime import Node
from node.moderation.moderation import approve_post
from node.social.social import follow
from tests.conftest import Federation, client_for, member
from tests.helpers import csrf_of, logged_in, publish, publish_event, publish_initiative


def path_of(uri: str) -> str:
    return "/" + uri.split("://", 1)[1].split("/", 1)[1]


async def _comment(http: httpx2.AsyncClient, page: str, uri: str, text: str, **extra: str) -> httpx2.Response:
    return await http.post("/comments", data={"csrf": await csrf_of(http, page), "object": uri, "text": text, **extra})


async def _followed_by_bob(fed: Federation, a: Node, b: Node, username: str) -> None:
    bob, _ = await member(b, "bob")
    with b.ctx:
        await follow(b, bob, await fetch_actor(b, a.urls.actor(username)))
    await fed.settle()


async def test_a_member_comments_on_a_post_and_the_comment_reaches_a_remote_follower(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    post = await publish(a, "We meet on Saturday.")
    page = path_of(post.uri)
    async with logged_in(a, "alice") as http:
        await _followed_by_bob(federation, a, b, "alice")
        shown = await http.get(page)
        assert 'action="/comments"' in shown.text and f'value="{post.uri}"' in shown.text
        answer = await _comment(http, page, post.uri, "I will bring **tea**.", language="fr")
        assert answer.status_code == 303 and answer.headers["location"] == f"{page}#comments"
        assert "I will bring <strong>tea</strong>." in (await http.get(page)).text
    await federation.settle()
    with a.ctx:
        alice = await Actor.get(username="alice", local=True)
        [mine] = await Post.filter(author=alice)
        assert (mine.in_reply_to_uri, mine.language, mine.visibility) == (post.uri, "fr", "public")
        assert await Notification.filter(recipient_id=post.author_id, kind="reply", object_uri=post.uri).exists()
    with b.ctx:
        received = await Post.get(uri=mine.uri)
        assert received.in_reply_to_uri == post.uri and "tea" in received.content
    async with client_for(a, follow_redirects=False) as visitor:
        assert "Sign in to comment" in (await visitor.get(page)).text
        refused = await visitor.post("/comments", data={"object": post.uri, "text": "spam"})
        assert refused.status_code == 303 and refused.headers["location"] == "/login"
    with a.ctx:
        assert await Post.filter(in_reply_to_uri=post.uri).count() == 1


async def test_a_closed_post_refuses_comments(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    post = await publish(a, "No discussion here.")
    with a.ctx:
        await Post.filter(id=post.id).update(replies_moderation="closed")
    page = path_of(post.uri)
    async with logged_in(a, "alice") as http:
        shown = await http.get(page)
        assert "Comments are closed." in shown.text and 'action="/comments"' not in shown.text
        csrf = await csrf_of(http, "/account")
        answer = await http.post("/comments", data={"csrf": csrf, "object": post.uri, "text": "But I want to"})
        assert answer.status_code == 403 and "Comments are closed." in answer.text
        empty = await _comment(http, "/account", "http://a.test/posts/nothing", "Hello")
        assert empty.status_code == 404
    with a.ctx:
        assert not await Post.filter(in_reply_to_uri=post.uri).exists()


async def test_comments_on_a_moderated_event_wait_for_approval_then_federate(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    event = await publish_event(a, replies_moderation="moderated")
    page = path_of(event.uri)
    async with logged_in(a, "alice") as http:
        await _followed_by_bob(federation, a, b, "alice")
        answer = await _comment(http, page, event.uri, "Is there parking?")
        assert answer.status_code == 303 and answer.headers["location"] == f"{page}?comment=held#comment-form"
        shown = await http.get(answer.headers["location"])
        assert "appears once a moderator approves it" in shown.text and "Is there parking?" not in shown.text
    await federation.settle()
    with a.ctx:
        held = await Post.get(in_reply_to_uri=event.uri)
        assert held.held and held.draft
    with b.ctx:
        assert not await Post.filter(uri=held.uri).exists()  # nothing left before approval
    await member(a, "mona", "moderator")
    with a.ctx:
        await approve_post(a, held, await User.get(username="mona"))
    await federation.settle()
    async with logged_in(a, "carla") as http:
        assert "Is there parking?" in (await http.get(page)).text
    with b.ctx:
        assert (await Post.get(uri=held.uri)).in_reply_to_uri == event.uri
    with a.ctx:  # the organizer hears of it once it is shown
        assert await Notification.filter(recipient_id=event.organizer_id, kind="reply", object_uri=event.uri).count() == 1


async def test_a_member_comments_on_an_initiative(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    initiative = await publish_initiative(a)
    page = path_of(initiative.uri)
    async with logged_in(a, "alice") as http:
        assert "No comments yet." in (await http.get(page)).text
        answer = await _comment(http, page, initiative.uri, "I can drive the van.")
        assert answer.status_code == 303
        shown = await http.get(page)
        assert "I can drive the van." in shown.text and 'id="comments"' in shown.text
        empty = await _comment(http, page, initiative.uri, "   ")
        assert empty.status_code == 400
    with a.ctx:
        assert await Notification.filter(recipient_id=initiative.organizer_id, kind="reply").count() == 1
