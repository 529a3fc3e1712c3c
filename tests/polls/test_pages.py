"""Voting on the page in our own polls: the form with the options and counts, one vote per member
(no change afterwards), several options only in a multiple-choice poll, none after the end, refusals
as clear 4xx pages, and the reader's own vote shown."""

from __future__ import annotations

import re
from datetime import timedelta

from federation import vocab
from node.accounts.actors import local_actor
from node.core.jobs import utcnow
from node.core.models import Job
from node.polls.inputs import PollInput
from node.posts.content import Draft
from node.polls import polls
from node.polls.models import Poll, PollVote
from tests.conftest import Federation, client_for
from tests.helpers import csrf_of, logged_in
from tests.polls.test_two_nodes import poll_on


async def test_poll_page_and_one_vote_per_member(federation: Federation) -> None:
    a = await federation.add_node("a.example")
    post = await poll_on(a, ("Library", "Park"))
    path = post.uri.replace(a.settings.base_url, "")
    async with client_for(a) as visitor:
        page = await visitor.get(path)
        assert page.status_code == 200
        assert "Library" in page.text and "Park" in page.text and "0 votes (0%)" in page.text
        assert 'name="choice"' not in page.text  # visitors see the counts, members vote
        refused = await visitor.post(f"/polls/{post.id}/vote", data={"choice": "0"})
        assert refused.status_code in (303, 403) and not refused.is_success
    async with logged_in(a, "dora") as http:
        page = await http.get(path)
        assert page.text.count('type="radio" name="choice"') == 2
        token = await csrf_of(http, path)
        assert (await http.post(f"/polls/{post.id}/vote", data={"choice": "0"})).status_code == 403  # no CSRF
        two = await http.post(f"/polls/{post.id}/vote", data={"csrf": token, "choice": ["0", "1"]})
        assert two.status_code == 400 and "one choice" in two.text
        junk = await http.post(f"/polls/{post.id}/vote", data={"csrf": token, "choice": "seven"})
        assert junk.status_code == 400
        nothing = await http.post(f"/polls/{post.id}/vote", data={"csrf": token, "choice": "5"})
        assert nothing.status_code == 400
        voted = await http.post(f"/polls/{post.id}/vote", data={"csrf": token, "choice": "1", "next": path})
        assert voted.status_code == 303 and voted.headers["location"] == path
        again = await http.post(f"/polls/{post.id}/vote", data={"csrf": token, "choice": "0"})
        assert again.status_code == 409 and "already voted" in again.text
        mine = await http.get(f"/polls/{post.id}")
        assert "You voted for: Park" in mine.text and 'name="choice"' not in mine.text
        assert re.findall(r"(\d+) votes? \((\d+)%\)", mine.text) == [("0", "0"), ("1", "100")]
        assert "1 person voted" in mine.text
    with a.ctx:
        assert await PollVote.filter(poll__post_id=post.id).count() == 1
    assert (await client_for(a).get("/polls/999999")).status_code == 404
    assert (await client_for(a).get("/polls/nope")).status_code == 404
    assert (await client_for(a).get("/polls/99999999999999999999999")).status_code == 404


async def test_multiple_choice_and_no_vote_after_the_end(federation: Federation) -> None:
    a = await federation.add_node("a.example")
    post = await poll_on(a, ("Tea", "Coffee", "Water"), multiple=True)
    async with logged_in(a, "erin") as http:
        page = await http.get(f"/polls/{post.id}")
        assert page.text.count('type="checkbox" name="choice"') == 3
        token = await csrf_of(http, f"/polls/{post.id}")
        voted = await http.post(f"/polls/{post.id}/vote", data={"csrf": token, "choice": ["0", "2"]})
        assert voted.status_code == 303 and voted.headers["location"] == f"/polls/{post.id}"
        with a.ctx:
            poll = await Poll.get(post_id=post.id)
            assert [o["count"] for o in poll.options] == [1, 0, 1] and poll.voters_count == 1
            await Poll.filter(id=poll.id).update(ends_at=utcnow() - timedelta(seconds=5))
            await polls.sync(await Poll.get(id=poll.id), post)  # as if its end time had come
    async with logged_in(a, "finn") as http:
        page = await http.get(f"/polls/{post.id}")
        assert 'name="choice"' not in page.text and "Closed" in page.text
        token = await csrf_of(http, "/")
        late = await http.post(f"/polls/{post.id}/vote", data={"csrf": token, "choice": "1"})
        assert late.status_code == 409 and "ended" in late.text


async def test_hidden_counts_until_the_end(federation: Federation) -> None:
    a = await federation.add_node("a.example")
    with a.ctx:
        asso = await local_actor("asso")
        assert asso is not None
        post = await polls.create_poll_post(a, asso, Draft(text="Secret ballot?"),
                                            PollInput(options=("Yes", "No"), hide_totals=True))
    async with logged_in(a, "gus") as http:
        token = await csrf_of(http, f"/polls/{post.id}")
        assert (await http.post(f"/polls/{post.id}/vote", data={"csrf": token, "choice": "0"})).status_code == 303
        page = await http.get(f"/polls/{post.id}")
        assert "The counts are shown when the poll ends." in page.text and "1 vote" not in page.text
    async with client_for(a) as visitor:
        doc = (await visitor.get(post.uri, headers={"Accept": vocab.AS2_MEDIA_TYPE})).json()
    assert doc["oneOf"][0]["replies"] == {"type": "Collection"} and "votersCount" not in doc
    with a.ctx:
        assert not await Job.filter(kind=polls.UPDATE_JOB).exists()  # nothing to tell before the end
