"""The forum on the wire, between two Agora nodes: a member of node B follows a category of node A,
receives its topics, replies from B; the reply joins A's thread and its context collection, edits and
deletions travel, a locked topic refuses, a moved topic follows, likes count on the topic, remote
accounts start topics only where the category lets them, and a members-only category leaks nowhere."""

from __future__ import annotations

from typing import Any

import pytest

from federation import vocab
from federation.client import FetchError
from node.accounts.actors import fetch_actor
from node.activitypub.registry import dispatch
from node.core.models import Activity, Actor, Post, User
from node.core.local_actors import MAX_NAMED_HERE, live_local_actor
from node.forum import inbound, moderation, threads, wire
from node.forum.categories import CategoryInput, create_category, set_moderators
from node.forum.models import Category, Entry, Revision, Topic
from node.posts.content import ContentError, Draft, create_post, delete_post, update_post
from node.social import groups
from node.social.social import follow, like, undo
from tests.conftest import Federation, client_for, member

AS2 = {"Accept": "application/activity+json"}


async def _forum(fed: Federation, **options: Any) -> tuple[Any, Any, Actor, Actor, Category]:
    a = await fed.add_node("a.test")
    b = await fed.add_node("b.test")
    alice, _ = await member(a, "alice")
    bob, _ = await member(b, "bob")
    with a.ctx:
        category = await create_category(a, "housing", CategoryInput(names={"en": "Housing"}, **options))
    with b.ctx:
        await follow(b, bob, await fetch_actor(b, a.urls.actor("housing")))
    await fed.settle()
    return a, b, alice, bob, category


async def _topic(fed: Federation, a: Any, alice: Actor, category: Category, title: str = "Rooms in Paris") -> tuple[Topic, Post]:
    with a.ctx:
        topic = await threads.start_topic(a, alice, category, Draft(text="Where do I find a room?", title=title))
        post = await Post.get(id=topic.post_id)
    await fed.settle()
    return topic, post


async def _context(node: Any, topic: Topic, **params: str) -> Any:
    async with client_for(node) as client:
        response = await client.get(f"/topics/{topic.slug}", headers=AS2, params=params)
    return response


async def _reply_from_b(fed: Federation, b: Any, bob: Actor, parent_uri: str, text: str = "Try the town hall.") -> Post:
    with b.ctx:
        post = await create_post(b, bob, Draft(text=text, in_reply_to=parent_uri))
    await fed.settle()
    return post


async def test_a_reply_from_another_node_joins_the_thread_and_its_context(federation: Federation) -> None:
    a, b, alice, bob, category = await _forum(federation)
    topic, opening = await _topic(federation, a, alice, category)
    with b.ctx:  # B got the category's Announce{Create{Page}} and stored the topic for bob
        copy = await Post.get(uri=opening.uri)
        assert copy.kind == "Page" and copy.data["name"] == "Rooms in Paris"
        assert copy.data["audience"] == a.urls.actor("housing")
    reply = await _reply_from_b(federation, b, bob, opening.uri)
    with a.ctx:
        entry = await Entry.get(post__uri=reply.uri)
        assert entry.topic_id == topic.id and entry.position == 1 and not entry.held
        assert (await Topic.get(id=topic.id)).reply_count == 1
        announce = await Activity.get(uri=threads.announce_id(a.urls.actor("housing"), reply.uri))
        assert announce.data["object"]["type"] == "Create"  # the activity bob sent, embedded unchanged
        assert announce.data["object"]["actor"] == bob.uri
        assert announce.data["object"]["object"]["id"] == reply.uri
    response = await _context(a, topic)
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/activity+json")
    doc = response.json()
    assert doc["type"] == "OrderedCollection" and doc["id"] == threads.topic_url(a, topic.slug)
    assert doc["orderedItems"] == [opening.uri, reply.uri] and doc["totalItems"] == 2
    async with client_for(a) as client:  # unchanged since: 304, by its ETag
        again = await client.get(f"/topics/{topic.slug}", headers={**AS2, "If-None-Match": response.headers["etag"]})
    assert again.status_code == 304 and again.headers["etag"] == response.headers["etag"]
    assert doc["name"] == "Rooms in Paris"
    assert doc["attributedTo"] == doc["audience"] == a.urls.actor("housing")
    async with client_for(a) as client:  # a browser gets the thread page at the same address
        page = await client.get(f"/topics/{topic.slug}", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "Accept" in page.headers["vary"]
    assert not page.headers["content-type"].startswith("application/activity+json")


async def test_a_reply_to_a_third_servers_post_reaches_the_thread(federation: Federation) -> None:
    """carol on C replies in A's thread; B gets her reply through the category's Announce (fetched from
    C: the embedded copy is not from A's host); bob's answer to carol goes to A's category too."""
    a, b, alice, bob, category = await _forum(federation)
    c = await federation.add_node("c.test")
    carol, _ = await member(c, "carol")
    topic, opening = await _topic(federation, a, alice, category)
    carols = await _reply_from_b(federation, c, carol, opening.uri, "Ask the tenants' union.")
    with b.ctx:
        copy = await Post.get(uri=carols.uri)
        assert copy.data["audience"] == a.urls.actor("housing") and "union" in copy.content
    answer = await _reply_from_b(federation, b, bob, carols.uri, "Which one?")
    with b.ctx:
        assert a.urls.actor("housing") in (await Post.get(id=answer.id)).cc
    with a.ctx:
        entry = await Entry.get(post__uri=answer.uri).prefetch_related("post")
        assert entry.topic_id == topic.id and entry.position == 2
        assert entry.post.in_reply_to_uri == carols.uri and entry.post.data["audience"] == a.urls.actor("housing")
    assert (await _context(a, topic)).json()["orderedItems"] == [opening.uri, carols.uri, answer.uri]


async def test_the_announced_create_is_fetchable_by_its_id(federation: Federation) -> None:
    """Mastodon and snac resolve Announce{Create} by fetching the Create's id."""
    a, b, alice, bob, category = await _forum(federation)
    topic, opening = await _topic(federation, a, alice, category)
    with a.ctx:
        announce = await Activity.get(uri=threads.announce_id(a.urls.actor("housing"), opening.uri))
    inner = announce.data["object"]
    assert announce.data["actor"] == a.urls.actor("housing") and vocab.PUBLIC in announce.data["to"]
    with b.ctx:
        fetched = await b.client.get_json(inner["id"], signer=b.instance_signer)
    assert fetched["type"] == "Create" and fetched["object"]["id"] == opening.uri
    assert vocab.host_of(fetched["id"]) == vocab.host_of(fetched["actor"])


async def test_edits_and_deletions_travel_both_ways(federation: Federation) -> None:
    a, b, alice, bob, category = await _forum(federation)
    topic, opening = await _topic(federation, a, alice, category)
    reply = await _reply_from_b(federation, b, bob, opening.uri)
    with b.ctx:
        await update_post(b, reply, Draft(text="Try the town hall, on Mondays."))
    await federation.settle()
    with a.ctx:
        stored = await Post.get(uri=reply.uri)
        assert "Mondays" in stored.content
        assert [r.content for r in await Revision.filter(post_id=stored.id)] == ["<p>Try the town hall.</p>\n"]
        updates = [x for x in await Activity.filter(kind="Announce", outgoing=True) if vocab.type_of(x.data["object"]) == "Update"]
        assert len(updates) == 1 and updates[0].data["object"]["actor"] == bob.uri
        await threads.edit(a, alice, opening, Draft(text="Where do I find a flat?", title="Flats in Paris"))
    await federation.settle()
    with b.ctx:
        assert "flat" in (await Post.get(uri=opening.uri)).content  # the member's Update reached the category's followers
        await delete_post(b, await Post.get(uri=reply.uri))
    await federation.settle()
    with a.ctx:
        entry = await Entry.get(post__uri=reply.uri).prefetch_related("post")
        assert entry.removed_at is not None and entry.post.deleted_at is not None and entry.post.content == ""
        assert (await Topic.get(id=topic.id)).reply_count == 0
    doc = (await _context(a, topic)).json()
    assert doc["orderedItems"] == [opening.uri]
    etag = (await _context(a, topic)).headers["etag"]
    with a.ctx:
        await threads.reply(a, alice, topic, Draft(text="Still looking?"))
    assert (await _context(a, topic)).headers["etag"] != etag  # a new post changes the collection's ETag
    with a.ctx:
        await threads.delete_own(a, await Post.get(id=opening.id), alice)
    await federation.settle()
    with b.ctx:
        assert await Post.get_or_none(uri=opening.uri) is None
    assert (await _context(a, topic)).status_code == 404  # a removed topic has no context to serve


async def test_a_locked_topic_refuses_remote_replies(federation: Federation) -> None:
    a, b, alice, bob, category = await _forum(federation)
    topic, opening = await _topic(federation, a, alice, category)
    moderator = await _moderator(a)
    with a.ctx:
        await moderation.set_locked(a, topic, moderator, True, "Settled")
    await federation.settle()
    with b.ctx:  # the moderator's Lock, announced by the category, closes B's copy to replies
        assert (await Post.get(uri=opening.uri)).replies_moderation == "closed"
    with b.ctx, pytest.raises(ContentError, match="locked"):  # B's members may not reply to it any more
        await create_post(b, bob, Draft(text="Try the town hall.", in_reply_to=opening.uri))
    with a.ctx:  # and a reply sent all the same (another software) is refused by A
        reply_uri = f"{bob.uri}/statuses/late"
        await _deliver(a, bob.uri, {"id": f"{reply_uri}/activity", "type": "Create", "actor": bob.uri,
                                    "object": {"id": reply_uri, "type": "Note", "attributedTo": bob.uri,
                                               "content": "<p>Try the town hall.</p>", "inReplyTo": opening.uri,
                                               "to": [vocab.PUBLIC], "cc": [a.urls.actor("housing")]}})
        assert await Post.get_or_none(uri=reply_uri) is None
        assert await Entry.filter(topic_id=topic.id).count() == 1
        assert (await Topic.get(id=topic.id)).reply_count == 0
        await moderation.set_locked(a, await Topic.get(id=topic.id), moderator, False)
    await federation.settle()
    with b.ctx:
        assert (await Post.get(uri=opening.uri)).replies_moderation == "default"


async def test_a_moderators_removal_reaches_the_categorys_followers(federation: Federation) -> None:
    a, b, alice, bob, category = await _forum(federation)
    topic, opening = await _topic(federation, a, alice, category)
    moderator = await _moderator(a)
    with a.ctx:
        entry = await Entry.get(post_id=opening.id)
        await moderation.remove(a, entry, moderator, "Spam")
    await federation.settle()
    with b.ctx:  # Delete{summary} by a moderator of the category's own server: hidden, restorable
        assert (await Post.get(uri=opening.uri)).deleted_at is not None
    with a.ctx:
        await moderation.restore(a, await Entry.get(id=entry.id), moderator)
    await federation.settle()
    with b.ctx:
        assert (await Post.get(uri=opening.uri)).deleted_at is None


async def _moderator(node: Any) -> User:
    actor, _ = await member(node, "mod", role="moderator")
    with node.ctx:
        return await User.get(actor_id=actor.id)


async def test_newcomers_wait_for_approval_then_are_announced(federation: Federation) -> None:
    a, b, alice, bob, category = await _forum(federation, approve_new=True)
    with a.ctx:
        await Category.filter(id=category.id).update(approve_new=False)
        category = await Category.get(id=category.id)
    topic, opening = await _topic(federation, a, alice, category)
    with a.ctx:
        await Category.filter(id=category.id).update(approve_new=True)
    reply = await _reply_from_b(federation, b, bob, opening.uri)
    with a.ctx:
        entry = await Entry.get(post__uri=reply.uri)
        assert entry.held and (await Post.get(uri=reply.uri)).held
        assert not await Activity.filter(uri=threads.announce_id(a.urls.actor("housing"), reply.uri)).exists()
        assert (await _context(a, topic)).json()["orderedItems"] == [opening.uri]
        await threads.approve(a, entry)
        assert await Activity.filter(uri=threads.announce_id(a.urls.actor("housing"), reply.uri)).exists()
    assert (await _context(a, topic)).json()["orderedItems"] == [opening.uri, reply.uri]


async def test_a_moved_topic_follows(federation: Federation) -> None:
    a, b, alice, bob, category = await _forum(federation)
    topic, opening = await _topic(federation, a, alice, category)
    moderator = await _moderator(a)
    with a.ctx:
        jobs = await create_category(a, "jobs", CategoryInput(names={"en": "Jobs"}))
        await moderation.move(a, topic, jobs, moderator)
    await federation.settle()
    with b.ctx:  # the author's Update, sent to the followers of both categories, files B's copy anew
        assert (await Post.get(uri=opening.uri)).data["audience"] == a.urls.actor("jobs")
    reply = await _reply_from_b(federation, b, bob, opening.uri)
    with a.ctx:
        assert (await Entry.get(post__uri=reply.uri)).topic_id == topic.id
        assert await Activity.filter(uri=threads.announce_id(a.urls.actor("jobs"), reply.uri)).exists()
        assert not await Activity.filter(uri=threads.announce_id(a.urls.actor("housing"), reply.uri)).exists()
    doc = (await _context(a, topic)).json()
    assert doc["audience"] == a.urls.actor("jobs") and doc["orderedItems"] == [opening.uri, reply.uri]


async def _deliver(node: Any, actor_uri: str, doc: dict[str, Any]) -> None:
    """Run an activity through the inbox handlers as if it had arrived signed by `actor_uri`."""
    await Activity.create(uri=doc["id"], kind=doc["type"], actor_uri=actor_uri, outgoing=False, data=doc)
    await dispatch(node, doc["id"])


async def test_likes_count_on_the_post_and_the_topic(federation: Federation) -> None:
    a, b, alice, bob, category = await _forum(federation)
    topic, opening = await _topic(federation, a, alice, category)
    with a.ctx:
        reply = await Post.get(id=(await threads.reply(a, alice, topic, Draft(text="Me too"))).post_id)
    await federation.settle()
    with b.ctx:
        await like(b, bob, opening.uri)
        liked = await like(b, bob, reply.uri)
    await federation.settle()
    with a.ctx:
        assert (await Post.get(id=opening.id)).like_count == 1
        assert (await Topic.get(id=topic.id)).like_count == 2  # the likes of every post of the thread
    with b.ctx:
        await undo(b, bob, liked)
    await federation.settle()
    with a.ctx:
        assert (await Post.get(id=reply.id)).like_count == 0
        assert (await Topic.get(id=topic.id)).like_count == 1


async def test_remote_accounts_start_topics_only_where_the_category_lets_them(federation: Federation) -> None:
    a, b, alice, bob, category = await _forum(federation)
    with b.ctx:
        refused = await create_post(b, bob, Draft(text="@housing@a.test Is anyone renting?"))
    await federation.settle()
    with a.ctx:
        assert not await Topic.filter(post__uri=refused.uri).exists()
        await Category.filter(id=category.id).update(start_policy="everyone")
    with b.ctx:
        post = await create_post(b, bob, Draft(text="@housing@a.test Room wanted near Lyon\n\nFrom March, two people."))
    await federation.settle()
    with a.ctx:
        topic = await Topic.get(post__uri=post.uri)
        assert topic.title == "Room wanted near Lyon" and topic.category_id == category.id
        assert await Activity.filter(uri=threads.announce_id(a.urls.actor("housing"), post.uri)).exists()
    doc = (await _context(a, topic)).json()
    assert doc["orderedItems"] == [post.uri]


async def test_the_category_actor_and_its_collections(federation: Federation) -> None:
    a, b, alice, bob, category = await _forum(federation)
    carol, _ = await member(a, "carol")
    topic, opening = await _topic(federation, a, alice, category)
    with a.ctx:
        await set_moderators(category, ["carol"])
        await Topic.filter(id=topic.id).update(pinned=True)
    base = f"{a.settings.base_url}/forum/housing"
    async with client_for(a) as client:
        actor = (await client.get("/users/housing", headers=AS2)).json()
        mods = (await client.get("/forum/housing/moderators", headers=AS2)).json()
        outbox = (await client.get("/forum/housing/outbox", headers=AS2)).json()
        featured = (await client.get("/forum/housing/featured", headers=AS2)).json()
    assert actor["type"] == "Group" and actor["url"] == base
    assert actor["attributedTo"] == actor["moderators"] == f"{base}/moderators"
    assert actor["featured"] == f"{base}/featured" and actor["outbox"] == f"{base}/outbox"
    assert actor["postingRestrictedToMods"] is True  # remote accounts may not start topics here
    assert any(isinstance(c, dict) and "postingRestrictedToMods" in c for c in actor["@context"])
    assert carol.uri in mods["orderedItems"] and mods["id"] == f"{base}/moderators"
    assert [x["object"]["object"]["id"] for x in outbox["orderedItems"]] == [opening.uri]
    assert [x["id"] for x in featured["orderedItems"]] == [opening.uri] and featured["orderedItems"][0]["name"] == "Rooms in Paris"


async def test_a_long_thread_is_paged(federation: Federation, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b, alice, bob, category = await _forum(federation)
    topic, opening = await _topic(federation, a, alice, category)
    with a.ctx:
        replies = [await threads.reply(a, alice, topic, Draft(text=f"reply {n}")) for n in range(4)]
        uris = [opening.uri] + [(await Post.get(id=e.post_id)).uri for e in replies]
    monkeypatch.setattr(wire, "CONTEXT_PAGE", 2)
    head = (await _context(a, topic)).json()
    assert head["totalItems"] == 5 and "orderedItems" not in head
    assert head["first"].endswith("?page=1") and head["last"].endswith("?page=3")
    seen, page = [], (await _context(a, topic, page="1")).json()
    while True:
        assert page["type"] == "OrderedCollectionPage" and page["partOf"] == head["id"]
        seen += page["orderedItems"]
        if "next" not in page:
            break
        page = (await _context(a, topic, page=page["next"].rsplit("=", 1)[1])).json()
    assert seen == uris and page["prev"].endswith("?page=2")


async def test_a_members_only_category_leaks_nowhere(federation: Federation) -> None:
    a, b, alice, bob, _ = await _forum(federation)
    with a.ctx:
        board = await create_category(a, "board", CategoryInput(names={"en": "Board"}, read_access="members"))
        before = await Activity.filter(outgoing=True).count()
        topic = await threads.start_topic(a, alice, board, Draft(text="Secret plans", title="Budget"))
        entry = await threads.reply(a, alice, topic, Draft(text="Agreed"))
        post = await Post.get(id=topic.post_id)
        hidden = await Actor.get(id=board.actor_id)
        assert await Activity.filter(outgoing=True).count() == before  # nothing delivered
    requests_before = len(federation.network.log)
    await federation.settle()
    assert not [r for r in federation.network.log[requests_before:] if "b.test" in r[1]]
    async with client_for(a) as client:
        for path in ("/users/board", f"/topics/{topic.slug}", "/forum/board/moderators", "/forum/board/outbox",
                     "/forum/board/featured", post.uri.removeprefix(a.settings.base_url)):
            assert (await client.get(path, headers=AS2)).status_code == 404, path
        finger = await client.get("/.well-known/webfinger", params={"resource": "acct:board@a.test"})
        assert finger.status_code == 404
    with b.ctx:
        with pytest.raises(FetchError):
            await fetch_actor(b, hidden.uri)
    with a.ctx:  # a reply naming the hidden category, from another server, goes nowhere
        stranger = {"id": f"{bob.uri}/statuses/9/activity", "type": "Create", "actor": bob.uri,
                    "object": {"id": f"{bob.uri}/statuses/9", "type": "Note", "attributedTo": bob.uri,
                               "content": "<p>hello board</p>", "inReplyTo": post.uri,
                               "to": [vocab.PUBLIC], "cc": [hidden.uri]}}
        await _deliver(a, bob.uri, stranger)
        assert await Post.get_or_none(uri=f"{bob.uri}/statuses/9") is None
        assert await Entry.filter(topic_id=topic.id).count() == 2 and entry.position == 1


async def test_an_activity_naming_thousands_of_local_addresses_costs_a_few_dozen_lookups(
        federation: Federation, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b, alice, bob, category = await _forum(federation, start_policy="everyone")
    looked_up: list[str] = []

    async def counted(uri: str) -> Actor | None:
        looked_up.append(uri)
        return await live_local_actor(uri)

    monkeypatch.setattr(inbound, "live_local_actor", counted)
    monkeypatch.setattr(groups, "live_local_actor", counted)
    crowd = [a.urls.actor(f"nobody{i}") for i in range(5000)]
    with a.ctx:
        for n, cc in enumerate(([a.urls.actor("housing"), *crowd], [*crowd, a.urls.actor("housing")])):
            looked_up.clear()
            doc = {"id": f"{bob.uri}/statuses/crowd{n}/activity", "type": "Create", "actor": bob.uri,
                   "object": {"id": f"{bob.uri}/statuses/crowd{n}", "type": "Note", "attributedTo": bob.uri,
                              "name": f"Crowded {n}", "content": "<p>Who is there?</p>", "to": [vocab.PUBLIC], "cc": cc}}
            await _deliver(a, bob.uri, doc)
            assert 0 < len(looked_up) <= 2 * MAX_NAMED_HERE
        # named first, the category takes the topic; named after thousands of others, it is not looked at
        assert await Topic.filter(post__uri=f"{bob.uri}/statuses/crowd0", category_id=category.id).exists()
        assert not await Topic.filter(post__uri=f"{bob.uri}/statuses/crowd1").exists()
