"""Subscribing by email through the pages (the subscribe box, double opt-in through a real SMTP server,
tests/mailserver.py), the same answer whatever the address, and the confirmation link's GET changing
nothing."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import httpx2

from node.core.jobs import utcnow
from node.core.models import Job
from node.core.runtime import Node
from node.forum.models import Category
from node.mailing import subscribers
from node.mailing.models import Subscriber
from node.mailing.subscribers import SubscriberError, valid_email
from node.mailing.suppression import record_complaint
from tests.conftest import Federation, client_for
from tests.helpers import csrf_of, publish_event, publish_initiative, token_in
from tests.mailserver import MailServer, html_part, text_part, use_mail_server

CONFIRM = re.compile(r"http://a\.test/mail/confirm/([A-Za-z0-9_-]+)")


async def mailing_node(federation: Federation, mail_server: MailServer) -> Node:
    node = await federation.add_node("a.test")
    use_mail_server(node, mail_server)
    # The lead wires subscribers.job_handlers into the app; until then the test worker learns it here.
    node.extra["worker"].handlers.update(subscribers.job_handlers(node))
    return node


async def subscribe(http: httpx2.AsyncClient, email: str, path: str = "/", **fields: object) -> httpx2.Response:
    data: dict[str, object] = {"csrf": await csrf_of(http, path), "email": email, "kinds": ["newsletter", "events"],
                               "frequency": "weekly", "language": "fr"}
    data.update(fields)
    return await http.post("/mail/subscribe", data=data)


async def test_subscribe_confirm_by_mail_then_post_the_link(federation: Federation, mail_server: MailServer) -> None:
    node = await mailing_node(federation, mail_server)
    async with client_for(node, follow_redirects=False) as http:
        home = await http.get("/")
        assert 'action="/mail/subscribe"' in home.text and 'name="email"' in home.text
        answer = await subscribe(http, "Ana@Example.org")
        assert answer.status_code == 200 and "Check your inbox" in answer.text
        await federation.settle()
        [message] = mail_server.to("ana@example.org")
        assert message["List-Unsubscribe"] is None  # a confirmation request is no list message
        text, html = text_part(message), html_part(message)
        found = CONFIRM.search(text)
        assert found and found.group(0) in html
        token = found.group(1)
        with node.ctx:
            row = await Subscriber.get(email="ana@example.org")
        assert (row.status, row.token, row.kinds, row.language) == ("pending", token, ["newsletter", "events"], "fr")
        assert "Confirmez" in message["Subject"] or "Confirm" in message["Subject"]

        page = await http.get(f"/mail/confirm/{token}")  # a mail scanner opens the link: nothing changes
        assert page.status_code == 200 and f'action="/mail/confirm/{token}"' in page.text
        with node.ctx:
            assert (await Subscriber.get(id=row.id)).status == "pending"
        done = await http.post(f"/mail/confirm/{token}", data={"csrf": token_in(page.text)})
        assert done.status_code == 303 and done.headers["location"] == f"/mail/preferences/{token}?saved=confirmed"
        with node.ctx:
            confirmed = await Subscriber.get(id=row.id)
        assert confirmed.status == "active" and confirmed.confirmed_at is not None
        assert "confirmed" in (await http.get(done.headers["location"])).text


async def test_the_confirm_post_needs_the_form_token(federation: Federation, mail_server: MailServer) -> None:
    node = await mailing_node(federation, mail_server)
    with node.ctx:
        row = await Subscriber.create(email="x@example.org", token="tok-1", status="pending")
    async with client_for(node) as http:
        assert (await http.post("/mail/confirm/tok-1", data={})).status_code == 403
    with node.ctx:
        assert (await Subscriber.get(id=row.id)).status == "pending"


async def test_same_answer_for_new_pending_and_active_addresses(federation: Federation, mail_server: MailServer) -> None:
    node = await mailing_node(federation, mail_server)
    with node.ctx:
        await Subscriber.create(email="active@example.org", token="tok-a", status="active", kinds=["posts"],
                                frequency="daily")
        await Subscriber.create(email="pending@example.org", token="tok-p", status="pending")
    bodies = []
    async with client_for(node) as http:
        for email in ("new@example.org", "pending@example.org", "active@example.org"):
            answer = await subscribe(http, email)
            assert answer.status_code == 200
            bodies.append(answer.text.replace(email, "EMAIL"))
    assert bodies[0] == bodies[1] == bodies[2]
    await federation.settle()
    await mail_server.wait_for(3)
    with node.ctx:
        active = await Subscriber.get(email="active@example.org")
    assert (active.kinds, active.frequency) == (["posts"], "daily"), "a stranger changed an active address's choices"
    [reminder] = mail_server.to("active@example.org")
    assert "/mail/preferences/tok-a" in text_part(reminder) and "/mail/confirm/" not in text_part(reminder)
    assert CONFIRM.search(text_part(mail_server.to("pending@example.org")[0]))


async def test_confirmations_are_sent_at_most_once_per_ten_minutes(federation: Federation, mail_server: MailServer) -> None:
    node = await mailing_node(federation, mail_server)
    async with client_for(node) as http:
        for _ in range(3):
            assert (await subscribe(http, "bo@example.org")).status_code == 200
    await federation.settle()
    assert len(mail_server.to("bo@example.org")) == 1
    with node.ctx:
        row = await Subscriber.get(email="bo@example.org")
        assert row.confirm_sent_at is not None
        row.confirm_sent_at -= timedelta(minutes=11)
        await row.save()
    async with client_for(node) as http:
        await subscribe(http, "bo@example.org")
    await federation.settle()
    assert len(mail_server.to("bo@example.org")) == 2


async def test_an_invalid_address_is_refused_with_the_form_again(federation: Federation, mail_server: MailServer) -> None:
    node = await mailing_node(federation, mail_server)
    async with client_for(node) as http:
        for bad in ("no-at-sign", "two@@example.org", "a b@example.org", "x@localhost", "x" * 321 + "@e.org",
                    "a@example.org\r\nBcc: victim@example.org"):
            answer = await subscribe(http, bad)
            assert answer.status_code == 400 and "name@example.org" in answer.text, bad
    with node.ctx:
        assert await Subscriber.all().count() == 0 and await Job.filter(kind=subscribers.CONFIRM_JOB).count() == 0


def test_valid_email_lowercases_and_refuses() -> None:
    assert valid_email("  Ana.B+news@Example.ORG ") == "ana.b+news@example.org"
    assert valid_email("zoé@exemple.fr") == "zoé@exemple.fr"
    for bad in ("", "@example.org", "ana@", "ana@exa mple.org", "ana@-x.org", "a@b@c.org", "ana@example.org\nbcc: x@y.org", "a\r@example.org"):
        try:
            valid_email(bad)
        except SubscriberError:
            continue
        raise AssertionError(f"{bad!r} was taken")


async def test_the_box_preselects_the_page_kind(federation: Federation, mail_server: MailServer) -> None:
    node = await mailing_node(federation, mail_server)
    event = await publish_event(node)
    initiative = await publish_initiative(node)
    with node.ctx:
        category = await Category.create(slug="housing", name_map={"en": "Housing"})
        await Category.create(slug="board", name_map={"en": "Board"}, read_access="members")
    checked = re.compile(r'name="kinds" value="(\w+)" checked')
    async with client_for(node, follow_redirects=True) as http:
        assert checked.findall((await http.get("/")).text) == ["newsletter"]
        assert checked.findall((await http.get(event.url)).text) == ["events"]
        assert checked.findall((await http.get(initiative.url)).text) == ["initiatives"]
        page = (await http.get("/forum/housing")).text
        assert checked.findall(page) == [] and f'name="category" value="{category.id}" checked' in page
        assert 'action="/mail/subscribe"' not in (await http.get("/forum/board")).text
        answer = await subscribe(http, "cat@example.org", "/forum/housing", kinds=[], category=str(category.id))
        assert answer.status_code == 200
    with node.ctx:
        row = await Subscriber.get(email="cat@example.org")
    assert (row.kinds, row.categories) == (["forum"], [category.id])


async def test_a_blocked_address_gets_nothing_and_the_same_answer(federation: Federation, mail_server: MailServer) -> None:
    node = await mailing_node(federation, mail_server)
    with node.ctx:
        await record_complaint(node, "spam@example.org")
    async with client_for(node) as http:
        answer = await subscribe(http, "spam@example.org")
        assert answer.status_code == 200 and "Check your inbox" in answer.text
    await federation.settle()
    assert mail_server.to("spam@example.org") == []


async def test_a_mail_server_outage_delays_the_confirmation_and_loses_nothing(federation: Federation,
                                                                               mail_server: MailServer) -> None:
    node = await mailing_node(federation, mail_server)
    mail_server.stop()
    async with client_for(node) as http:
        assert (await subscribe(http, "eve@example.org")).status_code == 200
    await federation.settle()
    with node.ctx:
        [job] = await Job.filter(kind=subscribers.CONFIRM_JOB)
        assert job.status == "queued" and job.attempts == 1 and job.last_error
        await Job.filter(id=job.id).update(run_at=utcnow())  # its retry is due
    mail_server.start()
    await federation.settle()
    [message] = mail_server.to("eve@example.org")
    assert CONFIRM.search(text_part(message))
    with node.ctx:
        assert (await Job.get(id=job.id)).status == "done"


async def test_many_requests_at_once_for_one_address_send_one_confirmation(federation: Federation,
                                                                          mail_server: MailServer) -> None:
    """A stranger firing the subscribe form many times in parallel at someone's address (mail bombing)
    still gets that address one message per interval."""
    node = await mailing_node(federation, mail_server)
    choices = subscribers.Choices()
    with node.ctx:
        await subscribers.subscribe(node, "victim@example.org", choices)
        await Subscriber.filter(email="victim@example.org").update(confirm_sent_at=utcnow() - timedelta(hours=1))
        await asyncio.gather(*(subscribers.subscribe(node, "victim@example.org", choices) for _ in range(12)))
        assert await Job.filter(kind=subscribers.CONFIRM_JOB).count() == 2  # the first request's, then one
