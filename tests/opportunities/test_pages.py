"""The board's pages on a real app and database: posting (directly, or waiting for approval), the
page with its report link and money warning, answering without either address leaking to the other
side, the rate limit, closing, removing, the expiry job and the page weight."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from node.core.models import Actor, AuditEntry, Job, Notification
from node.core.multilingual import Translation
from node.opportunities import opportunities
from node.opportunities.models import Answer, Opportunity
from tests.conftest import Federation, client_for, member
from tests.helpers import csrf_of, logged_in
from tests.opportunities.common import (  # noqa: F401
    FORM, Outbox, login_client, outbox, post, refreshed, sign_in, slug_path,
)

VISITOR = "visitor.private@example.net"


async def test_a_member_posts_and_it_is_published_with_its_line(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with logged_in(a, "alice") as http:
        token = await csrf_of(http, "/opportunities/new")
        response = await http.post("/opportunities/new", data={**FORM, "csrf": token})
        assert response.status_code == 303, response.text
        page = await http.get(response.headers["location"])
    assert page.status_code == 200
    assert "Kitchen helper in Lyon" in page.text and "Lyon" in page.text
    assert "/report?uri=" in page.text
    with a.ctx:
        row = await Opportunity.get(title="Kitchen helper in Lyon")
    assert row.status == "open" and row.languages == ["fr", "ar"]
    assert abs((row.expires - datetime.now(timezone.utc)) - timedelta(days=30)) < timedelta(minutes=5)
    async with client_for(a) as anon:
        board = await anon.get("/opportunities")
    assert "Kitchen helper in Lyon" in board.text


async def test_a_refused_form_says_why_with_status_400(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with logged_in(a, "alice") as http:
        token = await csrf_of(http, "/opportunities/new")
        response = await http.post("/opportunities/new", data={**FORM, "csrf": token, "title": "", "expires": "1999-01-01"})
    assert response.status_code == 400
    assert "give the opportunity a title" in response.text and "expiry" in response.text


async def test_with_approval_a_members_posting_waits_and_a_moderator_publishes_it(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with logged_in(a, "root", "admin") as admin:
        token = await csrf_of(admin, "/opportunities/moderation")
        await admin.post("/opportunities/moderation", data={"csrf": token, "action": "setting", "approval": "1"})
        async with logged_in(a, "alice") as http:
            token = await csrf_of(http, "/opportunities/new")
            response = await http.post("/opportunities/new", data={**FORM, "csrf": token})
            assert response.status_code == 303
        with a.ctx:
            row = await Opportunity.get(title=FORM["title"])
        assert row.status == "pending"
        async with client_for(a) as anon:
            assert (await anon.get(slug_path(row))).status_code == 404
            assert FORM["title"] not in (await anon.get("/opportunities")).text
        queue = await admin.get("/opportunities/moderation")
        assert FORM["title"] in queue.text
        token = await csrf_of(admin, "/opportunities/moderation")
        await admin.post("/opportunities/moderation", data={"csrf": token, "action": "approve", "id": str(row.id)})
    assert (await refreshed(a, row)).status == "open"
    with a.ctx:
        assert await AuditEntry.filter(action="opportunity.approve").exists()
    editor_row = await post(a, "asso")
    assert editor_row.status == "open"  # the association (command line, editors) publishes directly


async def test_answers_never_show_the_other_address_until_the_poster_chooses(federation: Federation, outbox: Outbox) -> None:
    a = await federation.add_node("a.test")
    _, password = await member(a, "alice")
    row = await post(a, "alice")
    async with client_for(a, follow_redirects=False) as anon:
        token = await csrf_of(anon, slug_path(row))
        sent = await anon.post(f"{slug_path(row)}/answer", data={
            "csrf": token, "name": "Samir", "email": VISITOR, "message": "I am interested in the room."})
        assert sent.status_code == 303
        page = await anon.get(slug_path(row))
        assert "alice@example.org" not in page.text
    await federation.settle()
    [mail] = outbox.to("alice@example.org")
    assert "I am interested in the room." in mail[2] and "Samir" in mail[2]
    assert VISITOR not in "".join(mail)
    with a.ctx:
        assert await Notification.filter(kind="opportunity").count() == 1
        answer = await Answer.get(opportunity_id=row.id)
    async with logged_in(a, "bob") as other:
        assert (await other.get(f"{slug_path(row)}/answers")).status_code == 403
    async with login_client(a) as http:
        await sign_in(http, "alice", password)
        page = await http.get(f"{slug_path(row)}/answers")
        assert page.status_code == 200 and "I am interested in the room." in page.text
        assert VISITOR not in page.text
        token = await csrf_of(http, f"{slug_path(row)}/answers")
        await http.post(f"{slug_path(row)}/answers", data={"csrf": token, "answer": str(answer.id),
                                                           "message": "Come on Monday."})
        await federation.settle()
        [reply] = outbox.to(VISITOR)
        assert "Come on Monday." in reply[2] and "alice@example.org" not in "".join(reply)
        token = await csrf_of(http, f"{slug_path(row)}/answers")
        await http.post(f"{slug_path(row)}/answers", data={"csrf": token, "answer": str(answer.id),
                                                           "message": "Write to me.", "reveal": "1"})
        await federation.settle()
        assert "alice@example.org" in outbox.to(VISITOR)[1][2]
        page = await http.get(f"{slug_path(row)}/answers")
        assert VISITOR not in page.text
    assert all(VISITOR not in m[2] and VISITOR not in m[1] for m in outbox.to("alice@example.org"))


async def test_answers_are_limited_per_address(federation: Federation, outbox: Outbox) -> None:
    a = await federation.add_node("a.test")
    row = await post(a)
    async with client_for(a, follow_redirects=False) as anon:
        statuses = []
        for n in range(7):
            token = await csrf_of(anon, slug_path(row))
            response = await anon.post(f"{slug_path(row)}/answer", data={
                "csrf": token, "name": "Spam", "email": "same@example.net", "message": f"message {n}"})
            statuses.append(response.status_code)
    assert statuses[:5] == [303] * 5 and statuses[5:] == [429, 429]
    with a.ctx:
        assert await Answer.filter(opportunity_id=row.id).count() == 5


async def test_a_posting_that_asks_for_money_shows_a_warning(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    honest = await post(a, title="Cook wanted", kind="job", text="Evenings, paid weekly.")
    shady = await post(a, title="Job in Canada", kind="job", text="Pay the registration fee of 300 euros first.")
    async with client_for(a) as anon:
        assert "mentions a payment" not in (await anon.get(slug_path(honest))).text
        page = await anon.get(slug_path(shady))
    assert "mentions a payment" in page.text and "registration fee" in page.text


async def test_the_poster_closes_it_and_answers_stop(federation: Federation, outbox: Outbox) -> None:
    a = await federation.add_node("a.test")
    _, password = await member(a, "alice")
    row = await post(a, "alice")
    async with login_client(a) as http:
        await sign_in(http, "alice", password)
        token = await csrf_of(http, slug_path(row))
        assert (await http.post(f"{slug_path(row)}/close", data={"csrf": token})).status_code == 303
    assert (await refreshed(a, row)).status == "closed"
    async with client_for(a, follow_redirects=False) as anon:
        assert row.title not in (await anon.get("/opportunities")).text
        token = await csrf_of(anon, "/login")
        response = await anon.post(f"{slug_path(row)}/answer", data={
            "csrf": token, "name": "Late", "email": "late@example.net", "message": "Still free?"})
    assert response.status_code == 400 and "not open" in response.text


async def test_a_moderator_removes_a_posting_with_a_reason(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    row = await post(a)
    async with logged_in(a, "mod", "moderator") as http:
        token = await csrf_of(http, slug_path(row))
        refused = await http.post(f"{slug_path(row)}/remove", data={"csrf": token, "reason": ""})
        assert refused.status_code == 400
        done = await http.post(f"{slug_path(row)}/remove", data={"csrf": token, "reason": "a scam"})
        assert done.status_code == 303
    async with logged_in(a, "carl") as member_http:
        token = await csrf_of(member_http, "/opportunities")
        assert (await member_http.post(f"{slug_path(row)}/remove", data={"csrf": token, "reason": "x"})).status_code == 403
    row = await refreshed(a, row)
    assert row.status == "removed" and row.removed_reason == "a scam"
    with a.ctx:
        entry = await AuditEntry.get(action="opportunity.remove")
    assert entry.details["reason"] == "a scam"
    async with client_for(a) as anon:
        assert (await anon.get(slug_path(row))).status_code == 404


async def test_the_expiry_job_closes_it(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    row = await post(a)
    with a.ctx:
        await Opportunity.filter(id=row.id).update(expires=datetime.now(timezone.utc) - timedelta(minutes=1))
        await Job.filter(kind=opportunities.EXPIRE_JOB).update(run_at=datetime.now(timezone.utc) - timedelta(minutes=1))
    await federation.settle()
    row = await refreshed(a, row)
    assert row.status == "closed" and row.closed_at is not None


async def test_pages_weigh_under_50_kb_with_their_css(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    for n in range(30):
        row = await post(a, title=f"Mentor number {n}", kind="mentoring", text="Help with CVs. " * 40)
    async with client_for(a) as anon:
        css = await anon.get("/static/agora.css")
        for path in ("/opportunities", slug_path(row), "/opportunities/network"):
            page = await anon.get(path)
            assert page.status_code == 200
            assert len(page.content) + len(css.content) < 50_000, (path, len(page.content), len(css.content))


async def test_site_search_finds_opportunities_in_every_language(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    await post(a, title="Accountant internship", kind="internship", text="Six months.",
               translations=(Translation(language="ar", title="تدريب في المحاسبة", text="ستة أشهر في مكتب"),
                             Translation(language="fr", title="Stage de comptabilité", text="Six mois à Évry.")))
    async with client_for(a) as anon:
        arabic = await anon.get("/search", params={"q": "المحاسبة"})
        french = await anon.get("/search", params={"q": "evry"})  # without its accent
        nothing = await anon.get("/search", params={"q": "plumber"})
    assert "تدريب في المحاسبة" in arabic.text and "Opportunity" in arabic.text
    assert "Stage de comptabilité" in french.text
    assert "Accountant internship" not in nothing.text


async def test_feeds_per_kind(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    await post(a, title="Volunteers for the food bank", kind="volunteering")
    await post(a, title="Scholarship for engineers", kind="scholarship")
    async with client_for(a) as anon:
        atom = await anon.get("/opportunities/volunteering.atom")
        rss = await anon.get("/opportunities/feed.rss")
        missing = await anon.get("/opportunities/lottery.atom")
    assert atom.headers["content-type"].startswith("application/atom+xml")
    assert "Volunteers for the food bank" in atom.text and "Scholarship for engineers" not in atom.text
    assert "Volunteering offer" in atom.text
    assert "Volunteers for the food bank" in rss.text and "Scholarship for engineers" in rss.text
    assert missing.status_code == 404


async def test_its_address_answers_the_note_to_activitypub_clients(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    row = await post(a, title="Scholarship for nurses", kind="scholarship")
    accept = {"Accept": "application/activity+json"}
    async with client_for(a) as anon:
        note = await anon.get(slug_path(row), headers=accept)
        assert note.status_code == 200 and note.json()["type"] == "Note"
        assert note.json()["opportunityKind"] == "scholarship" and "Scholarship offer" in note.json()["content"]
        assert "text/html" in (await anon.get(slug_path(row))).headers["content-type"]
        with a.ctx:
            await Opportunity.filter(id=row.id).update(status="removed")
        gone = await anon.get(slug_path(row), headers=accept)
    assert gone.status_code == 410 and gone.json()["type"] == "Tombstone"


async def test_a_member_answers_and_hears_back_by_email_and_notification(federation: Federation, outbox: Outbox) -> None:
    a = await federation.add_node("a.test")
    _, password = await member(a, "alice")
    row = await post(a, "alice")
    async with logged_in(a, "bob") as bob:
        token = await csrf_of(bob, slug_path(row))
        assert 'name="email"' not in (await bob.get(slug_path(row))).text  # a member gives no address
        sent = await bob.post(f"{slug_path(row)}/answer", data={"csrf": token, "message": "Is it still free?"})
        assert sent.status_code == 303
    await federation.settle()
    with a.ctx:
        answer = await Answer.get(opportunity_id=row.id)
    async with login_client(a) as http:
        await sign_in(http, "alice", password)
        page = await http.get(f"{slug_path(row)}/answers")
        assert "Is it still free?" in page.text and "bob@example.org" not in page.text
        token = await csrf_of(http, f"{slug_path(row)}/answers")
        await http.post(f"{slug_path(row)}/answers", data={"csrf": token, "answer": str(answer.id), "message": "Yes."})
    await federation.settle()
    [mail] = outbox.to("bob@example.org")
    assert "Yes." in mail[2] and "alice@example.org" not in mail[2]
    assert "bob@example.org" not in "".join(m[2] for m in outbox.to("alice@example.org"))
    with a.ctx:
        bob_actor = await Actor.get(username="bob", local=True)
        assert await Notification.filter(recipient=bob_actor, kind="opportunity").exists()


async def test_editors_read_and_answer_for_what_the_association_posted(federation: Federation, outbox: Outbox) -> None:
    a = await federation.add_node("a.test")
    row = await post(a)  # posted by the association itself (as the command line does)
    async with client_for(a, follow_redirects=False) as anon:
        token = await csrf_of(anon, slug_path(row))
        too_long = await anon.post(f"{slug_path(row)}/answer", data={
            "csrf": token, "name": "Long", "email": "x" * 64 + "@" + "y" * 252 + ".org", "message": "Hello"})
        assert too_long.status_code == 400
        await anon.post(f"{slug_path(row)}/answer", data={
            "csrf": token, "name": "Nadia", "email": "nadia@example.net", "message": "Is the room near a metro?"})
    async with logged_in(a, "ed", "editor") as editor:
        page = await editor.get(f"{slug_path(row)}/answers")
        assert page.status_code == 200 and "Is the room near a metro?" in page.text
        assert "nadia@example.net" not in page.text
    async with logged_in(a, "plain") as other:
        assert (await other.get(f"{slug_path(row)}/answers")).status_code == 403
