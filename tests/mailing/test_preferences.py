"""A subscriber's choices by the token of their links (no sign-in), unsubscribing (the page's button
and RFC 8058 one-click without cookies or CSRF), a member's /account/email, and the admin's list."""

from __future__ import annotations

from node.core.models import User
from node.core.runtime import Node
from node.forum.models import Category
from node.mailing.models import Subscriber
from tests.conftest import Federation, client_for
from tests.helpers import csrf_of, logged_in, token_in


async def subscriber(node: Node, **fields: object) -> Subscriber:
    values: dict[str, object] = {"email": "ana@example.org", "token": "tok-ana", "status": "active",
                                 "kinds": ["newsletter"], "frequency": "weekly", "language": "en",
                                 "confirmed_at": None}
    values.update(fields)
    with node.ctx:
        return await Subscriber.create(**values)


async def test_preferences_change_by_the_token(federation: Federation) -> None:
    node = await federation.add_node("a.test")
    row = await subscriber(node)
    with node.ctx:
        public = await Category.create(slug="housing", name_map={"en": "Housing", "fr": "Logement"})
        hidden = await Category.create(slug="board", name_map={"en": "Board"}, read_access="members")
    async with client_for(node, follow_redirects=False) as http:
        page = await http.get("/mail/preferences/tok-ana")
        assert page.status_code == 200 and "ana@example.org" in page.text
        assert f'name="category" value="{public.id}"' in page.text and f'value="{hidden.id}"' not in page.text
        assert page.headers["cache-control"] == "no-store"
        answer = await http.post("/mail/preferences/tok-ana", data={
            "csrf": token_in(page.text), "kinds": ["events", "bogus"], "category": [str(public.id), str(hidden.id)],
            "frequency": "daily", "language": "ar", "action": "save"})
        assert answer.status_code == 303 and answer.headers["location"] == "/mail/preferences/tok-ana?saved=saved"
        with node.ctx:
            saved = await Subscriber.get(id=row.id)
        assert (saved.kinds, saved.categories, saved.frequency, saved.language) == (
            ["events", "forum"], [public.id], "daily", "ar")
        bad = await http.post("/mail/preferences/tok-ana", data={"csrf": token_in(page.text), "frequency": "hourly"})
        assert bad.status_code == 400
        refused = await http.post("/mail/preferences/tok-ana", data={"frequency": "instant"})  # no CSRF token
        assert refused.status_code == 403
        with node.ctx:
            assert (await Subscriber.get(id=row.id)).frequency == "daily"
        gone = await http.post("/mail/preferences/tok-ana", data={"csrf": token_in(page.text), "action": "unsubscribe"})
        assert gone.status_code == 303
        with node.ctx:
            assert (await Subscriber.get(id=row.id)).status == "unsubscribed"
        again = await http.get("/mail/preferences/tok-ana")
        assert "Subscribe again" in again.text
        await http.post("/mail/preferences/tok-ana", data={"csrf": token_in(again.text), "kinds": "posts",
                                                            "frequency": "weekly", "language": "en"})
        with node.ctx:
            back = await Subscriber.get(id=row.id)
        assert back.status == "pending" and back.kinds == ["posts"], "a never-confirmed address became active"


async def test_one_click_unsubscribe_without_cookies_or_csrf(federation: Federation) -> None:
    node = await federation.add_node("a.test")
    row = await subscriber(node)
    async with client_for(node) as http:  # what Gmail sends (RFC 8058): no cookie, no CSRF token
        answer = await http.post("/mail/unsubscribe/tok-ana", content=b"List-Unsubscribe=One-Click",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert answer.status_code == 200 and "set-cookie" not in answer.headers
        assert http.cookies.jar.__len__() == 0
        again = await http.post("/mail/unsubscribe/tok-ana", data={"List-Unsubscribe": "One-Click"})
        assert again.status_code == 200
    with node.ctx:
        gone = await Subscriber.get(id=row.id)
    assert gone.status == "unsubscribed" and gone.unsubscribed_at is not None


async def test_the_unsubscribe_page_changes_nothing_until_its_button(federation: Federation) -> None:
    node = await federation.add_node("a.test")
    row = await subscriber(node)
    async with client_for(node) as http:
        page = await http.get("/mail/unsubscribe/tok-ana")
        assert page.status_code == 200 and 'action="/mail/unsubscribe/tok-ana"' in page.text
        with node.ctx:
            assert (await Subscriber.get(id=row.id)).status == "active"
        done = await http.post("/mail/unsubscribe/tok-ana", data={"csrf": token_in(page.text)})
        assert done.status_code == 200 and "Unsubscribed" in done.text
        huge = await http.post("/mail/unsubscribe/tok-ana", content=b"x=" + b"a" * 10_000,
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert huge.status_code == 413
    with node.ctx:
        assert (await Subscriber.get(id=row.id)).status == "unsubscribed"


async def test_unknown_tokens_get_the_404_page(federation: Federation) -> None:
    node = await federation.add_node("a.test")
    await subscriber(node)
    async with client_for(node) as http:
        for path in ("/mail/preferences/nope", "/mail/unsubscribe/nope", "/mail/confirm/nope",
                     "/mail/preferences/" + "x" * 200, "/mail/confirm/tok%2Dana%25"):
            answer = await http.get(path)
            assert answer.status_code == 404 and "<h1>" in answer.text, path
        assert (await http.post("/mail/unsubscribe/nope", data={"List-Unsubscribe": "One-Click"})).status_code == 404


async def test_a_member_manages_their_own_address_and_notification_emails(federation: Federation) -> None:
    node = await federation.add_node("a.test")
    async with logged_in(node, "carol") as http:
        account = await http.get("/account")
        assert 'href="/account/email"' in account.text
        page = await http.get("/account/email")
        assert page.status_code == 200 and 'name="notify" value="reply"' in page.text
        assert 'value="report"' not in page.text  # for moderators only
        with node.ctx:
            user = await User.get(username="carol")
            row = await Subscriber.get(user_id=user.id)
        assert (row.status, row.source, row.kinds, row.email) == ("active", "account", [], "carol@example.org")
        answer = await http.post("/account/email", data={
            "csrf": token_in(page.text), "notify": ["reply", "mention", "nonsense"], "kinds": ["newsletter"],
            "frequency": "instant", "language": "fr", "action": "save"})
        assert answer.status_code == 303
        with node.ctx:
            saved = await Subscriber.get(id=row.id)
        assert (saved.notify_kinds, saved.kinds, saved.frequency, saved.language) == (
            ["reply", "mention"], ["newsletter"], "instant", "fr")
        await http.post("/account/email", data={"csrf": token_in(page.text), "notify": "reply",
                                                "frequency": "instant", "action": "unsubscribe"})
        with node.ctx:
            left = await Subscriber.get(id=row.id)
            assert await Subscriber.filter(user_id=user.id).count() == 1
        assert (left.status, left.kinds, left.notify_kinds) == ("active", [], ["reply"])  # notifications go on
    async with client_for(node, follow_redirects=False) as visitor:
        assert (await visitor.get("/account/email")).headers["location"] == "/login"


async def test_a_member_with_an_earlier_subscription_gets_it_linked(federation: Federation) -> None:
    node = await federation.add_node("a.test")
    earlier = await subscriber(node, email="dan@example.org", token="tok-dan", kinds=["events"])
    async with logged_in(node, "dan") as http:
        assert (await http.get("/account/email")).status_code == 200
    with node.ctx:
        row = await Subscriber.get(email="dan@example.org")
        user = await User.get(username="dan")
    assert row.id == earlier.id and row.user_id == user.id and row.kinds == ["events"]


async def test_the_admin_list_is_for_admins_only(federation: Federation) -> None:
    node = await federation.add_node("a.test")
    await subscriber(node)
    async with client_for(node, follow_redirects=False) as visitor:
        assert (await visitor.get("/admin/subscribers")).status_code == 303
        assert (await visitor.get("/admin/subscribers/export.csv")).status_code == 303
    for role in ("member", "editor", "moderator"):
        async with logged_in(node, f"someone_{role}", role) as http:
            assert (await http.get("/admin/subscribers")).status_code == 403, role
            assert (await http.get("/admin/subscribers/export.csv")).status_code == 403, role
            token = await csrf_of(http, "/account")
            refused = await http.post("/admin/subscribers/import", data={"csrf": token, "text": "eve@example.org"})
            assert refused.status_code == 403, role
    with node.ctx:
        assert not await Subscriber.filter(email="eve@example.org").exists()


async def test_the_admin_searches_imports_and_exports(federation: Federation) -> None:
    node = await federation.add_node("a.test")
    await subscriber(node)
    await subscriber(node, email="bob@example.org", token="tok-bob", status="pending")
    async with logged_in(node, "root2", "admin") as http:
        page = await http.get("/admin/subscribers")
        assert page.status_code == 200 and "ana@example.org" in page.text and "bob@example.org" in page.text
        found = await http.get("/admin/subscribers", params={"q": "ANA"})
        assert "ana@example.org" in found.text and "bob@example.org" not in found.text
        files = {"file": ("list.csv", b"email,kinds\r\nnew@example.org,events posts\r\nnot-an-address,events\r\n", "text/csv")}
        answer = await http.post("/admin/subscribers/import", data={"csrf": token_in(page.text)}, files=files)
        assert answer.status_code == 200 and "Line 3" in answer.text and "not-an-address" in answer.text
        with node.ctx:
            new = await Subscriber.get(email="new@example.org")
        assert (new.status, new.kinds, new.source) == ("active", ["posts", "events"], "import")
        export = await http.get("/admin/subscribers/export.csv")
        assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
        assert "new@example.org,en,posts events,weekly,active,import" in export.text


async def test_the_whole_forum_wins_over_some_categories(federation: Federation) -> None:
    node = await federation.add_node("a.test")
    row = await subscriber(node)
    with node.ctx:
        housing = await Category.create(slug="housing", name_map={"en": "Housing"})
    async with client_for(node) as http:
        page = await http.get("/mail/preferences/tok-ana")
        await http.post("/mail/preferences/tok-ana", data={"csrf": token_in(page.text), "kinds": ["forum"],
                                                            "category": str(housing.id), "frequency": "weekly"})
        with node.ctx:
            assert ((await Subscriber.get(id=row.id)).categories) == []
        page = await http.get("/mail/preferences/tok-ana")
        assert 'name="kinds" value="forum" checked' in page.text
        await http.post("/mail/preferences/tok-ana", data={"csrf": token_in(page.text), "category": str(housing.id),
                                                            "frequency": "weekly"})
        with node.ctx:
            saved = await Subscriber.get(id=row.id)
        assert (saved.kinds, saved.categories) == (["forum"], [housing.id])
        page = await http.get("/mail/preferences/tok-ana")
        assert 'name="kinds" value="forum" checked' not in page.text
        assert f'name="category" value="{housing.id}" checked' in page.text


async def test_a_head_request_changes_nothing_and_token_pages_send_no_referrer_outside(federation: Federation) -> None:
    """Mail scanners probe links with HEAD as well as GET: neither unsubscribes nor confirms. The pages
    whose address holds the token never send it to another site in a Referer."""
    node = await federation.add_node("a.test")
    row = await subscriber(node)
    pending = await subscriber(node, email="bo@example.org", token="tok-bo", status="pending")
    async with client_for(node) as http:
        paths = ("/mail/unsubscribe/tok-ana", "/mail/preferences/tok-ana", "/mail/confirm/tok-bo")
        probes = [(await http.head(path)).status_code for path in paths]
        with node.ctx:
            assert (await Subscriber.get(id=row.id)).status == "active"
        assert probes == [200, 200, 200]
        for path in paths:
            page = await http.get(path)
            assert page.headers["referrer-policy"] in ("no-referrer", "same-origin"), path
            assert page.headers["cache-control"] == "no-store", path
    with node.ctx:
        assert (await Subscriber.get(id=row.id)).status == "active"
        assert (await Subscriber.get(id=pending.id)).status == "pending"
