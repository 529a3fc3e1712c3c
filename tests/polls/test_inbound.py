"""What other servers send about polls, through the inbox handlers (as if delivered, the signature
checked): Mastodon and Misskey votes for our polls (counted once, never replies, refused after the end
or for an unknown option) and their questions (stored with their counts, updated, closed)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from federation import vocab
from node.accounts.actors import local_actor, store_remote_actor
from node.activitypub.registry import dispatch
from node.core.jobs import utcnow
from node.core.models import Activity, Actor, Follow, Job, Post
from node.core.runtime import Node
from node.polls import polls
from node.polls.models import Poll, PollVote
from node.social.delivery import FANOUT
from tests.conftest import Federation, client_for, member
from tests.polls.test_two_nodes import poll_on

PAYLOADS = Path(__file__).parent / "payloads"


def load(name: str, post: Post | None = None, author: str = "") -> dict[str, Any]:
    text = (PAYLOADS / name).read_text()
    if post is not None:
        text = text.replace('"QUESTION_ID"', json.dumps(post.uri)).replace('"QUESTION_AUTHOR"', json.dumps(author))
    doc: dict[str, Any] = json.loads(text)
    return doc


async def deliver(node: Node, doc: dict[str, Any]) -> None:
    """What the inbox job does once the signature of the activity's actor checked out."""
    actor_uri = vocab.id_of(doc.get("actor")) or ""
    with node.ctx:
        if await Actor.get_or_none(uri=actor_uri) is None:
            await store_remote_actor({"id": actor_uri, "type": "Person", "inbox": f"{actor_uri}/inbox",
                                      "preferredUsername": actor_uri.rsplit("/", 1)[-1],
                                      "followers": f"{actor_uri}/followers"})
        await Activity.create(uri=doc["id"], kind=doc["type"], actor_uri=actor_uri, outgoing=False, data=doc)
        await dispatch(node, doc["id"])


def vote_from(template: dict[str, Any], who: str, name: str, n: int) -> dict[str, Any]:
    """The recorded vote as another voter (or another option) would send it."""
    text = json.dumps(template).replace("users/carol", f"users/{who}").replace("users/9voter0001", f"users/{who}")
    doc: dict[str, Any] = json.loads(text.replace("#votes/3141", f"#votes/{n}").replace("#votes/9vote00001", f"#votes/{n}"))
    doc["object"]["name"] = name
    return doc


async def state(node: Node, post: Post) -> tuple[list[int], int, int]:
    with node.ctx:
        poll = await Poll.get(post_id=post.id)
        return [o["count"] for o in poll.options], poll.voters_count, await PollVote.filter(poll_id=poll.id).count()


async def test_mastodon_vote_counted_once_and_never_a_reply(federation: Federation) -> None:
    a = await federation.add_node("a.example")
    post = await poll_on(a)
    author = a.urls.actor("asso")
    vote = load("mastodon_vote.json", post, author)
    await deliver(a, vote)
    assert await state(a, post) == ([0, 1], 1, 1)
    with a.ctx:
        assert not await Post.filter(uri=vote["object"]["id"]).exists()
        assert not await Post.filter(in_reply_to_uri=post.uri).exists()
        assert (await Post.get(id=post.id)).reply_count == 0
        update = await Job.get(kind=polls.UPDATE_JOB)  # the counts go out once the window is over
        assert update.run_at > utcnow() - timedelta(seconds=1)

    again = dict(vote, id="https://mastodon.example/users/carol#votes/3141/activity-again")
    await deliver(a, again)  # the same vote Note again
    other = vote_from(vote, "carol", "Library", 3142)  # a second choice in a single-choice poll
    await deliver(a, other)
    assert await state(a, post) == ([0, 1], 1, 1)

    await deliver(a, vote_from(vote, "dave", "Library", 1))
    await deliver(a, vote_from(vote, "erin", "Nowhere", 2))  # no such option: dropped, no reply either
    assert await state(a, post) == ([1, 1], 2, 2)
    with a.ctx:
        assert not await Post.filter(in_reply_to_uri=post.uri).exists()
        assert await Job.filter(kind=polls.UPDATE_JOB).count() <= 2  # debounced: one per 30 s window


async def test_a_reply_to_a_poll_is_still_a_reply(federation: Federation) -> None:
    a = await federation.add_node("a.example")
    post = await poll_on(a)
    reply = {"id": "https://mastodon.example/users/carol/statuses/1", "type": "Note",
             "attributedTo": "https://mastodon.example/users/carol", "inReplyTo": post.uri,
             "to": ["https://www.w3.org/ns/activitystreams#Public"], "content": "<p>Park, if it is sunny</p>"}
    await deliver(a, {"id": f"{reply['id']}/activity", "type": "Create", "actor": reply["attributedTo"],
                      "object": reply})
    assert await state(a, post) == ([0, 0], 0, 0)
    with a.ctx:
        assert await Post.filter(uri=reply["id"], in_reply_to_uri=post.uri).exists()


async def test_vote_after_the_end_is_refused(federation: Federation) -> None:
    a = await federation.add_node("a.example")
    post = await poll_on(a)
    with a.ctx:
        await Poll.filter(post_id=post.id).update(ends_at=utcnow() - timedelta(minutes=1))
    await deliver(a, load("mastodon_vote.json", post, a.urls.actor("asso")))
    assert await state(a, post) == ([0, 0], 0, 0)
    with a.ctx:
        assert not await Post.filter(in_reply_to_uri=post.uri).exists()


async def test_misskey_votes_in_a_multiple_choice_poll(federation: Federation) -> None:
    a = await federation.add_node("a.example")
    post = await poll_on(a, ("Library", "Park", "Café"), multiple=True)
    vote = load("misskey_vote.json", post, a.urls.actor("asso"))
    await deliver(a, vote)
    await deliver(a, vote_from(vote, "9voter0001", "Café", 2))  # one Note per chosen option
    repeated = vote_from(vote, "9voter0001", "Café", 2)
    await deliver(a, dict(repeated, id=f"{repeated['id']}-again"))  # the same vote Note in another Create
    assert await state(a, post) == ([1, 0, 1], 1, 2)


async def test_closing_sends_the_final_counts(federation: Federation) -> None:
    a = await federation.add_node("a.example")
    post = await poll_on(a)
    await deliver(a, load("mastodon_vote.json", post, a.urls.actor("asso")))
    with a.ctx:
        await Poll.filter(post_id=post.id).update(ends_at=utcnow() - timedelta(seconds=1))
        await Job.filter(kind=polls.CLOSE_JOB).update(run_at=utcnow())
        await Job.filter(kind=polls.UPDATE_JOB).delete()
    await federation.settle()
    with a.ctx:
        poll = await Poll.get(post_id=post.id)
        update = await Activity.filter(kind="Update", outgoing=True).order_by("-id").first()
    assert poll.closed_at is not None
    assert update is not None and update.data["object"]["closed"] == update.data["object"]["endTime"]
    assert [o["replies"]["totalItems"] for o in update.data["object"]["oneOf"]] == [0, 1]
    with a.ctx:  # the voters get the final counts too, besides the followers
        [fanout] = [job for job in await Job.filter(kind=FANOUT) if job.payload["activity"] == update.uri]
    assert "https://mastodon.example/users/carol" in fanout.payload["recipients"]


async def followed(node: Node, actor_uri: str) -> None:
    bob, _ = await member(node, "bob")
    with node.ctx:
        target = await store_remote_actor({"id": actor_uri, "type": "Person", "inbox": f"{actor_uri}/inbox",
                                           "preferredUsername": actor_uri.rsplit("/", 1)[-1],
                                           "followers": f"{actor_uri}/followers"})
        await Follow.create(uri=f"{node.urls.base}/follows/1", follower=bob, target=target, state="accepted")


async def test_mastodon_question_stored_with_its_counts_updated_and_closed(federation: Federation) -> None:
    b = await federation.add_node("b.example")
    await followed(b, "https://mastodon.example/users/alice")
    await deliver(b, load("mastodon_create_question.json"))
    with b.ctx:
        post = await Post.get(uri="https://mastodon.example/users/alice/statuses/113561234567890123")
        poll = await Poll.get(post_id=post.id)
    assert not poll.local and not poll.multiple and poll.voters_count == 3
    assert [(o["name"], o["count"]) for o in poll.options] == [("Saturday", 2), ("Sunday", 1), ("Either is fine", 0)]
    async with client_for(b) as http:
        page = await http.get(f"/polls/{post.id}")
    assert page.status_code == 200
    assert re.findall(r"(\d+) votes? \((\d+)%\)", page.text) == [("2", "67"), ("1", "33"), ("0", "0")]
    assert "3 people voted" in page.text and "Closed" not in page.text

    await deliver(b, load("mastodon_update_question_closed.json"))
    with b.ctx:
        poll = await Poll.get(id=poll.id)
    assert [o["count"] for o in poll.options] == [4, 2, 1] and poll.voters_count == 7 and poll.closed_at is not None
    async with client_for(b) as http:
        page = await http.get(f"/polls/{post.id}")
    assert "Closed" in page.text and "7 people voted" in page.text and 'name="choice"' not in page.text


async def test_misskey_question_stored(federation: Federation) -> None:
    b = await federation.add_node("b.example")
    await followed(b, "https://misskey.example/users/9xyzabc123")
    await deliver(b, load("misskey_question.json"))
    with b.ctx:
        post = await Post.get(uri="https://misskey.example/notes/a1b2c3d4e5")
        poll = await Poll.get(post_id=post.id)
    assert poll.multiple and [o["count"] for o in poll.options] == [5, 3, 4]
    async with client_for(b) as http:
        page = await http.get(f"/polls/{post.id}")
    assert "Tigrinya" in page.text and "3 votes" in page.text
