"""Items by email as they are published, through a real SMTP server (tests/mailserver.py): the scan
job finds what is new since its watermark, instant subscribers get one message per item of the kinds
(and forum categories) they chose, never twice, never a members-only category's topic; blocked
addresses get nothing; the throttle holds messages beyond `[mail] per_minute` without using up their
attempts."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone
from typing import Any

from node.core.models import Job
from node.core.runtime import Node
from node.forum import threads
from node.forum.categories import CategoryInput, create_category
from node.mailing import digests, items
from node.mailing.models import Subscriber, Suppression
from node.opportunities.models import Opportunity
from node.posts.content import Draft, create_post
from node.web.pages import association_actor
from tests.conftest import Federation, member
from tests.helpers import publish, publish_event, publish_initiative
from tests.opportunities.common import post as post_opportunity
from tests.mailserver import MailServer, html_part, text_part, use_mail_server


def later() -> datetime:
    """A scan's moment such that everything published until now is due (the scan leaves GRACE)."""
    return datetime.now(timezone.utc) + digests.GRACE + timedelta(milliseconds=1)


async def subscriber(email: str, kinds: list[str], **values: Any) -> Subscriber:
    values = {"frequency": "instant", "status": "active", **values}
    return await Subscriber.create(email=email, token=secrets.token_urlsafe(16), kinds=kinds, **values)


async def started(fed: Federation, mail_server: MailServer, **mail: Any) -> Node:
    node = await fed.add_node("a.test")
    use_mail_server(node, mail_server, **mail)
    with node.ctx:
        assert await digests.scan(node) == 0  # the first scan sets the watermark: no history mailed
    return node


async def scan_and_send(node: Node) -> int:
    with node.ctx:
        queued = await digests.scan(node, now=later())
    await node.extra["worker"].drain()
    return queued


async def test_an_instant_subscriber_gets_each_new_event_once(federation: Federation, mail_server: MailServer) -> None:
    node = await started(federation, mail_server)
    with node.ctx:
        await subscriber("ana@example.org", ["events"])
        await subscriber("bo@example.org", ["initiatives"])
        await subscriber("cy@example.org", ["events"], status="unsubscribed")
        await subscriber("di@example.org", ["events"], frequency="daily")
    await publish_event(node, name="Language café <tonight>")
    await publish_initiative(node)
    await publish(node, "A post nobody chose")
    assert await scan_and_send(node) == 2  # ana's event, bo's initiative
    [message] = mail_server.to("ana@example.org")
    assert "Language café <tonight>" in message["Subject"]
    assert "Language café <tonight>" in text_part(message)
    html = html_part(message)
    assert "Language café &lt;tonight&gt;" in html and "<tonight>" not in html
    assert 'href="http://a.test/events/' in html
    assert message["List-Unsubscribe"].startswith("<http://a.test/mail/unsubscribe/")
    [other] = mail_server.to("bo@example.org")
    assert "Medicine for Derna" in other["Subject"]
    assert not mail_server.to("cy@example.org") and not mail_server.to("di@example.org")

    await publish_event(node, name="Second evening")
    assert await scan_and_send(node) == 1
    assert await scan_and_send(node) == 0  # nothing new since the watermark
    with node.ctx:  # a scan that goes over the same moments again (a crash before the watermark moved)
        await digests.site_settings.put(digests.WATERMARK, {"at": (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat()})
    assert await scan_and_send(node) == 0  # each subscriber's item is queued once (its dedupe key)
    assert [m["Subject"] for m in mail_server.to("ana@example.org")] == ["Language café <tonight>", "Second evening"]


async def test_forum_subscribers_get_public_topics_and_never_members_only_ones(federation: Federation, mail_server: MailServer) -> None:
    node = await started(federation, mail_server)
    alice, _ = await member(node, "alice")
    with node.ctx:
        board = await create_category(node, "board", CategoryInput(names={"en": "Board"}, read_access="members"))
        housing = await create_category(node, "housing", CategoryInput(names={"en": "Housing", "fr": "Logement"}))
        garden = await create_category(node, "garden", CategoryInput(names={"en": "Garden"}))
        await subscriber("all@example.org", ["forum"])
        await subscriber("housing@example.org", ["forum"], categories=[housing.id], language="fr")
        await subscriber("board@example.org", ["forum"], categories=[board.id])
        await subscriber("posts@example.org", ["posts"])
        secret = await threads.start_topic(node, alice, board, Draft(text="The budget is 1234", title="Secret budget"))
        await threads.reply(node, alice, secret, Draft(text="A secret reply"))
        rooms = await threads.start_topic(node, alice, housing, Draft(text="Rooms near the station", title="Open rooms"))
        await threads.reply(node, alice, rooms, Draft(text="One more room"))
        await threads.start_topic(node, alice, garden, Draft(text="Tomatoes", title="Seeds to share"))
    await scan_and_send(node)
    assert sorted(m["Subject"] for m in mail_server.to("all@example.org")) == ["Open rooms", "Seeds to share"]
    [housing_mail] = mail_server.to("housing@example.org")
    assert housing_mail["Subject"] == "Open rooms"
    assert "Logement" in text_part(housing_mail) and "http://a.test/topics/" in text_part(housing_mail)
    assert not mail_server.to("board@example.org")
    assert not mail_server.to("posts@example.org"), "forum posts are not posts"
    everything = b"".join(r.raw for r in mail_server.messages)
    assert b"Secret budget" not in everything and b"1234" not in everything and b"secret reply" not in everything


async def test_a_blocked_address_gets_nothing(federation: Federation, mail_server: MailServer) -> None:
    node = await started(federation, mail_server)
    with node.ctx:
        await subscriber("gone@example.org", ["posts"])
        await subscriber("here@example.org", ["posts"])
        await Suppression.create(email="gone@example.org", blocked=True, bounces=3)
    await publish(node, "Minutes of the meeting")
    assert await scan_and_send(node) == 2
    assert len(mail_server.to("here@example.org")) == 1
    assert not mail_server.to("gone@example.org")
    with node.ctx:
        assert {j.status for j in await Job.filter(kind=digests.ITEM_JOB)} == {"done"}


async def test_the_throttle_holds_what_is_beyond_per_minute_without_using_attempts(federation: Federation, mail_server: MailServer) -> None:
    node = await started(federation, mail_server, per_minute=2)
    with node.ctx:
        for name in ("a", "b", "c"):
            await subscriber(f"{name}@example.org", ["posts"])
    await publish(node, "Spring fair")
    assert await scan_and_send(node) == 3
    assert len(mail_server.messages) == 2
    with node.ctx:
        [waiting] = await Job.filter(kind=digests.ITEM_JOB, status="queued")
        assert waiting.attempts == 0, "waiting for the throttle counted as a failed attempt"
        assert datetime.now(timezone.utc) < waiting.run_at <= datetime.now(timezone.utc) + timedelta(seconds=61)
        assert await Job.filter(kind=digests.ITEM_JOB, status="done").count() == 2
    await node.extra["worker"].drain()
    assert len(mail_server.messages) == 2  # not due yet
    node.extra.pop("mail_throttle")  # the minute has passed: a fresh window
    with node.ctx:
        await Job.filter(id=waiting.id).update(run_at=datetime.now(timezone.utc))
    await node.extra["worker"].drain()
    assert sorted(r.rcpt_tos[0] for r in mail_server.messages) == ["a@example.org", "b@example.org", "c@example.org"]


async def test_a_mail_server_outage_is_retried_and_sends_once(federation: Federation, mail_server: MailServer) -> None:
    node = await started(federation, mail_server)
    with node.ctx:
        await subscriber("ana@example.org", ["events"])
    await publish_event(node, name="Picnic")
    mail_server.stop()
    assert await scan_and_send(node) == 1
    with node.ctx:
        [job] = await Job.filter(kind=digests.ITEM_JOB)
        assert job.status == "queued" and job.attempts == 1 and job.last_error
        await Job.filter(id=job.id).update(run_at=datetime.now(timezone.utc))
    mail_server.start()
    await node.extra["worker"].drain()
    await node.extra["worker"].drain()
    assert [m["Subject"] for m in mail_server.to("ana@example.org")] == ["Picnic"]


async def test_an_item_gone_before_its_job_runs_is_not_sent(federation: Federation, mail_server: MailServer) -> None:
    node = await started(federation, mail_server)
    with node.ctx:
        await subscriber("ana@example.org", ["posts"])
    post = await publish(node, "Soon deleted")
    with node.ctx:
        await digests.scan(node, now=later())
        post.deleted_at = datetime.now(timezone.utc)
        await post.save(update_fields=["deleted_at"])
    await node.extra["worker"].drain()
    assert not mail_server.messages


async def test_only_what_the_public_sees_published_here_is_an_item(federation: Federation) -> None:
    node = await federation.add_node("a.test")
    since = datetime.now(timezone.utc) - timedelta(seconds=1)
    shown = await publish(node, "A public post")
    await publish(node, "For members only", visibility="members")
    await publish(node, "Unlisted", visibility="unlisted")
    await publish_event(node, name="Cancelled evening", status="CANCELLED")
    await publish_event(node, name="Draft evening", draft=True)
    await publish_initiative(node, title="A draft initiative", draft=True)
    open_one = await post_opportunity(node, title="Room for a student")
    waiting = await post_opportunity(node, title="Waiting for approval")
    with node.ctx:
        asso = await association_actor(node)
        assert asso is not None
        await create_post(node, asso, Draft(text="A reply", in_reply_to=shown.uri))
        await create_post(node, asso, Draft(text="Not yet", publish=False))
        await Opportunity.filter(id=waiting.id).update(status="pending")
        found = await items.published_between(node, since, datetime.now(timezone.utc))
        assert [(i.kind, i.id) for i in found] == [("posts", shown.id), ("opportunities", open_one.id)]
        assert await items.load(node, "opportunities", waiting.id) is None
        assert (await items.load(node, "opportunities", open_one.id)) == found[1]
        await Opportunity.filter(id=open_one.id).update(status="closed")
        assert await items.load(node, "opportunities", open_one.id) is None


async def test_a_worker_lost_between_the_send_and_its_done_mark_sends_no_second_copy(federation: Federation, mail_server: MailServer) -> None:
    """The job is marked done before the message's final dot: when the process (or its database) is
    lost after the send, the job whose lease then passes is not run again, nobody gets two copies.
    The same for a digest, whose period end is written in that same transaction."""
    node = await started(federation, mail_server)
    with node.ctx:
        await subscriber("ana@example.org", ["events"])
        await subscriber("di@example.org", ["events"], frequency="daily")
    await publish_event(node, name="Picnic")
    with node.ctx:
        assert await digests.scan(node, now=later()) == 1
        await digests.run_period(node, "daily", later())
        due = await Job.filter(kind__in=[digests.ITEM_JOB, digests.DIGEST_JOB], status="queued")
        assert len(due) == 2
        lease = datetime.now(timezone.utc) + timedelta(minutes=5)
        for job in due:  # what the worker's claim writes; then the handler runs and the process dies
            await Job.filter(id=job.id).update(status="running", locked_by="w-gone", locked_until=lease)
            handler = digests.send_item if job.kind == digests.ITEM_JOB else digests.send_digest
            await handler(node, job.payload, 1)
        assert len(mail_server.messages) == 2
        assert await Job.filter(id__in=[j.id for j in due], status="done").count() == 2
        await Job.filter(status="running").update(locked_until=datetime.now(timezone.utc) - timedelta(seconds=1))
    await node.extra["worker"].drain()  # another worker after the lease: nothing left to run
    assert len(mail_server.to("ana@example.org")) == 1 and len(mail_server.to("di@example.org")) == 1
