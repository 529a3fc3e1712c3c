"""The editors' mailing pages through real HTTP: write with preview in each language, send a test to
oneself only, schedule (sent when due), send now, the per-recipient status, cancel; the sent mailing on
the site and as a post; members and visitors kept out of /admin/mailings."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from node.core.models import Job, Post
from node.newsletters import sending
from node.newsletters.models import Mailing, MailingRecipient
from tests.conftest import Federation, client_for
from tests.helpers import csrf_of, logged_in
from tests.mailserver import MailServer, text_part, use_mail_server
from tests.newsletters.common import mailing, settle, subscribers

FORM = {"language": "en", "subject": "Spring assembly", "body": "Come on **Saturday**.", "audience": "subscribers",
        "tr_count": "1", "tr0_language": "fr", "tr0_title": "Assemblée de printemps", "tr0_text": "Venez *samedi*."}


async def test_an_editor_writes_previews_tests_and_sends_a_mailing(federation: Federation, mail_server: MailServer) -> None:
    node = await federation.add_node("a.test")
    use_mail_server(node, mail_server)
    await subscribers(node, 2)
    await subscribers(node, 1, language="fr", prefix="f")
    async with logged_in(node, "edith", "editor") as http:
        token = await csrf_of(http, "/admin/mailings/new")
        preview = await http.post("/admin/mailings/new", data={**FORM, "csrf": token, "action": "preview"})
        assert preview.status_code == 200
        assert "<strong>Saturday</strong>" in preview.text and "<em>samedi</em>" in preview.text
        with node.ctx:
            assert not await Mailing.exists()
        empty = await http.post("/admin/mailings/new", data={**FORM, "csrf": token, "subject": ""})
        assert empty.status_code == 400 and "subject" in empty.text
        saved = await http.post("/admin/mailings/new", data={**FORM, "csrf": token, "also_post": "1"})
        assert saved.status_code == 303
        path = saved.headers["location"]
        page = await http.get(path)
        assert page.status_code == 200 and "Assemblée de printemps" in page.text and "<em>samedi</em>" in page.text
        test = await http.post(f"{path}/test", data={"csrf": token})
        assert test.status_code == 303
        await mail_server.wait_for(2)
        assert {r for m in mail_server.messages for r in m.rcpt_tos} == {"edith@example.org"}
        assert sorted(m.message["Subject"] for m in mail_server.messages) == ["[Test] Assemblée de printemps", "[Test] Spring assembly"]
        with node.ctx:
            assert not await MailingRecipient.exists()
        mail_server.handler.messages.clear()
        sent = await http.post(f"{path}/send", data={"csrf": token, "when": ""})
        assert sent.status_code == 303
        assert "Sending to 3 recipients" in (await http.get(path)).text
        await settle(node)
        assert sorted(r for m in mail_server.messages for r in m.rcpt_tos) == ["f0@example.org", "s0@example.org", "s1@example.org"]
        assert mail_server.to("f0@example.org")[0]["Subject"] == "Assemblée de printemps"
        status = await http.get(path)
        assert "s0@example.org" in status.text and "3 sent, 0 failed, 0 skipped of 3" in status.text
        again = await http.post(f"{path}/send", data={"csrf": token, "when": ""})
        assert again.status_code == 303 and "sent already" in (await http.get(path)).text
    with node.ctx:
        found = await Mailing.get(id=int(path.rsplit("/", 1)[1]))
        assert found.status == "sent" and found.post_id is not None
        post = await Post.get(id=found.post_id)
        assert "Spring assembly" in post.content and "Saturday" in post.content and not post.draft
    async with client_for(node) as visitor:
        public = await visitor.get(f"/mailings/{found.slug}")
        assert public.status_code == 200 and "<strong>Saturday</strong>" in public.text
        french = await visitor.get(f"/mailings/{found.slug}", headers={"Accept-Language": "fr"})
        assert "Assemblée de printemps" in french.text and "<em>samedi</em>" in french.text
        assert found.slug in (await visitor.get("/mailings")).text
        assert (await visitor.get("/mailings/nope")).status_code == 404
        assert (await visitor.get("/admin/mailings")).status_code in (302, 303)


async def test_a_scheduled_mailing_goes_when_due_and_a_cancelled_one_never(federation: Federation, mail_server: MailServer) -> None:
    node = await federation.add_node("a.test")
    use_mail_server(node, mail_server)
    await subscribers(node, 2)
    due = await mailing(node, subject="Due")
    never = await mailing(node, subject="Cancelled")
    later = datetime.now(timezone.utc) + timedelta(hours=2)
    async with logged_in(node, "edith", "editor") as http:
        token = await csrf_of(http, f"/admin/mailings/{due.id}")
        for found in (due, never):
            answer = await http.post(f"/admin/mailings/{found.id}/send", data={"csrf": token, "when": later.strftime("%Y-%m-%dT%H:%M")})
            assert answer.status_code == 303
        assert "Scheduled for" in (await http.get(f"/admin/mailings/{due.id}")).text
        assert (await http.post(f"/admin/mailings/{never.id}/cancel", data={"csrf": token})).status_code == 303
    await settle(node)
    assert mail_server.messages == []  # not due yet
    with node.ctx:
        assert (await Mailing.get(id=due.id)).status == "scheduled"
        await Job.filter(kind=sending.JOB).update(run_at=datetime.now(timezone.utc) - timedelta(seconds=1))
    await settle(node)
    assert sorted(m.message["Subject"] for m in mail_server.messages) == ["Due", "Due"]
    with node.ctx:
        assert (await Mailing.get(id=due.id)).status == "sent"
        assert (await Mailing.get(id=never.id)).status == "cancelled"
    assert "Due" in text_part(mail_server.messages[0].message)


async def test_only_editors_and_admins_use_the_mailing_pages(federation: Federation) -> None:
    node = await federation.add_node("a.test")
    found = await mailing(node)
    async with logged_in(node, "mo", "member") as http:
        assert (await http.get("/admin/mailings")).status_code == 403
        assert (await http.get(f"/admin/mailings/{found.id}")).status_code == 403
        token = await csrf_of(http, "/")
        assert (await http.post(f"/admin/mailings/{found.id}/send", data={"csrf": token})).status_code == 403
    async with logged_in(node, "ad", "admin") as http:
        assert (await http.get("/admin/mailings")).status_code == 200
        assert (await http.get("/admin/mailings/999999")).status_code == 404
        assert (await http.get(f"/mailings/{found.slug}")).status_code == 404  # a draft is not on the site


async def test_only_a_mailing_to_the_subscribers_is_also_published_as_a_post(federation: Federation) -> None:
    """A post is public: a mailing to the members (or to an event's participants) must not become one."""
    node = await federation.add_node("a.test")
    async with logged_in(node, "edith", "editor") as http:
        token = await csrf_of(http, "/admin/mailings/new")
        refused = await http.post("/admin/mailings/new", data={**FORM, "csrf": token, "audience": "members", "also_post": "1"})
        assert refused.status_code == 400 and "subscribers can also be published as a post" in refused.text
        assert 'name="also_post" value="1" checked' in refused.text  # the form keeps what was typed
    with node.ctx:
        assert not await Mailing.exists()
        # one saved before this check, sent now: still not published
        members_only = await mailing(node, audience="members")
        await Mailing.filter(id=members_only.id).update(also_post=True, status="sending")
        before = await Post.all().count()
        await sending._finish(node, await Mailing.get(id=members_only.id))
        assert (await Mailing.get(id=members_only.id)).status == "sent"
        assert await Post.all().count() == before
