"""Two Agora nodes: A's association posts a poll, a member of B who follows it votes from B's page, A
counts the vote (and keeps it out of the replies), A's own member votes on A's page, and the Update of
the counts reaches B, whose page shows them."""

from __future__ import annotations

import re
from typing import Any

import pytest

from federation import vocab
from node.accounts.actors import fetch_actor, local_actor
from node.core.jobs import utcnow
from node.core.models import Activity, Job, Post
from node.core.runtime import Node
from node.polls import polls, remote
from node.polls.inputs import PollInput
from node.polls.models import Poll, PollVote
from node.posts.content import Draft
from node.social.social import follow
from tests.conftest import Federation, client_for, member
from tests.helpers import csrf_of, logged_in


async def poll_on(node: Node, options: tuple[str, ...] = ("Library", "Park"), multiple: bool = False) -> Post:
    with node.ctx:
        asso = await local_actor("asso")
        assert asso is not None
        return await polls.create_poll_post(node, asso, Draft(text="Where do we meet?"),
                                            PollInput(options=options, multiple=multiple))


async def updates_due(node: Node) -> None:
    """The debounced Update jobs of the counts, run now instead of at the end of their window."""
    with node.ctx:
        await Job.filter(kind=polls.UPDATE_JOB, status="queued").update(run_at=utcnow())


def counts(html: str) -> list[str]:
    return re.findall(r"(\d+) votes? \(\d+%\)", html)


async def test_a_poll_of_a_voted_from_b_and_counted_on_both(federation: Federation) -> None:
    a = await federation.add_node("a.example")
    b = await federation.add_node("b.example")
    async with logged_in(b, "bob") as bob_http:
        with b.ctx:
            bob = await local_actor("bob")
            assert bob is not None
            await follow(b, bob, await fetch_actor(b, a.urls.actor("asso")))
        await federation.settle()
        post = await poll_on(a)
        await federation.settle()

        with b.ctx:  # B stored the Question with its poll
            copy = await Post.get(uri=post.uri)
            remote_poll = await Poll.get(post_id=copy.id)
        assert not remote_poll.local and [o["name"] for o in remote_poll.options] == ["Library", "Park"]

        page = await bob_http.get(f"/polls/{copy.id}")
        assert page.status_code == 200 and "Library" in page.text and 'type="radio"' in page.text
        token = await csrf_of(bob_http, f"/polls/{copy.id}")
        voted = await bob_http.post(f"/polls/{copy.id}/vote", data={"csrf": token, "choice": "1"})
        assert voted.status_code == 303
        again = await bob_http.post(f"/polls/{copy.id}/vote", data={"csrf": token, "choice": "0"})
        assert again.status_code == 409  # no change after voting
        await federation.settle()

    with a.ctx:  # A counted B's vote, and it is no reply
        mine = await Poll.get(post_id=post.id)
        assert [o["count"] for o in mine.options] == [0, 1] and mine.voters_count == 1
        assert await PollVote.filter(poll_id=mine.id).count() == 1
        assert not await Post.filter(in_reply_to_uri=post.uri).exists()
        assert (await Post.get(id=post.id)).reply_count == 0
        sent = await Activity.filter(kind="Create", outgoing=False, actor_uri=b.urls.actor("bob")).first()
        assert sent is not None and sent.data["object"]["name"] == "Park" and "content" not in sent.data["object"]

    async with logged_in(a, "dora") as dora_http:  # a member of A votes on A's page
        token = await csrf_of(dora_http, post.uri.replace(a.settings.base_url, ""))
        voted = await dora_http.post(f"/polls/{post.id}/vote", data={"csrf": token, "choice": "0"})
        assert voted.status_code == 303
    await updates_due(a)
    await federation.settle()

    with a.ctx:
        update = await Activity.filter(kind="Update", outgoing=True).order_by("-id").first()
    assert update is not None and update.data["object"]["type"] == "Question"
    assert [o["replies"]["totalItems"] for o in update.data["object"]["oneOf"]] == [1, 1]
    assert update.data["object"]["votersCount"] == 2
    with b.ctx:
        remote_poll = await Poll.get(id=remote_poll.id)
        got = await Activity.filter(kind="Update").values_list("uri", "data")
    assert [o["count"] for o in remote_poll.options] == [1, 1] and remote_poll.voters_count == 2
    async with client_for(b) as visitor:
        page = await visitor.get(f"/polls/{copy.id}")
    assert counts(page.text) == ["1", "1"] and "2 people voted" in page.text


async def test_the_question_served_by_a(federation: Federation) -> None:
    a = await federation.add_node("a.example")
    post = await poll_on(a, ("Tea", "Coffee", "Water"), multiple=True)
    async with client_for(a) as http:
        doc = (await http.get(post.uri, headers={"Accept": vocab.AS2_MEDIA_TYPE})).json()
    assert doc["type"] == "Question" and "oneOf" not in doc
    assert [(o["type"], o["name"], o["replies"]) for o in doc["anyOf"]] == [
        ("Note", name, {"type": "Collection", "totalItems": 0}) for name in ("Tea", "Coffee", "Water")
    ]
    assert doc["votersCount"] == 0 and doc["endTime"].endswith("Z") and "closed" not in doc
    assert {"votersCount": "toot:votersCount"}.items() <= doc["@context"][2].items()
    assert "summary" not in doc  # a summary would be a content warning over the poll in Mastodon


async def test_viewing_another_servers_poll_writes_nothing(federation: Federation, monkeypatch: pytest.MonkeyPatch) -> None:
    """A page view reads the stored poll; it is written again only when the post's document says
    something else (a vote of ours counted in it, an Update), never once per visitor."""
    a = await federation.add_node("a.example")
    b = await federation.add_node("b.example")
    with b.ctx:
        bob, _ = await member(b, "bob")
        await follow(b, bob, await fetch_actor(b, a.urls.actor("asso")))
    await federation.settle()
    post = await poll_on(a)
    await federation.settle()
    stored: list[int] = []
    real = remote.store_question

    async def counted(post: Post, obj: Any) -> Poll | None:
        stored.append(post.id)
        return await real(post, obj)

    monkeypatch.setattr(remote, "store_question", counted)
    with b.ctx:
        copy = await Post.get(uri=post.uri)
    async with client_for(b) as visitor:
        for _ in range(3):
            assert (await visitor.get(f"/polls/{copy.id}")).status_code == 200
        assert stored == []
        with b.ctx:  # the document changed (as an Update of the author would change it): stored once
            data = dict(copy.data or {})
            data["oneOf"] = [{**o, "replies": {"type": "Collection", "totalItems": 5}} for o in data["oneOf"]]
            await Post.filter(id=copy.id).update(data=data)
        for _ in range(2):
            page = await visitor.get(f"/polls/{copy.id}")
        assert stored == [copy.id] and counts(page.text) == ["5", "5"]
    with b.ctx:
        assert [o["count"] for o in (await Poll.get(post_id=copy.id)).options] == [5, 5]
