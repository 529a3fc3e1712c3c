"""Adding a poll from the compose forms: the association's post editor and a forum topic (a Question
with the topic's title as name), refusals shown on the form, and voting in a topic's thread."""

from __future__ import annotations

from federation import vocab
from node.core.models import Post
from node.forum.models import Topic
from node.polls.models import Poll
from tests.conftest import Federation, client_for
from tests.forum.test_pages import _category
from tests.helpers import csrf_of, logged_in


async def test_post_editor_adds_a_poll(federation: Federation) -> None:
    a = await federation.add_node("a.example")
    async with logged_in(a, "ed", "editor") as http:
        page = await http.get("/compose")
        assert page.text.count('name="poll_option"') == 5 and 'name="poll_duration"' in page.text
        token = await csrf_of(http, "/compose")
        base = {"csrf": token, "language": "en", "text": "When is the general meeting?", "summary": "",
                "visibility": "public", "tr_count": "0", "poll_duration": "3d"}
        one = await http.post("/compose", data={**base, "poll_option": ["Monday", ""], "action": "publish"})
        assert one.status_code == 400 and "at least 2 options" in one.text and 'value="Monday"' in one.text
        kept = await http.post("/compose", data={**base, "poll_option": ["Monday", "Friday"], "action": "draft"})
        assert kept.status_code == 400 and "published at once" in kept.text
        sent = await http.post("/compose", data={**base, "poll_option": ["Monday", "Friday", ""], "poll_multiple": "1",
                                                 "action": "publish"})
        assert sent.status_code == 303
        plain = await http.post("/compose", data={**base, "text": "No poll here", "action": "publish"})
        assert plain.status_code == 303
    with a.ctx:
        post = await Post.get(uri=sent.headers["location"])
        poll = await Poll.get(post_id=post.id)
        assert poll.multiple and [o["name"] for o in poll.options] == ["Monday", "Friday"]
        assert poll.ends_at is not None and 2 < (poll.ends_at - post.published).total_seconds() / 86400 <= 3
        assert not await Poll.filter(post__uri=plain.headers["location"]).exists()


async def test_forum_topic_with_a_poll_is_a_question_with_its_title(federation: Federation) -> None:
    a = await federation.add_node("a.example")
    await _category(a)
    async with logged_in(a, "dana") as http:
        page = await http.get("/forum/housing/new")
        assert 'name="poll_option"' in page.text
        token = await csrf_of(http, "/forum/housing/new")
        started = await http.post("/forum/housing/new", data={
            "csrf": token, "language": "en", "title": "Laundry day", "text": "Which day suits the building?",
            "tr_count": "0", "poll_option": ["Tuesday", "Saturday"], "poll_duration": "1d", "action": "publish"})
        assert started.status_code == 303
        thread_path = started.headers["location"]
        thread = await http.get(thread_path)
        assert thread.text.count('type="radio" name="choice"') == 2
        with a.ctx:
            topic = await Topic.get(slug=thread_path.rsplit("/", 1)[1])
            post = await Post.get(id=topic.post_id)
        token = await csrf_of(http, thread_path)
        voted = await http.post(f"/polls/{post.id}/vote", data={"csrf": token, "choice": "1", "next": thread_path})
        assert voted.status_code == 303 and voted.headers["location"] == thread_path
    async with client_for(a) as visitor:
        doc = (await visitor.get(post.uri, headers={"Accept": vocab.AS2_MEDIA_TYPE})).json()
        assert doc["type"] == "Question" and doc["name"] == "Laundry day" and "summary" not in doc
        assert [o["name"] for o in doc["oneOf"]] == ["Tuesday", "Saturday"]
        assert (await visitor.get(f"/polls/{post.id}")).status_code == 303  # shown in its thread
        thread = await visitor.get(thread_path)
        assert "1 vote (100%)" in thread.text
