"""Forum moderation across two nodes (lock, pin, move, remove and restore, the approval queue, who may)
and its pages (the buttons' endpoints, the move form, the history, the queue, refusals with a reason)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from federation import vocab

from node.accounts.actors import fetch_actor
from node.cli.forum import topics_listed
from node.core.models import Activity, Actor, AuditEntry, Post, User
from node.core.runtime import Node
from node.forum import moderation, moderation_queue, threads
from node.forum.access import ForumError, may_reply
from node.forum.categories import CategoryInput, create_category, set_moderators
from node.forum.models import Category, Entry, Topic
from node.posts.content import Draft
from node.social.social import follow
from tests.conftest import Federation, client_for, member
from tests.helpers import csrf_of, logged_in


async def _forum(fed: Federation, **options: Any) -> tuple[Node, Node, Any, Any, Category]:
    """Node a with the category "housing" (followed by bob of node b) and alice, its member."""
    a = await fed.add_node("a.test")
    b = await fed.add_node("b.test")
    alice, _ = await member(a, "alice")
    bob, _ = await member(b, "bob")
    await member(a, "mod", "moderator")
    with a.ctx:
        category = await create_category(a, "housing", CategoryInput(names={"en": "Housing"}, **options))
    with b.ctx:
        await follow(b, bob, await fetch_actor(b, a.urls.actor("housing")))
    await fed.settle()
    return a, b, alice, bob, category


def _boosted(announce: dict[str, Any]) -> str | None:
    """The post an Announce boosts (its object, or the object of the Create it embeds)."""
    obj = announce.get("object")
    if isinstance(obj, dict) and obj.get("type") == "Create":
        return vocab.id_of(obj.get("object"))
    return vocab.id_of(obj)


async def _user(name: str) -> User:
    return await User.get(username=name)


async def _received(node: Node, inner_type: str) -> list[dict[str, Any]]:
    """The Announces node received whose embedded activity is of this type."""
    rows = await Activity.filter(kind="Announce", outgoing=False)
    return [r.data for r in rows if isinstance(r.data.get("object"), dict) and r.data["object"].get("type") == inner_type]


async def test_lock_refuses_members_and_remote_replies_and_goes_out(federation: Federation) -> None:
    a, b, alice, bob, category = await _forum(federation)
    with a.ctx:
        topic = await threads.start_topic(a, alice, category, Draft(text="Rooms?", title="Rooms"))
        alice_user, mod = await _user("alice"), await _user("mod")
        await moderation.set_locked(a, topic, mod, True, "Off topic now")
        topic = await Topic.get(id=topic.id)
        assert topic.locked
        assert not await may_reply(alice_user, topic, category)
        assert await may_reply(mod, topic, category)  # moderators still can
        remote_bob = await fetch_actor(a, bob.uri)
        opening_uri = (await Post.get(id=topic.post_id)).uri
        assert await moderation.reply_allowed(topic, remote_bob) == "refuse"
        with pytest.raises(ForumError, match="locked already"):
            await moderation.set_locked(a, topic, mod, True)
        entry = await AuditEntry.get(action="forum.topic.lock")
        assert entry.by == "mod" and entry.details["reason"] == "Off topic now"
    await federation.settle()
    with b.ctx:
        [lock] = await _received(b, "Lock")
        assert lock["object"]["object"] == opening_uri
        assert lock["actor"] == a.urls.actor("housing")
        assert lock["object"]["actor"] == a.urls.actor("mod")  # a Person, as Lemmy requires
        assert lock["object"]["summary"] == "Off topic now"
    with a.ctx:
        await moderation.set_locked(a, topic, await _user("mod"), False)
        assert await moderation.reply_allowed(await Topic.get(id=topic.id), remote_bob) == "accept"
    await federation.settle()
    with b.ctx:
        [undo] = await _received(b, "Undo")
        assert undo["object"]["object"]["type"] == "Lock"


async def test_remote_newcomer_is_held_in_an_approving_category(federation: Federation) -> None:
    a, b, alice, bob, category = await _forum(federation, approve_new=True)
    with a.ctx:
        mod = await _user("mod")
        topic = await threads.start_topic(a, await fetch_actor(a, a.urls.actor("mod")), category,
                                          Draft(text="Welcome", title="Welcome"))
        assert not topic.held  # a moderator's post never waits
        assert await moderation.reply_allowed(topic, await fetch_actor(a, bob.uri)) == "hold"
        assert await moderation.reply_allowed(topic, await fetch_actor(a, a.urls.actor("mod"))) == "accept"
        assert await moderation.reply_allowed(topic) == "accept"
        del mod


async def test_pin_orders_first(federation: Federation) -> None:
    a, b, alice, bob, category = await _forum(federation)
    with a.ctx:
        old = await threads.start_topic(a, alice, category, Draft(text="Rules", title="House rules"))
        new = await threads.start_topic(a, alice, category, Draft(text="News", title="Latest"))
        assert [t.id for t in await topics_listed(category)] == [new.id, old.id]
        await moderation.set_pinned(a, old, await _user("mod"), True)
        assert [t.id for t in await topics_listed(category)] == [old.id, new.id]
        await moderation.set_pinned(a, old, await _user("mod"), False)
        assert [t.id for t in await topics_listed(category)] == [new.id, old.id]
        assert await AuditEntry.filter(action__in=["forum.topic.pin", "forum.topic.unpin"]).count() == 2
    await federation.settle()
    with b.ctx:
        [add] = await _received(b, "Add")
        assert add["object"]["target"] == f"{a.settings.base_url}/forum/housing/featured"  # the featured collection the category names


async def test_move_recounts_both_categories_and_changes_the_audience(federation: Federation) -> None:
    a, b, alice, bob, housing = await _forum(federation)
    with a.ctx:
        jobs = await create_category(a, "jobs", CategoryInput(names={"en": "Jobs"}))
        topic = await threads.start_topic(a, alice, housing, Draft(text="A job?", title="Hiring"))
        await threads.reply(a, alice, topic, Draft(text="Yes"))
        assert (await Category.get(id=housing.id)).post_count == 2
        await moderation.move(a, topic, jobs, await _user("mod"))
        housing, jobs = await Category.get(id=housing.id), await Category.get(id=jobs.id)
        assert (housing.topic_count, housing.post_count) == (0, 0)
        assert (jobs.topic_count, jobs.post_count) == (1, 2)
        for entry in await Entry.filter(topic_id=topic.id).prefetch_related("post"):
            assert entry.post.data["audience"] == a.urls.actor("jobs")
            assert a.urls.actor("housing") not in entry.post.cc and a.urls.actor("jobs") in entry.post.cc
        update = await Activity.filter(kind="Update", outgoing=True, actor_uri=alice.uri).order_by("-id").first()
        assert update is not None and update.data["object"]["audience"] == a.urls.actor("jobs")
        announce = await Activity.get(uri=threads.announce_id(a.urls.actor("jobs"), update.uri))
        assert announce.actor_uri == a.urls.actor("jobs")  # the new category passes the Update on, unchanged
        assert announce.data["object"]["object"]["audience"] == a.urls.actor("jobs")
        undone = await Activity.get(kind="Undo", actor_uri=a.urls.actor("housing"))
        assert _boosted(undone.data["object"]) == update.data["object"]["id"]
        assert (await AuditEntry.get(action="forum.topic.move")).details == {"origin": "housing", "into": "jobs"}
        private = await create_category(a, "board", CategoryInput(names={"en": "Board"}, read_access="members"))
        with pytest.raises(ForumError, match="same people"):
            await moderation.move(a, topic, private, await _user("mod"))
    await federation.settle()
    with b.ctx:  # bob follows housing: he hears of the move (the Update reaches him through it)
        assert await Activity.filter(kind="Update", outgoing=False, uri=update.uri).exists()


async def test_members_only_moderation_sends_nothing(federation: Federation) -> None:
    a, b, alice, bob, _ = await _forum(federation)
    with a.ctx:
        board = await create_category(a, "board", CategoryInput(names={"en": "Board"}, read_access="members"))
        council = await create_category(a, "council", CategoryInput(names={"en": "Council"}, read_access="members"))
        topic = await threads.start_topic(a, alice, board, Draft(text="Secret", title="Budget"))
        entry = await threads.reply(a, alice, topic, Draft(text="Agreed"))
        before = await Activity.filter(outgoing=True).count()
        mod = await _user("mod")
        await moderation.set_locked(a, topic, mod, True, "Decided")
        await moderation.set_pinned(a, topic, mod, True)
        await moderation.remove(a, entry, mod, "Off topic")
        await moderation.restore(a, entry, mod)
        await moderation.move(a, await Topic.get(id=topic.id), council, mod)
        assert await Activity.filter(outgoing=True).count() == before
        assert (await Category.get(id=council.id)).post_count == 2 and (await Category.get(id=board.id)).post_count == 0
        assert await moderation.reply_allowed(await Topic.get(id=topic.id)) == "refuse"  # nothing comes in either


async def test_remove_and_restore_with_a_reason(federation: Federation) -> None:
    a, b, alice, bob, category = await _forum(federation)
    with a.ctx:
        topic = await threads.start_topic(a, alice, category, Draft(text="Hello", title="Hello"))
        entry = await threads.reply(a, alice, topic, Draft(text="Buy cheap watches"))
        mod = await _user("mod")
        with pytest.raises(ForumError, match="Say why"):
            await moderation.remove(a, entry, mod, "  ")
        await moderation.remove(a, entry, mod, "Spam")
        entry = await Entry.get(id=entry.id)
        assert entry.removed_at is not None and entry.removed_reason == "Spam"
        assert (await Topic.get(id=topic.id)).reply_count == 0
        assert (await Post.get(id=entry.post_id)).deleted_at is not None  # no longer served
        delete = await Activity.get(kind="Delete", outgoing=True, actor_uri=a.urls.actor("mod"))
        assert delete.data["summary"] == "Spam" and delete.data["audience"] == a.urls.actor("housing")
    await federation.settle()
    with b.ctx:
        [announced] = await _received(b, "Delete")
        assert announced["object"]["summary"] == "Spam"
    with a.ctx:
        await moderation.restore(a, entry, mod)
        entry = await Entry.get(id=entry.id)
        assert entry.removed_at is None and (await Post.get(id=entry.post_id)).deleted_at is None
        assert (await Topic.get(id=topic.id)).reply_count == 1
        actions = await AuditEntry.filter(action__startswith="forum.post.").order_by("id").values_list("action", "details")
        assert [(x, d["reason"]) for x, d in actions] == [("forum.post.remove", "Spam"), ("forum.post.restore", "Spam")]
        with pytest.raises(ForumError, match="not removed"):
            await moderation.restore(a, entry, mod)
        # a whole topic
        opening = await Entry.get(topic_id=topic.id, position=0)
        await moderation.remove(a, opening, mod, "Duplicate")
        topic = await Topic.get(id=topic.id)
        assert topic.removed_at is not None and topic.removed_reason == "Duplicate"
        assert await moderation.reply_allowed(topic) == "refuse"
        assert (await Category.get(id=category.id)).topic_count == 0
        await moderation.restore(a, opening, mod)
        assert (await Category.get(id=category.id)).topic_count == 1
        # what the author deleted is theirs: not restored
        own = await threads.reply(a, alice, await Topic.get(id=topic.id), Draft(text="Oops"))
        await threads.delete_own(a, await Post.get(id=own.post_id), alice)
        with pytest.raises(ForumError, match="author deleted"):
            await moderation.restore(a, await Entry.get(id=own.id), mod)
    await federation.settle()
    with b.ctx:
        undos = [x for x in await _received(b, "Undo") if x["object"]["object"]["type"] == "Delete"]
        assert len(undos) == 2


async def test_category_moderators_moderate_only_their_category(federation: Federation) -> None:
    a, b, alice, bob, housing = await _forum(federation)
    carol, _ = await member(a, "carol")
    with a.ctx:
        jobs = await create_category(a, "jobs", CategoryInput(names={"en": "Jobs"}))
        await set_moderators(housing, ["carol"])
        here = await threads.start_topic(a, alice, housing, Draft(text="x", title="Here"))
        there = await threads.start_topic(a, alice, jobs, Draft(text="y", title="There"))
        carol_user, alice_user = await _user("carol"), await _user("alice")
        await moderation.set_locked(a, here, carol_user, True)
        with pytest.raises(moderation.NotModerator):
            await moderation.set_locked(a, there, carol_user, True)
        with pytest.raises(moderation.NotModerator):
            await moderation.move(a, here, jobs, carol_user)  # not a moderator of the target
        with pytest.raises(moderation.NotModerator):
            await moderation.set_pinned(a, here, alice_user, True)
        assert [c.slug for c in await moderation.moderated_categories(carol_user) or []] == ["housing"]
        assert await moderation.moderated_categories(await _user("mod")) is None
        assert not (await Topic.get(id=there.id)).locked


async def test_approval_queue_approve_and_reject(federation: Federation) -> None:
    a, b, alice, bob, category = await _forum(federation, approve_new=True)
    await member(a, "dan")
    with a.ctx:
        carol_topic = await threads.start_topic(a, alice, category, Draft(text="First", title="Newcomer"))
        dan = await fetch_actor(a, a.urls.actor("dan"))
        dan_topic = await threads.start_topic(a, dan, category, Draft(text="Spam", title="Cheap"))
        mod = await _user("mod")
        held = await moderation_queue.queue(mod)
        assert [e.topic_id for e in held] == [carol_topic.id, dan_topic.id]
        assert await moderation_queue.queue(await _user("alice")) == []
        await moderation_queue.approve(a, held[0], mod)
        assert not (await Topic.get(id=carol_topic.id)).held
        assert (await Category.get(id=category.id)).topic_count == 1
        await moderation_queue.reject(a, held[1], mod)
        assert not await Topic.filter(id=dan_topic.id).exists()
        assert not await Post.filter(id=dan_topic.post_id).exists()
        with pytest.raises(ForumError, match="handled already"):
            await moderation_queue.approve(a, held[0], mod)
        assert await AuditEntry.filter(action__in=["forum.held.approve", "forum.held.reject"]).count() == 2
        assert await moderation_queue.queue(mod) == []


# ------------------------------------------------------------------ the pages


async def _one_node(fed: Federation) -> tuple[Node, Category, Topic, Entry]:
    a = await fed.add_node("a.test")
    alice, _ = await member(a, "alice")
    with a.ctx:
        category = await create_category(a, "housing", CategoryInput(names={"en": "Housing"}))
        await create_category(a, "jobs", CategoryInput(names={"en": "Jobs"}))
        topic = await threads.start_topic(a, alice, category, Draft(text="Rooms?", title="Rooms"))
        entry = await threads.reply(a, alice, topic, Draft(text="Cheap watches"))
    return a, category, topic, entry


async def test_moderators_buttons_lock_pin_move_remove_restore(federation: Federation) -> None:
    a, category, topic, entry = await _one_node(federation)
    thread = f"/topics/{topic.slug}"
    async with logged_in(a, "mod", "moderator") as http:
        page = await http.get(thread)
        assert page.status_code == 200
        for action in ("lock", "pin", "move", "posts/0/remove", f"posts/{entry.position}/remove"):
            assert f'action="{thread}/{action}"' in page.text or f'href="{thread}/{action}"' in page.text, action
        assert f'href="/report?uri=' in page.text  # every post has its report link
        token = await csrf_of(http, thread)
        done = await http.post(f"{thread}/lock", data={"csrf": token, "reason": "Enough"})
        assert (done.status_code, done.headers["location"]) == (303, thread)
        assert (await http.post(f"{thread}/pin", data={"csrf": token})).status_code == 303
        again = await http.post(f"{thread}/pin", data={"csrf": token})
        assert again.status_code == 400 and "pinned already" in again.text
        with a.ctx:
            topic = await Topic.get(id=topic.id)
            assert topic.locked and topic.pinned
        page = await http.get(thread)
        assert f'action="{thread}/unlock"' in page.text and f'action="{thread}/unpin"' in page.text

        form = await http.get(f"{thread}/move")
        assert form.status_code == 200 and 'value="jobs"' in form.text and 'value="housing"' not in form.text
        arabic = await http.get(f"{thread}/move", headers={"Accept-Language": "ar"})
        assert arabic.status_code == 200 and 'dir="rtl"' in arabic.text and "نقل الموضوع" in arabic.text
        wrong = await http.post(f"{thread}/move", data={"csrf": token, "category": "nope"})
        assert wrong.status_code == 400 and "Choose one of the categories" in wrong.text
        assert (await http.post(f"{thread}/move", data={"csrf": token, "category": "jobs"})).status_code == 303

        remove = f"{thread}/posts/{entry.position}/remove"
        form = await http.get(remove)
        assert form.status_code == 200 and "Cheap watches" in form.text
        empty = await http.post(remove, data={"csrf": token, "reason": ""})
        assert empty.status_code == 400 and "Say why" in empty.text
        done = await http.post(remove, data={"csrf": token, "reason": "Spam"})
        assert (done.status_code, done.headers["location"]) == (303, f"{thread}#p{entry.position}")
        page = await http.get(thread)
        assert "Spam" in page.text and f'action="{thread}/posts/{entry.position}/restore"' in page.text
        assert (await http.post(f"{thread}/posts/{entry.position}/restore", data={"csrf": token})).status_code == 303
        missing = await http.post(f"{thread}/posts/99/restore", data={"csrf": token})
        assert missing.status_code == 404
    with a.ctx:
        topic = await Topic.get(id=topic.id)
        assert topic.category_id != category.id
        assert (await Entry.get(id=entry.id)).removed_at is None
        actions = set(await AuditEntry.filter(by="mod").values_list("action", flat=True))
        assert {"forum.topic.lock", "forum.topic.pin", "forum.topic.move", "forum.post.remove", "forum.post.restore"} <= actions


async def test_a_plain_member_is_refused_with_a_reason(federation: Federation) -> None:
    a, category, topic, entry = await _one_node(federation)
    thread = f"/topics/{topic.slug}"
    async with logged_in(a, "plain") as http:
        page = await http.get(thread)
        assert f'action="{thread}/lock"' not in page.text
        token = await csrf_of(http, thread)
        for path in ("lock", "pin", f"posts/{entry.position}/restore"):
            refused = await http.post(f"{thread}/{path}", data={"csrf": token, "reason": "x"})
            assert refused.status_code == 403 and "Only the moderators of this category" in refused.text, path
        assert (await http.get(f"{thread}/move")).status_code == 403
        assert (await http.get("/moderation/forum")).status_code == 403
    async with client_for(a, follow_redirects=False) as anonymous:
        assert (await anonymous.get(f"{thread}/move")).headers["location"] == "/login"
    with a.ctx:
        topic = await Topic.get(id=topic.id)
        assert not topic.locked and not topic.pinned


async def test_category_moderator_pages_and_the_queue(federation: Federation) -> None:
    a, category, topic, entry = await _one_node(federation)
    with a.ctx:
        jobs = await Category.get(slug="jobs")
        jobs.approve_new = True
        await jobs.save()
        newcomer, _ = await member(a, "newcomer")
        held = await threads.start_topic(a, newcomer, jobs, Draft(text="Hire me", title="Looking for work"))
        elsewhere = await threads.start_topic(a, (await member(a, "other"))[0], jobs, Draft(text="x", title="Other"))
    async with logged_in(a, "carol") as http:
        with a.ctx:
            await set_moderators(category, ["carol"])
        token = await csrf_of(http, f"/topics/{topic.slug}")
        assert (await http.post(f"/topics/{topic.slug}/lock", data={"csrf": token})).status_code == 303
        refused = await http.post(f"/topics/{elsewhere.slug}/lock", data={"csrf": token})
        assert refused.status_code == 403  # jobs is not carol's category
        queue = await http.get("/moderation/forum")
        assert queue.status_code == 200 and "Looking for work" not in queue.text  # nor its queue
    async with logged_in(a, "mod", "moderator") as http:
        queue = await http.get("/moderation/forum")
        assert "Looking for work" in queue.text and "Hire me" in queue.text
        with a.ctx:
            opening = await Entry.get(topic_id=held.id, position=0)
        token = await csrf_of(http, "/moderation/forum")
        bad = await http.post("/moderation/forum", data={"csrf": token, "id": str(opening.id), "decision": "maybe"})
        assert bad.status_code == 400
        done = await http.post("/moderation/forum", data={"csrf": token, "id": str(opening.id), "decision": "approve"})
        assert (done.status_code, done.headers["location"]) == (303, "/moderation/forum")
        assert "Looking for work" not in (await http.get("/moderation/forum")).text
        again = await http.post("/moderation/forum", data={"csrf": token, "id": str(opening.id), "decision": "reject"})
        assert again.status_code == 400 and "handled already" in again.text
    with a.ctx:
        assert not (await Topic.get(id=held.id)).held and (await Topic.get(id=topic.id)).locked
        assert await AuditEntry.filter(action="forum.held.approve", by="mod").count() == 1


async def test_a_held_remote_forum_reply_is_decided_from_the_admin_queue_too(federation: Federation) -> None:
    a, b, alice, bob, category = await _forum(federation)
    with a.ctx:
        topic = await threads.start_topic(a, alice, category, Draft(text="Rooms?", title="Rooms"))
        opening = await Post.get(id=topic.post_id)
        remote = await fetch_actor(a, bob.uri)
        rows = []
        for n in (1, 2):  # as the inbound handler stores a reply that must wait
            post = await Post.create(uri=f"http://b.test/notes/{n}", author=remote, content=f"<p>Remote {n}</p>", held=True,
                                     in_reply_to_uri=opening.uri, in_reply_to=opening, published=datetime.now(timezone.utc))
            rows.append(await Entry.create(topic=topic, post=post, position=n, held=True))
        await Topic.filter(id=topic.id).update(last_position=2)
    async with logged_in(a, "staff", "moderator") as http:
        held = await http.get("/admin/held")
        assert "2 forum posts wait for approval" in held.text and 'href="/moderation/forum"' in held.text
        token = await csrf_of(http, "/admin/held")
        for row, decision in zip(rows, ("approve", "reject")):
            done = await http.post("/admin/held", data={"csrf": token, "kind": "reply", "id": str(row.post_id),
                                                        "decision": decision})
            assert done.status_code == 303
    with a.ctx:
        assert not (await Entry.get(id=rows[0].id)).held  # its place in the thread shows now
        assert not await Entry.filter(id=rows[1].id).exists() and not await Post.filter(id=rows[1].post_id).exists()
        assert (await Topic.get(id=topic.id)).reply_count == 1
        assert sorted(await AuditEntry.filter(action__startswith="forum.held.").values_list("action", flat=True)) == [
            "forum.held.approve", "forum.held.reject"]


async def test_a_held_topic_opens_for_moderators_with_its_approval_buttons(federation: Federation) -> None:
    a, category, topic, entry = await _one_node(federation)
    async with logged_in(a, "newcomer") as author:
        with a.ctx:
            jobs = await Category.get(slug="jobs")
            jobs.approve_new = True
            await jobs.save()
            newcomer = await Actor.get(local=True, username="newcomer")
            held = await threads.start_topic(a, newcomer, jobs, Draft(text="Hire me, I paint", title="Looking for work"))
            kept = await threads.start_topic(a, newcomer, category, Draft(text="Not yet", title="My draft", publish=False))
            opening = await Entry.get(topic_id=held.id, position=0)
            assert held.held and (await Post.get(id=held.post_id)).draft  # a member's held topic is a draft until approved
        thread = f"/topics/{held.slug}"
        page = await author.get(thread)  # its author: the notice, no publish button of a draft
        assert page.status_code == 200 and "waits for a moderator" in page.text
        assert f'action="{thread}/publish"' not in page.text and 'value="approve"' not in page.text
    async with client_for(a) as visitor:
        assert (await visitor.get(thread)).status_code == 404
    async with logged_in(a, "other") as http:  # another member
        assert (await http.get(thread)).status_code == 404
    async with logged_in(a, "mod", "moderator") as http:
        queue = await http.get("/moderation/forum")
        assert f'href="{thread}"' in queue.text  # the queue links to the thread page now
        page = await http.get(thread)
        assert page.status_code == 200 and "Hire me, I paint" in page.text and "awaiting approval" in page.text
        assert f'name="id" value="{opening.id}"' in page.text and 'value="approve"' in page.text and 'value="reject"' in page.text
        assert (await http.get(f"/topics/{kept.slug}")).status_code == 404  # a draft stays its author's
        token = await csrf_of(http, thread)
        done = await http.post("/moderation/forum", data={"csrf": token, "id": str(opening.id), "decision": "approve",
                                                           "back": thread})
        assert (done.status_code, done.headers["location"]) == (303, thread)
        assert "awaiting approval" not in (await http.get(thread)).text
    async with client_for(a) as visitor:
        assert (await visitor.get(thread)).status_code == 200
