"""The forum's web pages through HTTP: the category list, a category's topics, the new-topic form
(preview, draft, publish), a thread (pagination, reply, quote, edit shows "edited", delete leaves
"removed"), members-only categories, locked topics, subscriptions, the admin's category pages and the
weight of the pages."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx2

from node.core.models import Post
from node.core.runtime import Node
from node.forum import threads
from node.forum.categories import CategoryInput, create_category
from node.forum.models import Category, Entry, ReadMark, Revision, Subscription, Topic, Visit
from node.posts.content import Draft
from tests.conftest import Federation, client_for, member
from tests.helpers import csrf_of, logged_in

BUDGET = 50 * 1024


async def _category(node: Node, slug: str = "housing", **options: Any) -> Category:
    with node.ctx:
        names = options.pop("names", {"en": "Housing", "fr": "Logement", "ar": "السكن"})
        return await create_category(node, slug, CategoryInput(names=names, descriptions={"en": "Rooms and flats"}, **options))


async def _topic(node: Node, category: Category, username: str = "starter", title: str = "Rooms in Paris",
                 text: str = "Where do I find a room?") -> Topic:
    actor, _ = await member(node, username)
    with node.ctx:
        return await threads.start_topic(node, actor, category, Draft(text=text, title=title))


def _main(html: str) -> str:
    return html.split('<main id="main">', 1)[1].split("</main>", 1)[0]


async def test_category_list_and_topic_list(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    category = await _category(a, icon="🏠", color="#1f6feb")
    await _category(a, "board", names={"en": "Board"}, read_access="members")
    topic = await _topic(a, category)
    async with client_for(a) as http:
        listing = await http.get("/forum")
        assert listing.status_code == 200
        main = _main(listing.text)
        assert "Housing" in main and 'href="/forum/housing"' in main and "Rooms and flats" in main
        assert "1 topic" in main and "1 post" in main
        assert "Board" not in main, "a members-only category is listed to a visitor"
        page = await http.get("/forum/housing")
        assert page.status_code == 200
        assert f'href="/topics/{topic.slug}"' in page.text and "Rooms in Paris" in page.text
        assert "/forum/housing/new" not in page.text, "a visitor is offered the New topic button"
        refused = await http.get("/forum/board")
        assert refused.status_code == 404 and "members only" in refused.text
        french = await http.get("/forum", headers={"Accept-Language": "fr"})
        assert "Logement" in _main(french.text)
    async with logged_in(a, "reader") as http:
        main = _main((await http.get("/forum")).text)
        assert "Board" in main, "a member does not see the members-only category"
        assert "1 new topic" in main
        page = await http.get("/forum/housing")
        assert 'href="/forum/housing/new"' in page.text
        assert ">new<" in page.text


async def test_sorting_and_pinned_first(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    category = await _category(a)
    old = await _topic(a, category, "one", title="Old but busy")
    quiet = await _topic(a, category, "two", title="Quiet one")
    pinned = await _topic(a, category, "three", title="House rules")
    replier, _ = await member(a, "replier")
    with a.ctx:
        for n in range(3):
            await threads.reply(a, replier, old, Draft(text=f"reply {n}"))
        await Topic.filter(id=pinned.id).update(pinned=True)
        await threads.reply(a, replier, quiet, Draft(text="the latest word"))
    async with client_for(a) as http:
        def order(html: str) -> list[str]:
            return re.findall(r'<a href="/topics/[^"]+" dir="auto">([^<]+)</a>', html)
        assert order((await http.get("/forum/housing")).text) == ["House rules", "Quiet one", "Old but busy"]
        assert order((await http.get("/forum/housing?sort=new")).text) == ["House rules", "Quiet one", "Old but busy"]
        assert order((await http.get("/forum/housing?sort=top")).text) == ["House rules", "Old but busy", "Quiet one"]
        assert "3 replies" in (await http.get("/forum/housing?sort=top")).text


async def test_thread_pages_in_order_with_anchors_and_read_marks(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    category = await _category(a)
    topic = await _topic(a, category)
    replier, _ = await member(a, "replier")
    with a.ctx:
        first = await threads.reply(a, replier, topic, Draft(text="reply number 1"))
        first_post = await Post.get(id=first.post_id)
        for n in range(2, threads.PER_PAGE + 3):
            await threads.reply(a, replier, topic, Draft(text=f"reply number {n}"), first_post if n == 2 else None)
    async with client_for(a) as http:
        page1 = await http.get(f"/topics/{topic.slug}")
        assert page1.status_code == 200
        assert "Where do I find a room?" in page1.text and 'id="p0"' in page1.text
        numbers = [int(n) for n in re.findall(r"reply number (\d+)", page1.text)]
        assert numbers == list(range(1, threads.PER_PAGE)), numbers
        assert "In reply to post 1" in page1.text and f'href="/topics/{topic.slug}/posts/1"' in page1.text
        assert "Page 1 of 2" in page1.text and 'href="?page=2"' in page1.text
        page2 = await http.get(f"/topics/{topic.slug}?page=2")
        assert [int(n) for n in re.findall(r"reply number (\d+)", page2.text)] == [20, 21, 22]
        jump = await http.get(f"/topics/{topic.slug}/posts/21", follow_redirects=False)
        assert jump.status_code == 303 and jump.headers["location"] == f"/topics/{topic.slug}?page=2#p21"
        # The post's own address sends a browser to its place in the thread.
        with a.ctx:
            last = await Entry.get(topic=topic, position=21).prefetch_related("post")
        own = await http.get(last.post.uri.replace("http://a.test", ""), follow_redirects=False)
        assert own.status_code == 303 and own.headers["location"] == f"/topics/{topic.slug}?page=2#p21"
        assert "Sign in to reply" in page1.text and 'action="/topics/' not in page1.text
    async with logged_in(a, "reader") as http:
        await http.get(f"/topics/{topic.slug}")
        with a.ctx:
            mark = await ReadMark.get(topic=topic)
            assert mark.position == threads.PER_PAGE - 1
        listing = await http.get("/forum/housing")
        assert "3 unread" in listing.text


async def test_reply_preview_quote_edit_and_delete(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    category = await _category(a)
    topic = await _topic(a, category, text="Rooms are *rare* here")
    async with logged_in(a, "carol") as http:
        thread = await http.get(f"/topics/{topic.slug}?quote=0")
        assert "&gt; Rooms are rare here" in thread.text, "the quote button does not fill the reply form"
        token = await csrf_of(http, f"/topics/{topic.slug}")
        path = f"/topics/{topic.slug}/reply"
        preview = await http.post(path, data={"csrf": token, "text": "Try the *town hall*", "language": "en", "action": "preview"})
        assert preview.status_code == 200 and "<em>town hall</em>" in preview.text
        with a.ctx:
            assert await Entry.filter(topic=topic).count() == 1, "a preview saved the reply"
        sent = await http.post(path, data={"csrf": token, "text": "Try the *town hall*", "language": "en", "action": "publish"})
        assert sent.status_code == 303 and sent.headers["location"] == f"/topics/{topic.slug}/posts/1"
        thread = await http.get(f"/topics/{topic.slug}")
        assert "<em>town hall</em>" in thread.text
        edit_path = f"/topics/{topic.slug}/posts/1/edit"
        form = await http.get(edit_path)
        assert form.status_code == 200 and "Try the *town hall*" in form.text
        edited = await http.post(edit_path, data={"csrf": token, "text": "Try the town hall, first floor", "language": "en", "action": "publish"})
        assert edited.status_code == 303
        thread = await http.get(f"/topics/{topic.slug}")
        assert "first floor" in thread.text and "edited" in _main(thread.text)
        with a.ctx:
            assert await Revision.filter(post__entry__topic=topic).count() == 1
        # Not theirs: the opening post cannot be edited by carol.
        assert (await http.get(f"/topics/{topic.slug}/posts/0/edit")).status_code == 403
        confirm = await http.get(f"/topics/{topic.slug}/posts/1/delete")
        assert confirm.status_code == 200
        deleted = await http.post(f"/topics/{topic.slug}/posts/1/delete", data={"csrf": token})
        assert deleted.status_code == 303
        thread = await http.get(f"/topics/{topic.slug}")
        assert "first floor" not in thread.text and 'id="p1"' in thread.text and "Removed" in thread.text


async def test_new_topic_form_preview_draft_and_publish(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    await _category(a)
    async with logged_in(a, "dana") as http:
        page = await http.get("/forum/housing/new")
        assert page.status_code == 200 and 'name="title"' in page.text
        token = await csrf_of(http, "/forum/housing/new")
        base = {"csrf": token, "language": "en", "title": "Flat share", "text": "Looking for *two* people",
                "tr_count": "1", "tr0_language": "fr", "tr0_title": "Colocation", "tr0_text": "Cherche *deux* personnes"}
        preview = await http.post("/forum/housing/new", data={**base, "action": "preview"})
        assert preview.status_code == 200 and "<em>deux</em>" in preview.text and "Colocation" in preview.text
        untitled = await http.post("/forum/housing/new", data={**base, "title": "", "action": "publish"})
        assert untitled.status_code == 400 and "needs a title" in untitled.text
        draft = await http.post("/forum/housing/new", data={**base, "action": "draft"})
        assert draft.status_code == 303
        slug = draft.headers["location"].rsplit("/", 1)[1]
        mine = await http.get(f"/topics/{slug}")
        assert mine.status_code == 200 and "draft" in mine.text
        async with client_for(a) as visitor:
            assert (await visitor.get(f"/topics/{slug}")).status_code == 404
            assert "Flat share" not in (await visitor.get("/forum/housing")).text
        published = await http.post(f"/topics/{slug}/publish", data={"csrf": token})
        assert published.status_code == 303
        async with client_for(a) as visitor:
            thread = await visitor.get(f"/topics/{slug}")
            assert thread.status_code == 200 and "Flat share" in thread.text
            french = await visitor.get(f"/topics/{slug}", headers={"Accept-Language": "fr"})
            assert "Colocation" in french.text and "<em>deux</em>" in french.text
        sent = await http.post("/forum/housing/new", data={**base, "title": "Second", "action": "publish"})
        assert sent.status_code == 303
        with a.ctx:
            assert await Topic.filter(category__slug="housing", post__draft=False).count() == 2


async def test_held_topic_says_it_waits(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    await _category(a, approve_new=True)
    async with logged_in(a, "newcomer") as http:
        token = await csrf_of(http, "/forum/housing/new")
        sent = await http.post("/forum/housing/new", data={"csrf": token, "language": "en", "title": "Hello",
                                                           "text": "I am new", "action": "publish"})
        assert sent.status_code == 303
        mine = await http.get(sent.headers["location"])
        assert mine.status_code == 200 and "waits for a moderator" in mine.text
    async with client_for(a) as visitor:
        assert (await visitor.get(sent.headers["location"])).status_code == 404


async def test_members_only_and_locked(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    board = await _category(a, "board", names={"en": "Board"}, read_access="members")
    secret = await _topic(a, board, title="Budget talk")
    open_category = await _category(a)
    locked = await _topic(a, open_category, "starter2", title="Closed matter")
    with a.ctx:
        await Topic.filter(id=locked.id).update(locked=True)
    async with client_for(a) as visitor:
        refused = await visitor.get(f"/topics/{secret.slug}")
        assert refused.status_code == 404 and "members only" in refused.text and "Budget talk" not in refused.text
    async with logged_in(a, "member1") as http:
        assert (await http.get(f"/topics/{secret.slug}")).status_code == 200
        thread = await http.get(f"/topics/{locked.slug}")
        assert "locked" in thread.text and f'action="/topics/{locked.slug}/reply"' not in thread.text
        token = await csrf_of(http, f"/topics/{locked.slug}")
        refused = await http.post(f"/topics/{locked.slug}/reply", data={"csrf": token, "text": "Me too", "action": "publish"})
        assert refused.status_code == 403 and "locked" in refused.text
        with a.ctx:
            assert await Entry.filter(topic=locked).count() == 1


async def test_subscribe_to_topic_and_category(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    category = await _category(a)
    topic = await _topic(a, category)
    async with logged_in(a, "sub") as http:
        token = await csrf_of(http, f"/topics/{topic.slug}")
        assert (await http.post(f"/topics/{topic.slug}/subscribe", data={"csrf": token, "do": "subscribe"})).status_code == 303
        assert (await http.post("/forum/housing/subscribe", data={"csrf": token, "do": "subscribe"})).status_code == 303
        with a.ctx:
            assert await Subscription.filter(topic=topic).count() == 1
            assert await Subscription.filter(category=category, topic_id=None).count() == 1
        assert 'value="unsubscribe"' in (await http.get(f"/topics/{topic.slug}")).text
        await http.post(f"/topics/{topic.slug}/subscribe", data={"csrf": token, "do": "unsubscribe"})
        with a.ctx:
            assert await Subscription.filter(topic=topic).count() == 0


async def test_pages_weigh_under_50_kb(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    category = await _category(a)
    topic = await _topic(a, category)
    replier, _ = await member(a, "replier")
    with a.ctx:
        for n in range(threads.PER_PAGE + 5):
            await threads.reply(a, replier, topic, Draft(text=f"A reply of some length, number {n}, with *Markdown* " * 4))
    async with logged_in(a, "weigher") as http:
        css = len((await http.get("/static/agora.css")).content)
        for path in ("/forum", "/forum/housing", f"/topics/{topic.slug}", "/forum/housing/new", f"/topics/{topic.slug}/reply"):
            response = await http.get(path)
            assert response.status_code == 200, path
            assert len(response.content) + css < BUDGET, f"{path}: {len(response.content)} + {css} bytes"


async def test_admin_creates_and_edits_categories(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    await member(a, "mod1")
    async with logged_in(a, "boss", "admin") as http:
        assert 'href="/admin/forum"' in (await http.get("/admin")).text
        token = await csrf_of(http, "/admin/forum/new")
        form = {"csrf": token, "slug": "jobs", "name_en": "Jobs", "name_fr": "Emplois", "description_en": "Work offers",
                "position": "2", "icon": "💼", "color": "#1f6feb", "read_access": "public", "start_policy": "everyone",
                "approve_new": "on", "moderators": "mod1"}
        bad = await http.post("/admin/forum/new", data={**form, "color": "blue"})
        assert bad.status_code == 400 and "#rrggbb" in bad.text
        taken = await http.post("/admin/forum/new", data={**form, "slug": "boss"})
        assert taken.status_code == 400 and "taken" in taken.text
        french = {"Accept-Language": "fr"}  # the refusals of categories.py in the reader's language
        bad = await http.post("/admin/forum/new", data={**form, "color": "blue"}, headers=french)
        assert bad.status_code == 400 and "Une couleur s’écrit #rrggbb" in bad.text
        taken = await http.post("/admin/forum/new", data={**form, "slug": "boss"}, headers=french)
        assert taken.status_code == 400 and "L’adresse @boss est déjà prise" in taken.text
        nobody = await http.post("/admin/forum/new", data={**form, "moderators": "nobody"}, headers=french)
        assert nobody.status_code == 400 and "Aucun membre n’a le nom d’utilisateur nobody." in nobody.text
        with a.ctx:
            assert not await Category.filter(slug="jobs").exists()
        made = await http.post("/admin/forum/new", data=form)
        assert made.status_code == 303 and made.headers["location"] == "/admin/forum"
        listing = await http.get("/admin/forum")
        assert "Category created: jobs." in listing.text and 'href="/admin/forum/jobs/edit"' in listing.text
        with a.ctx:
            category = await Category.get(slug="jobs")
            assert category.name_map == {"en": "Jobs", "fr": "Emplois"} and category.approve_new
            assert category.start_policy == "everyone" and category.color == "#1f6feb"
            assert await category.moderators.all().count() == 1
        edit = await http.get("/admin/forum/jobs/edit")
        assert 'value="Emplois"' in edit.text and 'value="mod1"' in edit.text
        changed = await http.post("/admin/forum/jobs/edit", data={**form, "read_access": "members", "moderators": "",
                                                                 "name_en": "Work"})
        assert changed.status_code == 303
        with a.ctx:
            category = await Category.get(slug="jobs")
            assert category.read_access == "members" and category.name_map["en"] == "Work"
            assert await category.moderators.all().count() == 0
    async with logged_in(a, "plain") as http:
        assert (await http.get("/admin/forum")).status_code == 403
    async with client_for(a) as visitor:
        assert "Work" not in _main((await visitor.get("/forum")).text)


async def test_moderators_see_the_history_of_an_edited_post(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    category = await _category(a)
    topic = await _topic(a, category, "writer", text="The first version")
    with a.ctx:
        writer = await Post.get(id=topic.post_id).prefetch_related("author")
        await threads.edit(a, writer.author, writer, Draft(text="The second version", title="Rooms in Paris"))
    history = f"/topics/{topic.slug}/posts/0/history"
    async with logged_in(a, "curious") as http:
        thread = await http.get(f"/topics/{topic.slug}")
        assert "The second version" in thread.text and "edited" in _main(thread.text)
        assert history not in thread.text
        assert (await http.get(history)).status_code == 403
    async with logged_in(a, "modo", "moderator") as http:
        thread = await http.get(f"/topics/{topic.slug}")
        assert f'href="{history}"' in thread.text
        page = await http.get(history)
        assert page.status_code == 200 and "The first version" in page.text and "The second version" not in _main(page.text)


async def test_odd_addresses_get_clear_answers(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    category = await _category(a)
    topic = await _topic(a, category)
    async with logged_in(a, "prober") as http:
        assert (await http.get(f"/topics/{topic.slug}/posts/99999999999999999999")).status_code == 404
        assert (await http.get(f"/topics/{topic.slug}/posts/%C2%B2/edit")).status_code == 403
        assert (await http.get(f"/topics/{topic.slug}?page=%C2%B2&quote=99999999999999999999")).status_code == 200
        assert (await http.get("/forum/housing?sort=nonsense&page=-3")).status_code == 200
        assert (await http.get("/topics/no-such-topic")).status_code == 404
        assert (await http.get("/forum/no-such-category")).status_code == 404
        token = await csrf_of(http, f"/topics/{topic.slug}")
        sent = await http.post(f"/topics/{topic.slug}/reply", data={"csrf": token, "text": "Hi", "reply_to": "99999999999999999999"})
        assert sent.status_code == 303
        empty = await http.post(f"/topics/{topic.slug}/reply", data={"csrf": token, "text": "  ", "action": "publish"})
        assert empty.status_code == 400 and "empty" in empty.text
        expired = await http.post(f"/topics/{topic.slug}/reply", data={"csrf": "wrong", "text": "Hi"})
        assert expired.status_code == 403


async def test_topic_address_answers_browsers_with_the_page_and_as2_clients_with_the_context(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    topic = await _topic(a, await _category(a))
    async with client_for(a) as http:
        page = await http.get(f"/topics/{topic.slug}", headers={"Accept": "text/html"})
        assert page.headers["content-type"].startswith("text/html") and "Rooms in Paris" in page.text
        assert "accept" in page.headers["vary"].lower()
        collection = await http.get(f"/topics/{topic.slug}", headers={"Accept": "application/activity+json"})
        assert collection.status_code == 200 and "OrderedCollection" in collection.json()["type"]


async def test_new_since_the_last_visit(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    category = await _category(a)
    await _topic(a, category, "early", title="Seen before")
    async with logged_in(a, "regular") as http:
        assert "1 new topic" in _main((await http.get("/forum")).text)  # a first visit: everything is new
        with a.ctx:
            await Visit.filter(actor__username="regular").update(seen_at=datetime.now(timezone.utc) - timedelta(hours=2))
            await Topic.all().update(created_at=datetime.now(timezone.utc) - timedelta(hours=3),
                                     last_activity_at=datetime.now(timezone.utc) - timedelta(hours=3))
        await _topic(a, category, "late", title="Arrived since")
        main = _main((await http.get("/forum")).text)
        assert "1 new topic" in main and "New since your last visit" in main
        listing = (await http.get("/forum/housing")).text
        arrived = listing.split("Arrived since", 1)[1].split("</h3>", 1)[0]
        seen = listing.split("Seen before", 1)[1].split("</h3>", 1)[0]
        assert ">new<" in arrived and ">new<" not in seen
        with a.ctx:
            visit = await Visit.get(actor__username="regular")
            assert visit.previous_at is not None and visit.previous_at < visit.seen_at
