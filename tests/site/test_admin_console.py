"""The admin console: access, members and roles, invitations, profile, settings, followers, jobs."""

from __future__ import annotations

import dataclasses
import functools
import io
import re
from datetime import datetime, timedelta, timezone

from PIL import Image

from node.core import jobs, site_settings
from node.core.models import Actor, AuditEntry, Follow, Job, User
from node.accounts.models import Invitation
from node.core.runtime import Node
from node.core.settings import MailSettings
from node.social.social import follow
from tests import helpers
from tests.conftest import Federation, client_for, member
from tests.helpers import CSRF, csrf_of, follow_association

ADMIN_PAGES = ("/admin/members", "/admin/invitations", "/admin/profile", "/admin/settings", "/admin/followers",
               "/admin/delivery", "/admin/jobs")


# The staff in these tests have replaced their one-time password.
logged_in = functools.partial(helpers.logged_in, password_changed=True)


async def audit_actions(node: Node) -> list[str]:
    with node.ctx:
        return list(await AuditEntry.all().order_by("id").values_list("action", flat=True))


def png(color: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), color).save(out, "PNG")
    return out.getvalue()


async def test_admin_pages_render_for_admins_and_refuse_everyone_else(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with logged_in(a, "root", "admin") as http:
        dashboard = await http.get("/admin")
        assert dashboard.status_code == 200
        for path in ADMIN_PAGES:
            assert f'href="{path}"' in dashboard.text
            page = await http.get(path)
            assert page.status_code == 200, path
            assert page.headers["cache-control"] == "no-store"
        for path in ADMIN_PAGES:  # every admin POST is CSRF-checked
            assert (await http.post(path, data={"action": "create"})).status_code == 403, path
    async with logged_in(a, "mod", "moderator") as http:
        dashboard = await http.get("/admin")
        assert dashboard.status_code == 200
        assert 'href="/admin/reports"' in dashboard.text and 'href="/admin/members"' not in dashboard.text
        for path in ADMIN_PAGES:
            assert (await http.get(path)).status_code == 403, path
    for role in ("editor", "member"):
        async with logged_in(a, f"some{role}", role) as http:
            assert (await http.get("/admin")).status_code == 403
            token = await csrf_of(http, "/")
            for path in ADMIN_PAGES:
                assert (await http.get(path)).status_code == 403, path
                assert (await http.post(path, data={"csrf": token, "action": "create"})).status_code == 403, path
    async with client_for(a, follow_redirects=False) as http:
        for path in ("/admin", *ADMIN_PAGES):
            response = await http.get(path)
            assert response.status_code == 303 and response.headers["location"] == "/login", path
        for path in ADMIN_PAGES:
            assert (await http.post(path, data={})).status_code == 303, path


async def test_roles_change_and_the_last_admin_keeps_the_role(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    await member(a, "carla", "member")
    async with logged_in(a, "root", "admin") as http:
        with a.ctx:
            carla = await User.get(username="carla")
            root = await User.get(username="root")
        token = await csrf_of(http, "/admin/members")
        response = await http.post("/admin/members", data={"csrf": token, "user": carla.id, "action": "role", "role": "editor"})
        assert response.status_code == 303
        assert "carla is now editor" in (await http.get("/admin/members")).text
        refused = await http.post("/admin/members", data={"csrf": token, "user": root.id, "action": "role", "role": "member"})
        assert refused.status_code == 400 and "last admin" in refused.text
        bad = await http.post("/admin/members", data={"csrf": token, "user": carla.id, "action": "role", "role": "king"})
        assert bad.status_code == 400
        missing = await http.post("/admin/members", data={"csrf": token, "user": "999999", "action": "role", "role": "member"})
        assert missing.status_code == 400
        self_disable = await http.post("/admin/members", data={"csrf": token, "user": root.id, "action": "disable"})
        assert self_disable.status_code == 400
        assert (await http.post("/admin/members", data={"csrf": token, "user": carla.id, "action": "disable"})).status_code == 303
    with a.ctx:
        assert (await User.get(username="carla")).role == "editor"
        assert (await User.get(username="carla")).disabled
        assert (await User.get(username="root")).role == "admin"
    assert await audit_actions(a) == ["user.role", "user.disable"]
    async with logged_in(a, "second", "admin") as http:
        token = await csrf_of(http, "/admin/members")
        response = await http.post("/admin/members", data={"csrf": token, "user": root.id, "action": "role", "role": "member"})
        assert response.status_code == 303  # another admin exists now
        assert (await http.post("/admin/members", data={"csrf": token, "user": carla.id, "action": "enable"})).status_code == 303
    with a.ctx:
        assert (await User.get(username="root")).role == "member"
        assert not (await User.get(username="carla")).disabled


async def test_invitations_are_created_shown_once_and_revoked(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with logged_in(a, "root", "admin") as http:
        token = await csrf_of(http, "/admin/invitations")
        created = await http.post("/admin/invitations", data={
            "csrf": token, "action": "create", "email": "new@example.org", "role": "editor", "days": "7"})
        assert created.status_code == 200 and created.headers["cache-control"] == "no-store"
        link = re.search(r'value="(http://a\.test/invite/[^"]+)"', created.text)
        assert link is not None
        listing = await http.get("/admin/invitations")
        assert link.group(1) not in listing.text and "new@example.org" in listing.text and "pending" in listing.text
        open_link = await http.post("/admin/invitations", data={"csrf": token, "action": "create", "email": "",
                                                                "role": "member", "days": "3"})
        assert open_link.status_code == 200 and "/invite/" in open_link.text
        bad = await http.post("/admin/invitations", data={"csrf": token, "action": "create", "email": "not-an-email",
                                                          "role": "member", "days": "7"})
        assert bad.status_code == 400 and 'value="not-an-email"' in bad.text
        too_long = await http.post("/admin/invitations", data={"csrf": token, "action": "create", "role": "member",
                                                               "days": "999"})
        assert too_long.status_code == 400
        with a.ctx:
            invitation = await Invitation.get(email="new@example.org")
            assert invitation.role == "editor"
        revoked = await http.post("/admin/invitations", data={"csrf": token, "action": "revoke",
                                                              "invitation": invitation.id})
        assert revoked.status_code == 303
        assert "revoked" in (await http.get("/admin/invitations")).text
        again = await http.post("/admin/invitations", data={"csrf": token, "action": "revoke", "invitation": "abc"})
        assert again.status_code == 400
    with a.ctx:
        assert (await Invitation.get(id=invitation.id)).revoked_at is not None
        assert await Invitation.all().count() == 2
    assert await audit_actions(a) == ["invitation.create", "invitation.create", "invitation.revoke"]


async def test_settings_hide_secrets_and_save_the_runtime_settings(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    a.settings = dataclasses.replace(
        a.settings, mail=MailSettings(host="smtp.example.org", username="mailer", password="hunter2-mail"),
        database_url="postgres://agora:db-pass-42@db.example.org:5432/agora",
    )
    async with logged_in(a, "root", "admin") as http:
        page = await http.get("/admin/settings")
        assert page.status_code == 200
        for secret in ("test-secret", "hunter2-mail", "db-pass-42"):
            assert secret not in page.text
        assert "smtp.example.org" in page.text and "db.example.org" in page.text and 'href="/admin/federation"' in page.text
        token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
        response = await http.post("/admin/settings", data={"csrf": token, "hold_remote_replies": "1"})
        assert response.status_code == 303
        with a.ctx:
            assert await site_settings.flag(a, "hold_remote_replies") is True
            assert await site_settings.flag(a, "registrations_open") is False
        assert 'name="hold_remote_replies" value="1" checked' in (await http.get("/admin/settings")).text
        await http.post("/admin/settings", data={"csrf": token})
        with a.ctx:
            assert await site_settings.flag(a, "hold_remote_replies") is False
    assert await audit_actions(a) == ["settings.update", "settings.update"]


async def test_profile_changes_federate_an_update_of_the_group(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    await follow_association(federation, a, b)
    async with logged_in(a, "root", "admin") as http:
        token = await csrf_of(http, "/admin/profile")
        fields = {"csrf": token, "name": "Diaspora Solidarity", "bio": "We **meet** on Sundays",
                  "avatar_alt": "", "header_alt": "", "about_mission": "Help newcomers settle",
                  "about_contacts": "", "about_statutes": "", "about_rules": ""}
        refused = await http.post("/admin/profile", data=fields, files={"avatar": ("logo.png", png(), "image/png")})
        assert refused.status_code == 400 and "alt text" in refused.text and "Diaspora Solidarity" in refused.text
        with a.ctx:
            assert (await Actor.get(uri=a.urls.actor("asso"))).name == "Association of a.test"
        fields.update(avatar_alt="Our logo: a green tree", header_alt="Members at the festival")
        saved = await http.post("/admin/profile", data=fields, files={
            "avatar": ("logo.png", png(), "image/png"), "header": ("header.png", png("blue"), "image/png")})
        assert saved.status_code == 303
        about = await http.get("/about")
        assert "Help newcomers settle" in about.text and "Diaspora Solidarity" in about.text
        home = await http.get("/")
        assert "<strong>meet</strong>" in home.text
    await federation.settle()
    with b.ctx:
        seen = await Actor.get(uri=a.urls.actor("asso"))
        assert seen.name == "Diaspora Solidarity" and "<strong>meet</strong>" in seen.summary
        assert seen.icon_url and seen.icon_url.startswith("http://a.test/media/")
        assert isinstance(seen.data, dict) and seen.data["image"]["url"].startswith("http://a.test/media/")
    assert await audit_actions(a) == ["association.profile"]
    async with client_for(a) as http:
        doc = (await http.get(a.urls.actor("asso"), headers={"Accept": "application/activity+json"})).json()
    assert doc["name"] == "Diaspora Solidarity" and doc["icon"]["url"] == seen.icon_url


async def test_admin_removes_a_follower_and_its_server_is_told(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    bob = await follow_association(federation, a, b)
    with b.ctx:
        assert (await Follow.get(follower__uri=bob.uri)).state == "accepted"
    async with logged_in(a, "root", "admin") as http:
        page = await http.get("/admin/followers")
        assert "@bob@b.test" in page.text and "Remove" in page.text
        with a.ctx:
            row = await Follow.get(follower__uri=bob.uri)
        token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
        wrong = await http.post("/admin/followers", data={"csrf": token, "follow": row.id, "decision": "accept"})
        assert wrong.status_code == 400  # accepting is for pending requests only
        response = await http.post("/admin/followers", data={"csrf": token, "follow": row.id, "decision": "remove"})
        assert response.status_code == 303
    with a.ctx:
        assert not await Follow.filter(follower__uri=bob.uri).exists()
    await federation.settle()
    with b.ctx:
        assert not await Follow.filter(follower__uri=bob.uri).exists()  # b took the Reject as "unfollowed"
    assert await audit_actions(a) == ["follower.remove"]


async def test_admin_accepts_a_pending_follow_request(federation: Federation) -> None:
    a = await federation.add_node("a.test", manually_approves_followers=True)
    b = await federation.add_node("b.test")
    bob = await follow_association(federation, a, b)
    async with logged_in(a, "root", "admin") as http:
        page = await http.get("/admin/followers")
        assert "pending" in page.text
        with a.ctx:
            row = await Follow.get(follower__uri=bob.uri)
        token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
        response = await http.post("/admin/followers", data={"csrf": token, "follow": row.id, "decision": "accept"})
        assert response.status_code == 303
    await federation.settle()
    with b.ctx:
        assert (await Follow.get(follower__uri=bob.uri)).state == "accepted"


async def test_jobs_page_shows_dead_jobs_without_secrets_and_retries_or_discards_them(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    with a.ctx:
        first = await jobs.enqueue("mystery", {"n": 1})
        second = await jobs.enqueue("mystery", {"n": 2})
        assert first is not None and second is not None
        error = ("boom password=hunter2 for https://user:pw-secret@x.example/ "
                 "-----BEGIN PRIVATE KEY-----\nMIIEabc\n-----END PRIVATE KEY----- " + "x" * 1000)
        await Job.filter(id__in=[first.id, second.id]).update(status="dead", last_error=error, attempts=8)
        await jobs.enqueue("deliver", {"inbox": "http://c.test/inbox"})
        await Job.create(kind="fanout", payload={}, status="running", run_at=datetime.now(timezone.utc),
                         locked_by="worker-7", locked_until=datetime.now(timezone.utc) - timedelta(minutes=1))
    async with logged_in(a, "root", "admin") as http:
        page = await http.get("/admin/jobs")
        assert page.status_code == 200
        assert "mystery" in page.text and "boom" in page.text
        assert "worker-7" in page.text and "expired: another worker will take it" in page.text
        for secret in ("hunter2", "pw-secret", "MIIEabc", "x" * 400):
            assert secret not in page.text
        token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
        assert (await http.post("/admin/jobs", data={"csrf": token, "job": first.id, "action": "retry"})).status_code == 303
        assert (await http.post("/admin/jobs", data={"csrf": token, "job": second.id, "action": "discard"})).status_code == 303
        assert (await http.post("/admin/jobs", data={"csrf": token, "job": "nope", "action": "retry"})).status_code == 303
    with a.ctx:
        retried = await Job.get(id=first.id)
        assert retried.status == "queued" and retried.attempts == 0
        assert not await Job.filter(id=second.id).exists()
    assert await audit_actions(a) == ["job.retry", "job.discard"]


async def test_admin_forms_answer_bad_input_with_a_clear_refusal(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    garbage = {"user": "9" * 40, "action": "\x00", "role": "x" * 5000, "invitation": "-1", "email": "@@",
               "days": "1e9", "follow": "1.5", "decision": "maybe", "host": "%_" * 300, "job": "", "name": "n" * 500,
               "hold_remote_replies": "yes please"}
    async with logged_in(a, "root", "admin") as http:
        token = await csrf_of(http, "/admin")
        for path in ADMIN_PAGES:
            response = await http.post(path, data={"csrf": token, **garbage})
            assert 300 <= response.status_code < 500, (path, response.status_code)
            files = await http.post(path, data={"csrf": token}, files={"name": ("x.txt", b"not text", "text/plain")})
            assert 300 <= files.status_code < 500, (path, files.status_code)
        for path in ("/admin/members?page=-3", "/admin/members?page=99999999999", "/search?q=%00%25&page=0",
                     "/@%00", "/tags/" + "x" * 3000, "/remote-follow?handle=@a@b&target=" + "y" * 500):
            assert (await http.get(path)).status_code < 500, path
    with a.ctx:
        assert (await User.get(username="root")).role == "admin"
