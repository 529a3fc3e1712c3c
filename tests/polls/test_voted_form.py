"""After voting, the post page and the forum thread show the member's poll with its counts, not the form
again (node/polls/polls.voted_in, the `polls_voted` of those pages)."""

from __future__ import annotations

from tests.conftest import Federation
from tests.helpers import csrf_of, logged_in
from tests.polls.test_compose import _category
from tests.polls.test_two_nodes import poll_on


async def test_the_post_page_drops_the_form_once_the_member_voted(federation: Federation) -> None:
    a = await federation.add_node("a.example")
    post = await poll_on(a, ("Library", "Park"))
    path = post.uri.replace(a.settings.base_url, "")
    async with logged_in(a, "dora") as http:
        assert (await http.get(path)).text.count('name="choice"') == 2
        token = await csrf_of(http, path)
        assert (await http.post(f"/polls/{post.id}/vote", data={"csrf": token, "choice": "1", "next": path})).status_code == 303
        page = (await http.get(path)).text
        assert 'name="choice"' not in page, "the vote form came back after voting"
        assert f'href="/polls/{post.id}"' in page and "1 vote (100%)" in page
    async with logged_in(a, "emil") as other:  # another member still gets the form
        assert (await other.get(path)).text.count('name="choice"') == 2


async def test_the_thread_drops_the_form_once_the_member_voted(federation: Federation) -> None:
    a = await federation.add_node("a.example")
    await _category(a)
    async with logged_in(a, "dana") as http:
        token = await csrf_of(http, "/forum/housing/new")
        started = await http.post("/forum/housing/new", data={
            "csrf": token, "language": "en", "title": "Laundry day", "text": "Which day suits the building?",
            "tr_count": "0", "poll_option": ["Tuesday", "Saturday"], "poll_duration": "1d", "action": "publish"})
        thread_path = started.headers["location"]
        form = (await http.get(thread_path)).text
        post_id = form.split('action="/polls/', 1)[1].split("/", 1)[0]
        token = await csrf_of(http, thread_path)
        await http.post(f"/polls/{post_id}/vote", data={"csrf": token, "choice": "0", "next": thread_path})
        assert 'name="choice"' not in (await http.get(thread_path)).text
