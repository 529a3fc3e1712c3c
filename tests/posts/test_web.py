"""The minimal web face: login, CSRF, compose, profile, post page, remote follow."""

from __future__ import annotations

from urllib.parse import quote

from node.accounts.actors import fetch_actor
from node.core.models import Follow, Post
from node.social.social import follow
from tests.conftest import Federation, client_for, member
from tests.helpers import CSRF, csrf_of, logged_in


async def test_wrong_password_is_refused(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    await member(a, "carla", "editor")
    async with client_for(a) as http:
        token = await csrf_of(http, "/login")
        response = await http.post("/login", data={"csrf": token, "login": "carla", "password": "nope"})
        assert response.status_code == 400 and "Wrong email or password" in response.text


async def test_editor_publishes_from_the_compose_form(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with logged_in(a, "carla", "editor") as http:
        token = await csrf_of(http, "/compose")
        response = await http.post("/compose", data={
            "csrf": token, "text": "Newcomers' **guide** is ready", "summary": "", "language": "en",
            "visibility": "public"})
        assert response.status_code == 303
        url = response.headers["location"]
        page = await http.get(url)
        assert page.status_code == 200 and "<strong>guide</strong>" in page.text
        home = await http.get("/")
        assert "Newcomers" in home.text
    with a.ctx:
        post = await Post.get(uri=url).prefetch_related("author")
        assert post.author.username == "asso"


async def test_compose_without_csrf_token_is_refused(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with logged_in(a, "carla", "editor") as http:
        response = await http.post("/compose", data={"text": "sneaky", "visibility": "public"})
        assert response.status_code == 403
    with a.ctx:
        assert not await Post.filter(local=True).exists()


async def test_members_without_the_editor_role_cannot_publish(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with logged_in(a, "dan", "member") as http:
        assert (await http.get("/compose")).status_code == 403


async def test_empty_post_gets_a_clear_error(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with logged_in(a, "carla", "editor") as http:
        token = await csrf_of(http, "/compose")
        response = await http.post("/compose", data={"csrf": token, "text": "  ", "visibility": "public"})
        assert response.status_code == 400 and "empty" in response.text


async def test_pages_send_security_headers_and_session_cookie_flags(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with client_for(a) as http:
        page = await http.get("/login")
        assert "script-src 'none'" in page.headers["content-security-policy"]
        cookie = page.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie


async def test_remote_follow_box_sends_the_visitor_to_their_server(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    await member(b, "bob")
    async with client_for(a, follow_redirects=False) as http:
        response = await http.get("/remote-follow", params={"handle": "@bob@b.test", "target": "asso"})
        assert response.status_code == 303
        expected = "http://b.test/authorize_interaction?uri=" + quote(a.urls.actor("asso"), safe="")
        assert response.headers["location"] == expected
        bad = await http.get("/remote-follow", params={"handle": "not a handle"})
        assert bad.status_code == 400
        unknown = await http.get("/remote-follow", params={"handle": "@ghost@nowhere.test"})
        assert unknown.status_code == 400


async def test_authorize_interaction_makes_the_association_follow(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    async with logged_in(b, "admin1", "admin") as http:
        target = a.urls.actor("asso")
        page = await http.get("/authorize_interaction", params={"uri": target})
        token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
        response = await http.post(f"/authorize_interaction?uri={quote(target, safe='')}", data={"csrf": token})
        assert response.status_code == 200
    await federation.settle()
    with b.ctx:
        assert (await Follow.get(target__uri=target)).state == "accepted"


async def test_hashtag_links_lead_to_a_page_listing_the_posts(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with logged_in(a, "carla", "editor") as http:
        token = await csrf_of(http, "/compose")
        await http.post("/compose", data={"csrf": token, "text": "Festival #Culture", "visibility": "public"})
        await http.post("/compose", data={"csrf": token, "text": "Other news", "visibility": "public"})
        page = await http.get("/tags/culture")
        assert page.status_code == 200 and "Festival" in page.text and "Other news" not in page.text


async def test_admin_accepts_a_pending_follow_request_from_the_console(federation: Federation) -> None:
    a = await federation.add_node("a.test", manually_approves_followers=True)
    b = await federation.add_node("b.test")
    bob, _ = await member(b, "bob")
    with b.ctx:
        await follow(b, bob, await fetch_actor(b, a.urls.actor("asso")))
    await federation.settle()
    async with logged_in(a, "root", "admin") as http:
        page = await http.get("/admin/followers")
        assert "pending" in page.text and "@bob@b.test" in page.text
        with a.ctx:
            row = await Follow.get(follower__uri=bob.uri)
        token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
        response = await http.post("/admin/followers", data={"csrf": token, "follow": str(row.id), "decision": "accept"})
        assert response.status_code == 303
    await federation.settle()
    with b.ctx:
        assert (await Follow.get(follower__uri=bob.uri)).state == "accepted"


async def test_followers_console_is_for_admins_only(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with logged_in(a, "carla", "editor") as http:
        assert (await http.get("/admin/followers")).status_code == 403
