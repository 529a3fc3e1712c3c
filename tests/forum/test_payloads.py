"""Every recorded payload of tests/forum/payloads through the inbox handlers (as if delivered, the
signature checked): what each one stores. Payloads about a thread of ours are retargeted at this
node (the community or the post they name replaced by our category or topic post, nothing else
changed); payloads of a remote community keep their hosts, the community being followed by a member
here. Senders are stored as remote actors beforehand: nothing is fetched."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from federation import remote, vocab
from node.accounts.actors import store_remote_actor
from node.activitypub.registry import dispatch
from node.core.models import Activity, Actor, Follow, Interaction, Post
from node.forum import threads
from node.forum.categories import CategoryInput, create_category
from node.forum.models import Category, Entry, Revision, Topic
from node.posts.content import ContentError, Draft, create_post
from tests.conftest import Federation, member

PAYLOADS = Path(__file__).parent / "payloads"
LEMMY_COMMUNITY = ("http://enterprise.lemmy.ml/c/main", "https://enterprise.lemmy.ml/c/main")


def load(name: str, replace: dict[str, str] | None = None) -> dict[str, Any]:
    text = (PAYLOADS / name).read_text()
    for old, new in (replace or {}).items():
        text = text.replace(f'"{old}', f'"{new}')  # whole values and prefixes only, never inside a word
    doc: dict[str, Any] = json.loads(text)
    return doc


async def remote_actor(uri: str, kind: str = "Person") -> Actor:
    return await store_remote_actor({"id": uri, "type": kind, "inbox": f"{uri}/inbox",
                                     "preferredUsername": uri.rstrip("/").rsplit("/", 1)[-1],
                                     "followers": f"{uri}/followers"})


async def deliver(node: Any, doc: dict[str, Any], actor_uri: str | None = None) -> None:
    """What the inbox job does once the signature of `actor_uri` (the activity's actor) checked out."""
    actor_uri = actor_uri or vocab.id_of(doc.get("actor")) or ""
    if await Actor.get_or_none(uri=actor_uri) is None:
        await remote_actor(actor_uri)
    await Activity.create(uri=doc["id"], kind=doc["type"], actor_uri=actor_uri, outgoing=False, data=doc)
    await dispatch(node, doc["id"])


def create(obj: dict[str, Any], activity_id: str | None = None) -> dict[str, Any]:
    """A bare recorded object in the Create its author's server sends."""
    obj = {k: v for k, v in obj.items() if k != "@context"}
    return {"id": activity_id or f"{obj['id']}/activity", "type": "Create", "actor": obj["attributedTo"],
            "to": obj.get("to"), "cc": obj.get("cc"), "object": obj}


async def _our_forum(fed: Federation, **options: Any) -> tuple[Any, Actor, Category, Topic, Post]:
    a = await fed.add_node("a.test")
    alice, _ = await member(a, "alice")
    with a.ctx:
        category = await create_category(a, "housing", CategoryInput(names={"en": "Housing"}, **options))
        topic = await threads.start_topic(a, alice, category, Draft(text="Where do I find a room?", title="Rooms"))
        post = await Post.get(id=topic.post_id)
    return a, alice, category, topic, post


def _ours(a: Any, post: Post, parent: str) -> dict[str, str]:
    group = a.urls.actor("housing")
    return {LEMMY_COMMUNITY[0]: group, LEMMY_COMMUNITY[1]: group, parent: post.uri}


async def _announced(a: Any, activity_id: str) -> dict[str, Any]:
    for record in await Activity.filter(kind="Announce", outgoing=True, actor_uri=a.urls.actor("housing")):
        if vocab.id_of(record.data["object"]) == activity_id:
            return dict(record.data)
    raise AssertionError(f"no Announce of {activity_id}")


async def test_lemmy_comment_vote_and_dislike_in_our_thread(federation: Federation) -> None:
    a, alice, category, topic, post = await _our_forum(federation)
    with a.ctx:
        doc = load("lemmy_create_note.json", _ours(a, post, "http://ds9.lemmy.ml/post/1"))
        await deliver(a, doc)
        entry = await Entry.get(post__uri="http://ds9.lemmy.ml/comment/1").prefetch_related("post")
        assert entry.topic_id == topic.id and entry.position == 1
        assert entry.post.in_reply_to_id == post.id and entry.post.content == "hello"
        announce = await _announced(a, doc["id"])
        assert announce["object"] == {k: v for k, v in doc.items() if k != "@context"}  # unchanged
        await deliver(a, {**doc, "id": doc["id"] + "-again"})  # the same comment in another Create
        assert await Entry.filter(topic_id=topic.id).count() == 2
        assert not await Revision.filter(post__uri="http://ds9.lemmy.ml/comment/1").exists()  # no edit either
        assert await Activity.filter(kind="Announce", outgoing=True, actor_uri=a.urls.actor("housing")).count() == 2
        assert vocab.PUBLIC in announce["to"] and f"{a.urls.actor('housing')}/followers" in announce["cc"]
        await deliver(a, load("lemmy_like.json"))
        await deliver(a, load("lemmy_dislike_page.json", {"http://ds9.lemmy.ml/post/1": post.uri}))
        assert (await Post.get(id=entry.post_id)).like_count == 1
        assert (await Topic.get(id=topic.id)).like_count == 1  # a Dislike counts nothing
        assert (await Topic.get(id=topic.id)).reply_count == 1


async def test_lemmy_post_edit_and_delete_in_our_category(federation: Federation) -> None:
    a, alice, category, topic, post = await _our_forum(federation, start_policy="everyone")
    group = a.urls.actor("housing")
    replace = {LEMMY_COMMUNITY[0]: group, LEMMY_COMMUNITY[1]: group}
    with a.ctx:
        await deliver(a, load("lemmy_create_page.json", replace))
        started = await Topic.get(post__uri="http://ds9.lemmy.ml/post/1")
        assert started.title == "test post" and started.category_id == category.id and not started.held
        await deliver(a, load("lemmy_update_page.json", replace))
        assert (await Topic.get(id=started.id)).title == "test post 1"
        assert [r.title for r in await Revision.filter(post__uri="http://ds9.lemmy.ml/post/1")] == ["test post"]
        await deliver(a, load("lemmy_delete_page.json", replace))
        assert (await Topic.get(id=started.id)).removed_at is not None
        assert (await Post.get(uri="http://ds9.lemmy.ml/post/1")).deleted_at is not None
        kinds = [vocab.type_of(r.data["object"]) for r in await Activity.filter(kind="Announce", outgoing=True, actor_uri=group).order_by("id")]
        assert kinds == ["Create", "Create", "Update", "Delete"]  # our topic, then Lemmy's, its edit and deletion


async def test_lemmy_post_refused_where_remote_accounts_may_not_start(federation: Federation) -> None:
    a, alice, category, topic, post = await _our_forum(federation)  # start_policy "members"
    group = a.urls.actor("housing")
    with a.ctx:
        await deliver(a, load("lemmy_create_page.json", {LEMMY_COMMUNITY[0]: group, LEMMY_COMMUNITY[1]: group}))
        assert await Post.get_or_none(uri="http://ds9.lemmy.ml/post/1") is None
        assert await Topic.all().count() == 1


async def test_lemmy_follow_of_a_category_is_accepted(federation: Federation) -> None:
    a, alice, category, topic, post = await _our_forum(federation)
    group = a.urls.actor("housing")
    with a.ctx:
        follow = load("lemmy_follow.json", {LEMMY_COMMUNITY[0]: group, LEMMY_COMMUNITY[1]: group})
        await deliver(a, follow)
        assert await Follow.filter(uri=follow["id"], target__uri=group, state="accepted").exists()
        accept = await Activity.get(kind="Accept", outgoing=True, actor_uri=group)
        assert accept.data["object"]["id"] == follow["id"]


async def test_mastodon_reply_that_only_reaches_the_author(federation: Federation) -> None:
    """Mastodon sends a reply to the replied-to author's inbox, unlisted here; the category takes it by
    its inReplyTo and announces it."""
    a, alice, category, topic, post = await _our_forum(federation)
    with a.ctx:
        doc = load("mastodon_create_note_reply.json", {
            "https://mamot.fr/users/retiolus/statuses/107224244380204526": post.uri, "https://mamot.fr/users/retiolus": alice.uri})
        await deliver(a, doc)
        entry = await Entry.get(post__uri=doc["object"]["id"]).prefetch_related("post")
        assert entry.topic_id == topic.id and entry.post.visibility == "unlisted"
        assert "thinkpad" in entry.post.content
        assert (await _announced(a, doc["id"]))["object"]["id"] == doc["id"]
        like = load("mastodon_like.json", {"https://ds9.lemmy.ml/post/147": post.uri})
        await deliver(a, like)
        assert (await Topic.get(id=topic.id)).like_count == 1
        await deliver(a, load("mastodon_undo_like.json", {"https://mastodon.madrid/users/felix#likes/212341": like["id"]}))
        assert (await Topic.get(id=topic.id)).like_count == 0 and not await Interaction.exists()


async def test_mastodon_post_mentioning_a_category_starts_a_topic(federation: Federation) -> None:
    a, alice, category, topic, post = await _our_forum(federation, start_policy="everyone")
    group = a.urls.actor("housing")
    with a.ctx:
        note = load("mastodon_post_to_group.json", {"https://enterprise.lemmy.ml/c/tenforward": group})
        await deliver(a, create(note))
        started = await Topic.get(post__uri=note["id"])
        assert started.category_id == category.id
        assert started.title and not started.title.startswith("@")  # the first line, the mention left out
        assert started.title in note["content"]
        reply = load("mastodon_reply_in_group_thread.json", {
            "https://lemmy.kde.social/c/kde": group, "https://floss.social/users/kde/statuses/113306824627995724": note["id"]})
        reply["attributedTo"] = note["attributedTo"]
        reply["id"] = note["id"] + "0"  # the same author as the topic's, on its host
        await deliver(a, create(reply))
        assert (await Entry.get(post__uri=reply["id"])).topic_id == started.id


async def test_friendica_and_nodebb_posts(federation: Federation) -> None:
    a, alice, category, topic, post = await _our_forum(federation, start_policy="everyone")
    group = a.urls.actor("housing")
    with a.ctx:
        friendica = load("friendica_create_note_reply.json")
        parent = friendica["object"]["inReplyTo"]
        friendica = load("friendica_create_note_reply.json", {parent: post.uri})
        await deliver(a, friendica)
        assert (await Entry.get(post__uri=friendica["object"]["id"])).topic_id == topic.id
        article = load("nodebb_article.json", {"https://bb.devnull.land/category/2": group})
        await deliver(a, create(article))
        started = await Topic.get(post__uri=article["id"])
        assert started.title == "Welcome to your NodeBB!" and started.category_id == category.id


async def _following(node: Any, group_doc: dict[str, Any]) -> Actor:
    """A member here follows a remote community (its recorded Group document)."""
    bob = await Actor.get(username="alice", local=True)
    group = await store_remote_actor({k: v for k, v in group_doc.items() if k != "@context"})
    await Follow.create(uri=f"{bob.uri}#follows/{group.id}", follower=bob, target=group, state="accepted")
    return group


async def test_remote_communities_announce_posts_a_member_follows(federation: Federation) -> None:
    a, alice, category, topic, post = await _our_forum(federation)
    with a.ctx:
        piefed = await _following(a, load("piefed_group.json"))
        announce = load("piefed_announce_create_page.json")
        await remote_actor(announce["object"]["actor"])
        await deliver(a, announce)
        stored = await Post.get(uri=announce["object"]["object"]["id"])
        assert stored.kind == "Page" and stored.data["audience"] == piefed.uri and stored.data["name"]
        lemmy = await _following(a, {"id": LEMMY_COMMUNITY[0], "type": "Group", "inbox": f"{LEMMY_COMMUNITY[0]}/inbox",
                                     "preferredUsername": "main"})
        announce = load("lemmy_announce_create_page.json")
        await remote_actor("http://enterprise.lemmy.ml/u/lemmy_beta")
        await deliver(a, announce)
        page = await Post.get(uri="http://enterprise.lemmy.ml/post/7")
        assert page.data["name"] == "post 4"
        assert page.data["audience"] == lemmy.uri  # not the /u/main Lemmy wrote: the announcing community
        assert await Topic.all().count() == 1  # a remote community's post is no topic of ours


async def test_an_unfollowed_group_announces_nothing_here(federation: Federation) -> None:
    a, alice, category, topic, post = await _our_forum(federation)
    with a.ctx:
        await store_remote_actor({k: v for k, v in load("piefed_group.json").items() if k != "@context"})
        announce = load("piefed_announce_create_page.json")
        await remote_actor(announce["object"]["actor"])
        await deliver(a, announce)
        assert await Post.get_or_none(uri=announce["object"]["object"]["id"]) is None


async def _mirrored(uri: str, author: str, group: str) -> Post:
    actor = await Actor.get_or_none(uri=author) or await remote_actor(author)
    return await Post.create(uri=uri, local=False, kind="Page", author=actor, content="<p>text</p>", visibility="public",
                             data={"id": uri, "type": "Page", "audience": group}, published=threads.utcnow())


async def test_remote_moderation_of_a_mirrored_community(federation: Federation) -> None:
    a, alice, category, topic, post = await _our_forum(federation)
    with a.ctx:
        lemmy = await _following(a, {"id": LEMMY_COMMUNITY[0], "type": "Group", "inbox": f"{LEMMY_COMMUNITY[0]}/inbox"})
        comment = await _mirrored("http://ds9.lemmy.ml/comment/1", "http://ds9.lemmy.ml/u/lemmy_alpha", lemmy.uri)
        await deliver(a, load("lemmy_remove_note.json"))  # a moderator on the community's server, with a reason
        assert (await Post.get(id=comment.id)).deleted_at is not None
        await deliver(a, load("lemmy_undo_remove_note.json"))
        assert (await Post.get(id=comment.id)).deleted_at is None
        alpha = "http://lemmy-alpha:8541"
        await _following(a, {"id": f"{alpha}/c/main", "type": "Group", "inbox": f"{alpha}/c/main/inbox"})
        locked = await _mirrored(f"{alpha}/post/2", f"{alpha}/u/someone", f"{alpha}/c/main")
        await deliver(a, load("lemmy_lock_page.json"))
        assert (await Post.get(id=locked.id)).replies_moderation == "closed"
        under = await _mirrored(f"{alpha}/comment/7", f"{alpha}/u/someone", f"{alpha}/c/main")
        await Post.filter(id=under.id).update(in_reply_to_uri=locked.uri)
        for target in (locked.uri, under.uri):  # Lemmy would refuse them: members here may not reply
            with pytest.raises(ContentError, match="locked"):
                await create_post(a, alice, Draft(text="Still open?", in_reply_to=target))
        await deliver(a, load("lemmy_undo_lock_page.json"))
        assert (await Post.get(id=locked.id)).replies_moderation == "default"
        reply = await create_post(a, alice, Draft(text="Open again", in_reply_to=under.uri))
        assert reply.in_reply_to_uri == under.uri
        await Post.filter(id=locked.id).update(replies_moderation="closed")  # locked there again
        with pytest.raises(ContentError, match="locked"):  # under our own member's comment too
            await create_post(a, alice, Draft(text="And now?", in_reply_to=reply.uri))
        await Post.filter(id=locked.id).update(replies_moderation="default")
        elsewhere = load("lemmy_lock_page.json", {f"{alpha}/u/lemmy_alpha": "http://ds9.lemmy.ml/u/lemmy_alpha"})
        elsewhere["id"] = "http://ds9.lemmy.ml/activities/lock/1"
        await deliver(a, elsewhere)  # a "moderator" of another server changes nothing
        assert (await Post.get(id=locked.id)).replies_moderation == "default"


async def test_mbin_entry_lock_and_moderator_delete(federation: Federation) -> None:
    """Mbin's snapshots scrub ids and dates: each SCRUBBED_ID gets a URL of its own here."""
    a, alice, category, topic, post = await _our_forum(federation)
    entry_id = "https://kbin.test/m/test/t/1"
    with a.ctx:
        await _following(a, {"id": "https://kbin.test/m/test", "type": "Group", "inbox": "https://kbin.test/m/test/inbox"})
        await remote_actor("https://kbin.test/u/user")
        created = load("mbin_announce_create_entry.json")
        created["id"], created["object"]["id"], created["object"]["object"]["id"] = (
            "https://kbin.test/announce/1", "https://kbin.test/create/1", entry_id)
        await deliver(a, created)
        stored = await Post.get(uri=entry_id)
        assert stored.data["name"] == "test" and "test" in stored.summary  # Mbin's text is in `summary`
        lock = load("mbin_lock_entry_by_moderator.json")
        lock["id"], lock["object"] = "https://kbin.test/lock/1", entry_id
        await deliver(a, lock)
        assert (await Post.get(uri=entry_id)).replies_moderation == "closed"
        deleted = load("mbin_announce_delete_entry_by_moderator.json")
        deleted["id"], deleted["object"]["id"], deleted["object"]["object"]["id"] = (
            "https://kbin.test/announce/2", "https://kbin.test/delete/1", entry_id)
        await deliver(a, deleted)
        assert (await Post.get(uri=entry_id)).deleted_at is not None  # hidden by a moderator, restorable


async def test_nodebb_move_of_a_mirrored_topic(federation: Federation) -> None:
    a, alice, category, topic, post = await _our_forum(federation)
    context = load("nodebb_context_derived.json")
    with a.ctx:
        old = await _following(a, load("nodebb_group.json"))
        article = load("nodebb_article.json")
        stored = await _mirrored(article["id"], article["attributedTo"], old.uri)
        await Post.filter(id=stored.id).update(data={**stored.data, "context": context["id"]})
        move = {"id": "https://bb.devnull.land/move/1", "type": "Move", "actor": "https://bb.devnull.land/uid/1",
                "object": context["id"], "origin": old.uri, "target": "https://bb.devnull.land/category/3"}
        await deliver(a, {**move, "actor": "https://elsewhere.example/uid/1", "id": "https://elsewhere.example/move/1"})
        assert (await Post.get(id=stored.id)).data["audience"] == old.uri  # not from the category's server
        await deliver(a, move)
        assert (await Post.get(id=stored.id)).data["audience"] == "https://bb.devnull.land/category/3"
        await deliver(a, {"id": "https://bb.devnull.land/remove/1", "type": "Remove", "actor": move["actor"],
                          "object": context["id"], "target": "https://bb.devnull.land/category/3"})
        assert (await Post.get(id=stored.id)).data["audience"] is None


def test_recorded_documents_parse() -> None:
    """The recorded actors, objects and collections that are no activities: groups parse as actors,
    posts as notes with their titles, collections have their items."""
    for name in ("lemmy_group.json", "nodebb_group.json", "piefed_group.json"):
        parsed = remote.parse_actor(load(name))
        assert parsed.type == "Group" and parsed.inbox, name
    for name, title in (("lemmy_page.json", True), ("piefed_page.json", True), ("nodebb_article.json", True),
                        ("lemmy_comment.json", False), ("piefed_note.json", False)):
        note = remote.parse_note(load(name))
        assert bool(note.name_map or load(name).get("name")) is title, name
    for name in ("lemmy_moderators.json", "lemmy_featured.json", "nodebb_context_derived.json"):
        doc = load(name)
        assert doc["type"] == "OrderedCollection" and isinstance(doc["orderedItems"], list), name
