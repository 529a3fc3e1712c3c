"""Reports: a member's report forwarded as a Flag that lands in the other node's queue, a Mastodon-shaped
Flag received, reports from visitors without an account, the queue's actions (dismiss, delete, suspend the
account or its domain), the audit log, and who may see the moderation pages."""

from __future__ import annotations

import re
from html import unescape

import httpx2
from federation import vocab
from node.policy import rules
from node.moderation import reports
from node.accounts.actors import fetch_actor, local_actor
from node.posts.content import Draft, create_post
from node.core.models import Activity, Actor, AuditEntry, Follow, Interaction, Notification, Post, User
from node.policy.models import ActorBlock, DomainPolicy
from node.moderation.models import Report
from node.core.runtime import Node
from node.social.social import follow
from tests.conftest import Federation, client_for, member
from tests.helpers import CSRF, csrf_of, logged_in
from tests.activitypub.test_inbox import encode, signed

AS2 = {"Accept": "application/activity+json"}


def notice_of(response: httpx2.Response) -> str:
    match = re.search(r'<p class="(?:notice|error)" role="status">(.*?)</p>', response.text, re.S)
    return unescape(match.group(1)).strip() if match else ""


async def remote_actor(node: Node, name: str, domain: str = "bad.example") -> Actor:
    """A remote account known to `node` without a server behind it (actions that need no delivery)."""
    with node.ctx:
        return await Actor.create(
            uri=f"https://{domain}/users/{name}", local=False, username=name, domain=domain,
            inbox=f"https://{domain}/users/{name}/inbox", shared_inbox=f"https://{domain}/inbox",
        )


async def test_a_forwarded_report_lands_in_the_other_nodes_queue(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    bob, _ = await member(b, "bob")
    await member(b, "mod", "moderator")
    with a.ctx:
        await follow(a, await local_actor("asso"), await fetch_actor(a, bob.uri))
    await federation.settle()
    with b.ctx:
        post = await create_post(b, bob, Draft(text="Buy cheap pills at spam.example"))
    await federation.settle()
    with a.ctx:
        assert await Post.filter(uri=post.uri).exists()  # a stores what the association follows

    async with logged_in(a, "alice", "member") as http:
        form = await http.get("/report", params={"uri": post.uri})
        assert form.status_code == 200 and "@bob@b.test" in form.text and 'name="forward"' in form.text
        token = CSRF.search(form.text).group(1)  # type: ignore[union-attr]
        sent = await http.post("/report", data={"csrf": token, "uri": post.uri, "comment": "Spam, again", "forward": "yes"})
        assert sent.status_code == 200, sent.text
    await federation.settle()

    with a.ctx:
        ours = await Report.get(target_uri=bob.uri).prefetch_related("reporter")
        assert ours.local and ours.reporter.username == "alice" and ours.forwarded_at is not None
        assert ours.object_uris == [post.uri] and ours.state == "open"
        flag = (await Activity.get(uri=ours.uri)).data
        instance = a.urls.instance_actor
        assert flag["type"] == "Flag" and flag["actor"] == instance  # the member stays anonymous
        assert flag["object"] == [bob.uri, post.uri] and flag["content"] == "Spam, again"
    with b.ctx:
        theirs = await Report.get(uri=ours.uri).prefetch_related("reporter", "target")
        assert not theirs.local and theirs.reporter.uri == a.urls.instance_actor
        assert theirs.reporter_domain == "a.test" and theirs.target.uri == bob.uri
        assert theirs.object_uris == [post.uri] and theirs.comment == "Spam, again"
        mod = await User.get(username="mod")
        assert await Notification.filter(kind="report", recipient_id=mod.actor_id).exists()  # type: ignore[attr-defined]

    async with logged_in(b, "mod2", "moderator") as http:
        queue = await http.get("/admin/reports")
        assert queue.status_code == 200 and "Spam, again" in queue.text
        detail = await http.get(f"/admin/reports/{theirs.id}")
        assert "Buy cheap pills" in detail.text and "a.test" in detail.text
        token = CSRF.search(detail.text).group(1)  # type: ignore[union-attr]
        done = await http.post(f"/admin/reports/{theirs.id}", data={"csrf": token, "action": "delete", "note": "spam"})
        assert done.status_code == 303
        assert notice_of(await http.get(done.headers["location"])) == "The reported content was removed."
    await federation.settle()
    with b.ctx:
        report = await Report.get(id=theirs.id).prefetch_related("resolved_by")
        assert report.state == "resolved" and report.action_taken == "delete"
        assert report.resolved_by.username == "mod2" and report.resolved_at is not None
        assert (await Post.get(uri=post.uri)).deleted_at is not None
        entry = await AuditEntry.get(action="report.delete")
        assert entry.by == "mod2" and entry.target == report.uri and entry.details["removed"] == [post.uri]
        assert entry.details["note"] == "spam"
    with a.ctx:  # the Delete federated: a's copy is gone
        assert not await Post.filter(uri=post.uri).exists()
    async with client_for(b) as http:
        assert (await http.get(post.uri, headers=AS2)).status_code == 410


async def test_a_mastodon_flag_keeps_our_objects_only(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    with a.ctx:
        asso = await local_actor("asso")
        assert asso is not None
        post = await create_post(a, asso, Draft(text="Our statement"))
    with b.ctx:
        instance = await Actor.get(local=True, kind="Application")

    def flag(n: int, objects: list[str]) -> dict[str, object]:
        return {"@context": vocab.AS2, "id": f"http://b.test/{n}", "type": "Flag", "actor": instance.uri,
                "content": "Please check <b>this</b>", "object": objects}

    objects = [asso.uri, post.uri, "http://a.test/posts/nothing", "http://elsewhere.example/posts/1"]
    for attempt in range(2):  # the second delivery of the same Flag changes nothing
        body = encode(flag(1, objects))
        async with client_for(a) as http:
            answer = await http.post("/inbox", content=body, headers=signed(instance, body))
        assert answer.status_code == 202
        await federation.settle()
    with a.ctx:
        [report] = await Report.all().prefetch_related("reporter", "target")
        assert report.uri == "http://b.test/1" and not report.local
        assert report.reporter.uri == instance.uri and report.reporter_domain == "b.test"
        assert report.target.uri == asso.uri and report.object_uris == [post.uri]
        assert report.comment == "Please check <b>this</b>"  # kept as text, escaped when shown
    async with logged_in(a, "mod", "moderator") as http:
        detail = await http.get(f"/admin/reports/{report.id}")
        assert "Please check &lt;b&gt;this&lt;/b&gt;" in detail.text and "Our statement" in detail.text

    with a.ctx:
        await rules.save_rule(a, "b.test", "noop", reject_reports=True)
    body = encode(flag(2, [asso.uri]))
    async with client_for(a) as http:
        assert (await http.post("/inbox", content=body, headers=signed(instance, body))).status_code == 202
    await federation.settle()
    with a.ctx:
        assert await Report.all().count() == 1  # reports from b.test are rejected now
        await rules.remove_domain(a, "b.test", "block")
    body = encode(flag(3, ["http://elsewhere.example/users/x"]))
    async with client_for(a) as http:
        assert (await http.post("/inbox", content=body, headers=signed(instance, body))).status_code == 202
    await federation.settle()
    with a.ctx:
        assert await Report.all().count() == 1  # a Flag naming nothing of ours makes no report


async def test_visitors_without_an_account_report_public_content_only(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    with a.ctx:
        asso = await local_actor("asso")
        assert asso is not None
        public = await create_post(a, asso, Draft(text="Public words"))
        private = await create_post(a, asso, Draft(text="For followers", visibility="followers"))
    async with client_for(a, follow_redirects=False) as http:
        form = await http.get("/report", params={"uri": public.uri})
        assert form.status_code == 200 and 'name="forward"' not in form.text
        token = CSRF.search(form.text).group(1)  # type: ignore[union-attr]
        assert (await http.post("/report", data={"uri": public.uri, "comment": "x"})).status_code == 403  # no CSRF
        empty = await http.post("/report", data={"csrf": token, "uri": public.uri, "comment": "  "})
        assert empty.status_code == 400 and "Please say what is wrong." in empty.text
        hidden = await http.get("/report", params={"uri": private.uri})
        assert hidden.status_code == 404 and "For followers" not in hidden.text
        refused = await http.post("/report", data={"csrf": token, "uri": private.uri, "comment": "x"})
        assert refused.status_code == 400
        bad = await http.post("/report", data={"csrf": token, "uri": "javascript:alert(1)", "comment": "x"})
        assert bad.status_code == 400
        ok = await http.post("/report", data={"csrf": token, "uri": public.uri, "comment": "Hateful", "forward": "yes"})
        assert ok.status_code == 200
    with a.ctx:
        [report] = await Report.all()
        assert report.reporter_id is None and report.reporter_domain is None  # type: ignore[attr-defined]
        assert report.target_uri == asso.uri and report.object_uris == [public.uri] and report.comment == "Hateful"
        assert report.forwarded_at is None
    async with logged_in(a, "alice", "member") as http:  # a member may report what followers see
        token = await csrf_of(http, f"/report?uri={private.uri}")
        assert (await http.post("/report", data={"csrf": token, "uri": private.uri, "comment": ""})).status_code == 200
    with a.ctx:
        assert await Report.filter(object_uris=[private.uri]).count() == 1


async def test_suspend_dismiss_and_the_audit_log(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    troll = await remote_actor(a, "troll")
    with a.ctx:
        asso = await local_actor("asso")
        assert asso is not None
        mine = await create_post(a, asso, Draft(text="Our news"))
        await Follow.create(uri="https://bad.example/f/1", follower=troll, target=asso, state="accepted")
        reply = await Post.create(uri="https://bad.example/p/1", author=troll, content="<p>insult</p>",
                                  in_reply_to=mine, in_reply_to_uri=mine.uri, published=mine.published)
        await Interaction.create(uri="https://bad.example/l/1", kind="Like", actor=troll, post=mine)
        first = await reports.create_report(a, reports.Subject(troll, (reply.uri,)), "insults", reporter=None)
        second = await reports.create_report(a, reports.Subject(troll), "again", reporter=None)
        third = await reports.create_report(a, reports.Subject(troll), "noise", reporter=None)

    async with logged_in(a, "mod", "moderator") as http:
        token = await csrf_of(http, f"/admin/reports/{first.id}")
        response = await http.post(f"/admin/reports/{first.id}", data={"csrf": token, "action": "suspend_actor"})
        assert notice_of(await http.get(response.headers["location"])) == "The account was suspended."
        refused = await http.post(f"/admin/reports/{second.id}", data={"csrf": token, "action": "suspend_domain"})
        assert notice_of(await http.get(refused.headers["location"])) == "Only admins suspend a whole domain."
        await http.post(f"/admin/reports/{third.id}", data={"csrf": token, "action": "dismiss", "note": "not a rule"})
        unknown = await http.post(f"/admin/reports/{third.id}", data={"csrf": token, "action": "explode"})
        assert unknown.status_code == 400
        assert (await http.get("/admin/reports/999999")).status_code == 404
        assert (await http.get("/admin/reports/x")).status_code == 404
    with a.ctx:
        assert (await ActorBlock.get(uri=troll.uri)).action == "suspend"
        assert not await Follow.filter(follower=troll).exists()  # no more deliveries to it
        assert not await Post.filter(id=reply.id).exists()  # a suspended account's content goes
        refreshed = await Post.get(id=mine.id)
        assert refreshed.like_count == 0 and refreshed.reply_count == 0
        assert not await DomainPolicy.exists()
        assert (await Report.get(id=second.id)).state == "open"
        third_now = await Report.get(id=third.id)
        assert third_now.state == "dismissed" and third_now.action_taken == "dismiss"

    async with logged_in(a, "root", "admin") as http:
        token = await csrf_of(http, f"/admin/reports/{second.id}")
        done = await http.post(f"/admin/reports/{second.id}", data={"csrf": token, "action": "suspend_domain"})
        assert notice_of(await http.get(done.headers["location"])) == "The domain was suspended."
        audit = await http.get("/admin/audit")
        actions = re.findall(r"<code>([a-z_.]+)</code>", audit.text)
        assert actions.index("report.suspend_domain") < actions.index("domain.suspend")  # newest first
        assert actions.index("report.suspend_actor") < actions.index("actor.suspend")
        reported = await http.get("/admin/audit", params={"action": "report."})
        assert re.findall(r"<code>([a-z_.]+)</code>", reported.text) == [
            "report.suspend_domain", "report.dismiss", "report.suspend_actor"]
        assert "not a rule" in reported.text
        filtered = await http.get("/admin/audit", params={"action": "report.suspend"})
        assert re.findall(r"<code>([a-z_.]+)</code>", filtered.text) == ["report.suspend_domain", "report.suspend_actor"]
        queue = await http.get("/admin/reports")
        assert "0 open reports" in queue.text
    with a.ctx:
        rule = await DomainPolicy.get(domain="bad.example")
        assert rule.action == "suspend" and rule.state == "active"
        entry = await AuditEntry.get(action="report.suspend_domain")
        assert entry.by == "root" and entry.details["domain"] == "bad.example"


async def test_the_audit_log_pages(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    with a.ctx:
        for n in range(55):
            await AuditEntry.create(by="system", action=f"domain.test{n}", target=f"t{n}")
    async with logged_in(a, "mod", "moderator") as http:
        first = await http.get("/admin/audit")
        assert first.text.count("<code>domain.test") == 50 and "domain.test54" in first.text
        assert "page=2" in first.text
        second = await http.get("/admin/audit", params={"page": "2"})
        assert second.text.count("<code>domain.test") == 5 and "domain.test0<" in second.text
        for weird in ("0", "-1", "abc", "99999999999999999999"):
            assert (await http.get("/admin/audit", params={"page": weird})).status_code == 200


async def test_moderation_pages_refuse_members_and_visitors(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    with a.ctx:
        asso = await local_actor("asso")
        assert asso is not None
        report = await reports.create_report(a, reports.Subject(asso), "test", reporter=None)
    paths = ["/admin/reports", f"/admin/reports/{report.id}", "/admin/audit", "/admin/held"]
    async with client_for(a, follow_redirects=False) as http:
        for path in paths:
            response = await http.get(path)
            assert response.status_code == 303 and response.headers["location"] == "/login", path
            assert (await http.post(path, data={"action": "dismiss"})).status_code in (303, 405), path
    for role in ("member", "editor"):
        async with logged_in(a, f"user_{role}", role) as http:
            token = await csrf_of(http, "/report")
            for path in paths:
                assert (await http.get(path)).status_code == 403, (role, path)
                post = await http.post(path, data={"csrf": token, "action": "dismiss", "kind": "reply", "id": "1",
                                                   "decision": "approve"})
                assert post.status_code in (403, 405), (role, path)
    with a.ctx:
        assert (await Report.get(id=report.id)).state == "open"
    async with logged_in(a, "mod", "moderator") as http:
        for path in paths:
            assert (await http.get(path)).status_code == 200, path


async def test_the_assemblys_audit_entries_are_for_admins_only(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    with a.ctx:
        await AuditEntry.create(by="root", action="vote.proxy", target="/votes/1", details={"giver": "ana", "holder": "bo"})
        await AuditEntry.create(by="root", action="domain.block", target="bad.example")
    async with logged_in(a, "mod", "moderator") as http:
        shown = re.findall(r"<code>([a-z_.]+)</code>", (await http.get("/admin/audit")).text)
        assert "domain.block" in shown and "vote.proxy" not in shown, "a moderator read who gave their vote to whom"
        assert "vote.proxy" not in (await http.get("/admin/audit", params={"action": "vote."})).text
    async with logged_in(a, "root", "admin") as http:
        assert "vote.proxy" in re.findall(r"<code>([a-z_.]+)</code>", (await http.get("/admin/audit")).text)
