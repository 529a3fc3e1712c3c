"""A mailing through a real SMTP server (tests/mailserver.py): every active subscriber who chose newsletters
gets one message, multipart, with the list headers, in their language; blocked and unsubscribed addresses
are skipped; a 550 recipient is failed while the others get theirs; an outage pauses the job, nobody skipped."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from node.core.models import Job
from node.core.multilingual import Translation
from node.mailing.models import Subscriber, Suppression
from node.newsletters import sending
from node.newsletters.mailings import cancel
from node.newsletters.models import Mailing, MailingRecipient
from tests.conftest import Federation
from tests.mailserver import MailServer, html_part, text_part, use_mail_server
from tests.newsletters.common import mailing, settle, subscribers


async def test_every_active_subscriber_gets_the_mailing_once_in_their_language(federation: Federation, mail_server: MailServer) -> None:
    node = await federation.add_node("a.test")
    use_mail_server(node, mail_server)
    english = await subscribers(node, 3)
    french = await subscribers(node, 2, language="fr", prefix="f")
    await subscribers(node, 1, prefix="p", status="pending")
    await subscribers(node, 1, prefix="o", kinds=("events",))
    await subscribers(node, 1, prefix="u", status="unsubscribed")
    with node.ctx:
        await Suppression.create(email="s2@example.org", blocked=True)
    found = await mailing(node, translations=(Translation(language="fr", title="Assemblée de printemps",
                                                          text="Chers membres,\n\nl'**assemblée** est *samedi*."),))
    with node.ctx:
        queued = await sending.send_now(node, found)
    assert queued == 4  # 3 + 2 active with newsletters, one of them blocked
    await settle(node)
    counts = Counter(r for m in mail_server.messages for r in m.rcpt_tos)
    assert counts == Counter({"s0@example.org": 1, "s1@example.org": 1, "f0@example.org": 1, "f1@example.org": 1})
    [en] = mail_server.to("s0@example.org")
    assert en["Subject"] == "Spring assembly"
    assert en["List-Unsubscribe"] == f"<http://a.test/mail/unsubscribe/{english[0].token}>"
    assert en["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert en.get_content_type() == "multipart/alternative"
    assert "the **assembly** is on *Saturday*" in text_part(en)
    assert "<strong>assembly</strong>" in html_part(en) and "<em>Saturday</em>" in html_part(en)
    assert f"http://a.test/mail/preferences/{english[0].token}" in text_part(en)
    assert "http://a.test/mailings/" + found.slug in text_part(en)
    assert en["Message-ID"].startswith(f"<mailing-{found.id}-")
    [fr] = mail_server.to("f1@example.org")
    assert fr["Subject"] == "Assemblée de printemps"
    assert "<strong>assemblée</strong>" in html_part(fr) and 'lang="fr"' in html_part(fr)
    assert f"http://a.test/mail/unsubscribe/{french[1].token}" in html_part(fr)
    with node.ctx:
        row = await Mailing.get(id=found.id)
        assert (row.status, row.recipients_count, row.sent_count, row.skipped_count) == ("sent", 5, 4, 1)
        skipped = await MailingRecipient.get(mailing_id=found.id, email="s2@example.org")
        assert skipped.status == "skipped"


async def test_a_refused_recipient_is_failed_and_the_others_get_theirs(federation: Federation, mail_server: MailServer) -> None:
    node = await federation.add_node("a.test")
    use_mail_server(node, mail_server)
    await subscribers(node, 5)
    mail_server.refuse("s2@example.org")
    found = await mailing(node)
    with node.ctx:
        await sending.send_now(node, found)
    await settle(node)
    assert sorted(r for m in mail_server.messages for r in m.rcpt_tos) == [f"s{i}@example.org" for i in (0, 1, 3, 4)]
    with node.ctx:
        refused = await MailingRecipient.get(mailing_id=found.id, email="s2@example.org")
        assert refused.status == "failed" and "550" in refused.last_error
        assert (await Mailing.get(id=found.id)).status == "sent"


async def test_an_outage_pauses_the_job_and_nobody_is_skipped(federation: Federation, mail_server: MailServer) -> None:
    node = await federation.add_node("a.test")
    use_mail_server(node, mail_server)
    await subscribers(node, 4)
    found = await mailing(node)
    mail_server.stop()
    with node.ctx:
        await sending.send_now(node, found)
    await settle(node)
    with node.ctx:
        job = await Job.get(kind=sending.JOB)
        assert job.status == "queued" and "not reachable" in (job.last_error or "")
        assert await MailingRecipient.filter(mailing_id=found.id, status="queued").count() == 4
        await Job.filter(id=job.id).update(run_at=job.run_at - timedelta(minutes=5))
    mail_server.start()
    await settle(node)
    assert sorted(r for m in mail_server.messages for r in m.rcpt_tos) == [f"s{i}@example.org" for i in range(4)]
    with node.ctx:
        assert (await Mailing.get(id=found.id)).status == "sent"
        assert (await Job.get(id=job.id)).status == "done"


async def test_a_temporary_refusal_is_tried_again_later(federation: Federation, mail_server: MailServer) -> None:
    node = await federation.add_node("a.test")
    use_mail_server(node, mail_server)
    await subscribers(node, 2)
    original = mail_server.handler.handle_RCPT
    busy = {"s1@example.org"}

    async def greylist(server, session, envelope, address, options):  # type: ignore[no-untyped-def]
        if address in busy:
            return "451 4.7.1 greylisted, try again later"
        return await original(server, session, envelope, address, options)

    mail_server.handler.handle_RCPT = greylist  # type: ignore[method-assign]
    found = await mailing(node)
    with node.ctx:
        await sending.send_now(node, found)
    await settle(node)
    assert [r for m in mail_server.messages for r in m.rcpt_tos] == ["s0@example.org"]
    with node.ctx:
        row = await MailingRecipient.get(mailing_id=found.id, email="s1@example.org")
        assert row.status == "queued" and row.next_at is not None and "451" in row.last_error
        busy.clear()
        await MailingRecipient.filter(id=row.id).update(next_at=None)
        await Job.filter(kind=sending.JOB).update(run_at=row.next_at - timedelta(hours=1))
    await settle(node)
    assert sorted(r for m in mail_server.messages for r in m.rcpt_tos) == ["s0@example.org", "s1@example.org"]


async def test_a_mailing_cancelled_while_sending_sends_no_more(federation: Federation, mail_server: MailServer) -> None:
    node = await federation.add_node("a.test")
    use_mail_server(node, mail_server)
    await subscribers(node, 3)
    found = await mailing(node)
    with node.ctx:
        await sending.send_now(node, found)
        assert await cancel(await Mailing.get(id=found.id))
    await settle(node)
    assert mail_server.messages == []
    with node.ctx:
        assert (await Mailing.get(id=found.id)).status == "cancelled"
        assert await MailingRecipient.filter(mailing_id=found.id, status="queued").count() == 3
        assert (await Job.get(kind=sending.JOB)).status == "done"


async def test_a_run_already_going_stops_at_its_next_batch_when_cancelled(federation: Federation, mail_server: MailServer) -> None:
    """Cancel while a run is in the middle of its recipients: that run sends no further batch (not up
    to the end of its RUN_SECONDS)."""
    node = await federation.add_node("a.test")
    use_mail_server(node, mail_server)
    await subscribers(node, 3)
    found = await mailing(node)
    with node.ctx:
        await sending.send_now(node, found)
        running = await Mailing.get(id=found.id)  # what the run read when it started
        assert await cancel(await Mailing.get(id=found.id))
        await sending.Run(node, running, sending.job_key(running)).go()
        assert await MailingRecipient.filter(mailing_id=found.id, status="queued").count() == 3
    assert mail_server.messages == []
