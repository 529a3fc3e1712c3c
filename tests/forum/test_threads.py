"""The forum's services across two nodes: a category followed from another server, topics and
replies announced by it, edits with history, deletions, approval, members-only categories."""

from __future__ import annotations

import pytest

from federation.client import FetchError
from node.accounts.actors import fetch_actor
from node.core.models import Activity, Post
from node.forum.categories import CategoryInput, create_category
from node.forum.models import Entry, Revision, Topic
from node.forum import threads
from node.posts.content import Draft
from node.social.social import follow
from tests.conftest import Federation, member


async def _forum(fed: Federation, **options: object) -> tuple:
    a = await fed.add_node("a.test")
    b = await fed.add_node("b.test")
    alice, _ = await member(a, "alice")
    bob, _ = await member(b, "bob")
    with a.ctx:
        category = await create_category(a, "housing", CategoryInput(names={"en": "Housing", "fr": "Logement"}, **options))  # type: ignore[arg-type]
    with b.ctx:
        group = await fetch_actor(b, a.urls.actor("housing"))
        assert group.kind == "Group"
        await follow(b, bob, group)
    await fed.settle()
    return a, b, alice, bob, category


async def test_topic_and_reply_reach_a_follower_of_the_category(federation: Federation) -> None:
    a, b, alice, bob, category = await _forum(federation)
    with a.ctx:
        topic = await threads.start_topic(a, alice, category, Draft(text="Where do I find a room?", title="Rooms in Paris"))
        entry = await threads.reply(a, alice, topic, Draft(text="Ask at the town hall."))
    await federation.settle()
    with a.ctx:
        announced = await Activity.filter(kind="Announce", outgoing=True, actor_uri=a.urls.actor("housing")).order_by("id")
        objects = [await Post.get(uri=x.data["object"]["object"]["id"]) for x in announced]  # Announce{Create}
        assert [p.kind for p in objects] == ["Page", "Note"]
        assert objects[0].data["name"] == "Rooms in Paris"
        assert objects[0].data["audience"] == a.urls.actor("housing")
        assert objects[0].data["context"] == threads.topic_url(a, topic.slug)
        assert objects[1].in_reply_to_uri == objects[0].uri
    with a.ctx:
        topic = await Topic.get(id=topic.id)
        assert topic.reply_count == 1 and entry.position == 1
        announces = await Activity.filter(kind="Announce", outgoing=True, actor_uri=a.urls.actor("housing")).count()
        assert announces == 2


async def test_edit_keeps_history_and_delete_leaves_a_place(federation: Federation) -> None:
    a, b, alice, bob, category = await _forum(federation)
    with a.ctx:
        topic = await threads.start_topic(a, alice, category, Draft(text="First text", title="A title"))
        post = await Post.get(id=topic.post_id)
        await threads.edit(a, alice, post, Draft(text="Second text", title="A better title"))
        entry = await threads.reply(a, alice, topic, Draft(text="A reply"))
        reply_post = await Post.get(id=entry.post_id)
    await federation.settle()
    with a.ctx:
        revisions = await Revision.filter(post_id=post.id)
        assert [r.title for r in revisions] == ["A title"] and "First text" in revisions[0].content
        assert (await Topic.get(id=topic.id)).title == "A better title"
        await threads.delete_own(a, reply_post, alice)
        entry = await Entry.get(id=entry.id)
        assert entry.removed_at is not None
        assert (await Topic.get(id=topic.id)).reply_count == 0
        deletes = await Activity.filter(kind="Delete", outgoing=True, actor_uri=alice.uri).count()
        assert deletes == 1


async def test_members_only_category_sends_nothing(federation: Federation) -> None:
    a, b, alice, bob, _ = await _forum(federation)
    with a.ctx:
        private = await create_category(a, "board", CategoryInput(names={"en": "Board"}, read_access="members"))
        before = await Activity.filter(outgoing=True).count()
        topic = await threads.start_topic(a, alice, private, Draft(text="Secret plans", title="Budget"))
        await threads.reply(a, alice, topic, Draft(text="Agreed"))
        assert await Activity.filter(outgoing=True).count() == before
        post = await Post.get(id=topic.post_id)
        assert post.visibility == "members" and post.to == [] and post.cc == []
    with b.ctx:
        with pytest.raises(FetchError, match="404"):  # the actor of a members-only category is not served
            await fetch_actor(b, a.urls.actor("board"))


async def test_first_post_waits_for_approval(federation: Federation) -> None:
    a, b, alice, bob, category = await _forum(federation, approve_new=True)
    with a.ctx:
        topic = await threads.start_topic(a, alice, category, Draft(text="Hello all", title="Newcomer"))
        assert topic.held
        post = await Post.get(id=topic.post_id)
        assert post.draft
    with a.ctx:
        assert not await Activity.filter(kind="Announce", outgoing=True).exists()
        await threads.approve(a, await Entry.get(post_id=post.id))
        assert not (await Topic.get(id=topic.id)).held
        second = await threads.start_topic(a, alice, category, Draft(text="Again", title="Second"))
        assert not second.held  # an approved author posts freely
        assert await Activity.filter(kind="Announce", outgoing=True).count() == 2
