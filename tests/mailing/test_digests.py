"""Daily and weekly digests through a real SMTP server (tests/mailserver.py): one message per
subscriber and period with the period's items of the kinds they chose, both parts, the list headers,
in the subscriber's language (titles from the items' language maps); none when nothing is new; never
twice for one period, even when the run or a subscriber's job goes again or the mail server was away."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone
from typing import Any

from node.core.models import Job
from node.core.multilingual import Translation
from node.core.runtime import Node
from node.mailing import digests
from node.mailing.models import Subscriber
from tests.conftest import Federation
from tests.helpers import publish, publish_event, publish_initiative
from tests.mailserver import MailServer, html_part, text_part, use_mail_server


async def subscriber(email: str, kinds: list[str], **values: Any) -> Subscriber:
    values = {"frequency": "daily", "status": "active", **values}
    return await Subscriber.create(email=email, token=secrets.token_urlsafe(16), kinds=kinds, **values)


def soon() -> datetime:
    """A period's end after everything published so far."""
    return datetime.now(timezone.utc)


async def run_period(node: Node, frequency: str, end: datetime) -> int:
    with node.ctx:
        queued = await digests.run_period(node, frequency, end)
    await node.extra["worker"].drain()
    return queued


async def test_a_daily_digest_has_the_days_chosen_items_in_the_subscribers_language(federation: Federation, mail_server: MailServer) -> None:
    node = await federation.add_node("a.test")
    use_mail_server(node, mail_server)
    with node.ctx:
        ana = await subscriber("ana@example.org", ["events", "posts"], language="fr")
        await subscriber("bo@example.org", ["opportunities"])
    await publish_event(node, name="Language café", description="Come & talk **now**",
                        translations=(Translation(language="fr", title="Café des langues", text="Venez parler"),))
    await publish(node, "Minutes of the <assembly>")
    await publish_initiative(node, title="Not chosen by anyone")
    end = soon()
    assert await run_period(node, "daily", end) == 2
    [message] = mail_server.to("ana@example.org")
    assert not mail_server.to("bo@example.org"), "nothing new of bo's kinds: no digest"
    assert message.get_content_type() == "multipart/alternative"
    assert message["List-Unsubscribe"] == f"<http://a.test/mail/unsubscribe/{ana.token}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = text_part(message), html_part(message)
    assert "Café des langues" in text and "Venez parler" in text and "Language café" not in text
    assert "Minutes of the &lt;assembly&gt;" in html and "<assembly>" in text
    assert "Not chosen by anyone" not in text
    assert 'lang="fr"' in html and "Se désabonner" in html  # the layout in French
    assert 'href="http://a.test/events/' in html and "http://a.test/posts/" in text
    assert "<img" not in html
    with node.ctx:
        await ana.refresh_from_db()
        assert ana.last_digest_at is not None and abs((ana.last_digest_at - end).total_seconds()) < 1e-3

    assert await run_period(node, "daily", end) == 0  # the same period again: nobody queued
    with node.ctx:  # and the subscriber's job itself going again (a crash after sending) sends nothing
        job = await Job.get(dedupe_key=digests.digest_key(ana.id, "daily", end))
        await digests.send_digest(node, job.payload, 2)
    assert len(mail_server.to("ana@example.org")) == 1

    await publish(node, "Tomorrow's news")
    assert await run_period(node, "daily", end + timedelta(days=1)) == 2
    [_, second] = mail_server.to("ana@example.org")
    assert "Tomorrow" in text_part(second) and "Café des langues" not in text_part(second)
    assert await run_period(node, "daily", end + timedelta(days=2)) == 2
    assert len(mail_server.to("ana@example.org")) == 2, "nothing new: no empty digest"


async def test_the_weekly_run_serves_weekly_subscribers_only(federation: Federation, mail_server: MailServer) -> None:
    node = await federation.add_node("a.test")
    use_mail_server(node, mail_server)
    with node.ctx:
        await subscriber("week@example.org", ["posts"], frequency="weekly")
        await subscriber("day@example.org", ["posts"])
        await subscriber("now@example.org", ["posts"], frequency="instant")
    await publish(node, "Weekly news")
    assert await run_period(node, "weekly", soon()) == 1
    [message] = mail_server.to("week@example.org")
    assert "This week at Association of a.test" == message["Subject"]
    assert len(mail_server.messages) == 1


async def test_a_digest_waits_for_the_mail_server_and_goes_once(federation: Federation, mail_server: MailServer) -> None:
    node = await federation.add_node("a.test")
    use_mail_server(node, mail_server)
    with node.ctx:
        for name in ("a", "b", "c"):
            await subscriber(f"{name}@example.org", ["posts"])
    await publish(node, "News")
    mail_server.stop()
    end = soon()
    assert await run_period(node, "daily", end) == 3
    with node.ctx:
        assert await Subscriber.filter(last_digest_at=None).count() == 3, "a digest not sent was recorded as sent"
        await Job.filter(kind=digests.DIGEST_JOB).update(run_at=datetime.now(timezone.utc))
    mail_server.start()
    assert await run_period(node, "daily", end) == 0  # the run going again (a restart) queues nobody twice
    assert sorted(r.rcpt_tos[0] for r in mail_server.messages) == ["a@example.org", "b@example.org", "c@example.org"]


def test_digests_go_at_seven_utc_daily_and_on_mondays_weekly() -> None:
    wednesday_morning = datetime(2026, 12, 2, 6, 0, tzinfo=timezone.utc)
    assert digests.next_run("daily", wednesday_morning) == datetime(2026, 12, 2, 7, 0, tzinfo=timezone.utc)
    assert digests.next_run("daily", wednesday_morning.replace(hour=7)) == datetime(2026, 12, 3, 7, 0, tzinfo=timezone.utc)
    assert digests.next_run("weekly", wednesday_morning) == datetime(2026, 12, 7, 7, 0, tzinfo=timezone.utc)
    monday = datetime(2026, 12, 7, 6, 59, tzinfo=timezone.utc)
    assert digests.next_run("weekly", monday) == datetime(2026, 12, 7, 7, 0, tzinfo=timezone.utc)
    assert digests.next_run("weekly", monday.replace(hour=7)) == datetime(2026, 12, 14, 7, 0, tzinfo=timezone.utc)


async def test_the_chains_exist_once_there_is_a_subscriber_and_keep_going(federation: Federation) -> None:
    node = await federation.add_node("a.test")
    now = datetime(2026, 12, 2, 6, 0, tzinfo=timezone.utc)
    with node.ctx:
        assert await digests.ensure_jobs(node, now) == 0  # no subscriber: no jobs (and none at start)
        assert not await Job.filter(kind__startswith="mail.").exists()
        await subscriber("ana@example.org", ["posts"], status="pending")
        assert not await Job.filter(kind__startswith="mail.").exists()
        await Subscriber.filter(email="ana@example.org").update(status="active")  # (no save: no listener)
        assert await digests.ensure_jobs(node, now) == 3
        assert await digests.ensure_jobs(node, now) == 0
        [daily] = await Job.filter(kind=digests.DAILY_JOB)
        assert daily.run_at == datetime(2026, 12, 2, 7, 0, tzinfo=timezone.utc)
        [weekly] = await Job.filter(kind=digests.WEEKLY_JOB)
        assert weekly.run_at == datetime(2026, 12, 7, 7, 0, tzinfo=timezone.utc)
        handlers = digests.job_handlers(node)
        await handlers[digests.DAILY_JOB](daily.payload, 1)
        await daily.delete()
        [following] = await Job.filter(kind=digests.DAILY_JOB)
        assert following.run_at > datetime.now(timezone.utc) and following.run_at.hour == 7
        await handlers[digests.SCAN_JOB]({}, 1)
        assert await Job.filter(kind=digests.SCAN_JOB, status="queued").count() == 2


async def test_a_subscriber_saved_active_starts_the_chains(federation: Federation) -> None:
    node = await federation.add_node("a.test")
    with node.ctx:
        row = await subscriber("bo@example.org", ["events"], status="pending")
        assert not await Job.filter(kind__startswith="mail.").exists()
        row.status = "active"  # what a confirmation does
        await row.save(update_fields=["status"])
        assert {j.kind for j in await Job.filter(kind__startswith="mail.")} == {
            digests.SCAN_JOB, digests.DAILY_JOB, digests.WEEKLY_JOB}
        await subscriber("cy@example.org", ["posts"])
        assert await Job.filter(kind__startswith="mail.").count() == 3


async def test_a_digest_refused_at_its_final_dot_is_taken_back_and_sent_later(federation: Federation, mail_server: MailServer) -> None:
    """The period's end is written before the dot: a server that then defers the message (451) must
    not leave the digest counted as sent; its job goes back to the queue and sends it once."""
    node = await federation.add_node("a.test")
    use_mail_server(node, mail_server)
    with node.ctx:
        ana = await subscriber("ana@example.org", ["posts"])
    await publish(node, "News")
    mail_server.defer_data(1)
    end = soon()
    assert await run_period(node, "daily", end) == 1
    with node.ctx:
        await ana.refresh_from_db()
        assert ana.last_digest_at is None
        [job] = await Job.filter(kind=digests.DIGEST_JOB)
        assert job.status == "queued" and job.attempts == 1 and "451" in (job.last_error or "")
        await Job.filter(id=job.id).update(run_at=datetime.now(timezone.utc))
    await node.extra["worker"].drain()
    assert len(mail_server.to("ana@example.org")) == 1
    with node.ctx:
        assert (await Job.get(id=job.id)).status == "done"
        await ana.refresh_from_db()
        assert ana.last_digest_at is not None
