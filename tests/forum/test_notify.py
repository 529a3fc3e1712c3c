"""Forum notifications: subscribers of a topic or a category, the author replied to and the members
mentioned hear of a new post in the web and by email (through the job queue, so a mail server that
does not answer loses nothing); members-only posts reach only active members; forum emails can be
turned off."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from node.core.mail import MailError
from node.core.models import Actor, Job, Notification, User
from node.core.runtime import Node
from node.forum import subscriptions, threads
from node.forum.categories import CategoryInput, create_category
from node.forum.models import Category
from node.posts.content import Draft
from tests.conftest import Federation, member
from tests.helpers import csrf_of, logged_in


class Outbox:
    """Stands in for node.core.mail.send_mail; `down` makes it fail like an unreachable server."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []
        self.down = False

    async def __call__(self, settings: Any, to: str, subject: str, text: str) -> None:
        if self.down:
            raise MailError("the mail server did not take the message: connection refused")
        self.sent.append((to, subject, text))

    def to(self, address: str) -> list[tuple[str, str, str]]:
        return [m for m in self.sent if m[0] == address]


@pytest.fixture
def outbox(monkeypatch: pytest.MonkeyPatch) -> Outbox:
    box = Outbox()
    monkeypatch.setattr(subscriptions, "send_mail", box)
    return box


async def _category(node: Node, slug: str = "housing", **options: Any) -> Category:
    with node.ctx:
        return await create_category(node, slug, CategoryInput(names={"en": slug.title()}, **options))


async def _kinds(node: Node, actor: Actor) -> list[str]:
    with node.ctx:
        return sorted(await Notification.filter(recipient=actor).values_list("kind", flat=True))


async def test_category_and_topic_subscribers_are_notified_in_the_web_and_by_email(federation: Federation, outbox: Outbox) -> None:
    a = await federation.add_node("a.test")
    alice, _ = await member(a, "alice")
    bob, _ = await member(a, "bob")
    carla, _ = await member(a, "carla")
    category = await _category(a)
    with a.ctx:
        await subscriptions.subscribe(bob, category_id=category.id)
        topic = await threads.start_topic(a, alice, category, Draft(text="Where do I find a room?", title="Rooms in Paris"))
        await subscriptions.subscribe(carla, topic=topic)
        await threads.reply(a, bob, topic, Draft(text="Ask at the town hall."))
    await federation.settle()
    assert await _kinds(a, bob) == ["topic"]  # not about his own reply
    assert await _kinds(a, carla) == ["reply"]
    assert await _kinds(a, alice) == ["reply"]  # her topic was replied to, without subscribing
    [(_, subject, text)] = outbox.to("bob@example.org")
    assert subject == "New topic in Housing: Rooms in Paris"
    assert "Where do I find a room?" in text and "http://a.test/topics/" in text
    [(_, subject, text)] = outbox.to("carla@example.org")
    assert subject == "New reply in Rooms in Paris" and "Ask at the town hall." in text
    assert len(outbox.to("alice@example.org")) == 1


async def test_a_mention_notifies_and_emails_the_member_once(federation: Federation, outbox: Outbox) -> None:
    a = await federation.add_node("a.test")
    alice, _ = await member(a, "alice")
    bob, _ = await member(a, "bob")
    category = await _category(a)
    with a.ctx:
        await subscriptions.subscribe(bob, category_id=category.id)
        await threads.start_topic(a, alice, category, Draft(text="@bob@a.test do you know a room?", title="Rooms"))
    await federation.settle()
    assert await _kinds(a, bob) == ["mention"]  # the mention stands for the subscription's notice
    [(_, subject, _)] = outbox.to("bob@example.org")
    assert subject == f"{alice.name or alice.handle} mentioned you in Rooms"


async def test_members_only_posts_reach_no_disabled_member(federation: Federation, outbox: Outbox) -> None:
    a = await federation.add_node("a.test")
    alice, _ = await member(a, "alice")
    bob, _ = await member(a, "bob")
    dora, _ = await member(a, "dora")
    category = await _category(a, "board", read_access="members")
    with a.ctx:
        for actor in (bob, dora):
            await subscriptions.subscribe(actor, category_id=category.id)
        await User.filter(username="dora").update(disabled=True)
        topic = await threads.start_topic(a, alice, category, Draft(text="The budget is secret. @dora@a.test", title="Budget"))
    await federation.settle()
    assert await _kinds(a, bob) == ["topic"]
    assert await _kinds(a, dora) == []  # neither the subscription nor the mention
    assert outbox.to("dora@example.org") == []
    assert [m[0] for m in outbox.sent] == ["bob@example.org"]
    with a.ctx:
        await threads.reply(a, alice, topic, Draft(text="Second secret line"))
        assert await Job.filter(kind=subscriptions.MAIL_JOB, status="queued").count() == 1  # bob's
        await User.filter(username="bob").update(disabled=True)  # removed before the email went
    await federation.settle()
    assert not any("Second secret line" in m[2] for m in outbox.sent)


async def test_a_mail_server_outage_loses_no_email(federation: Federation, outbox: Outbox) -> None:
    a = await federation.add_node("a.test")
    alice, _ = await member(a, "alice")
    bob, _ = await member(a, "bob")
    category = await _category(a)
    outbox.down = True
    with a.ctx:
        await subscriptions.subscribe(bob, category_id=category.id)
        await threads.start_topic(a, alice, category, Draft(text="Anyone?", title="Hello"))
    await federation.settle()
    with a.ctx:
        [job] = await Job.filter(kind=subscriptions.MAIL_JOB)
        assert (job.status, job.attempts) == ("queued", 1) and "connection refused" in (job.last_error or "")
        outbox.down = False
        await Job.filter(id=job.id).update(run_at=datetime.now(timezone.utc))
    await federation.settle()
    assert [m[1] for m in outbox.to("bob@example.org")] == ["New topic in Housing: Hello"]
    with a.ctx:
        assert (await Job.get(id=job.id)).status == "done"


async def test_a_member_turns_forum_emails_off_and_keeps_the_web_notices(federation: Federation, outbox: Outbox) -> None:
    a = await federation.add_node("a.test")
    alice, _ = await member(a, "alice")
    category = await _category(a)
    async with logged_in(a, "bob") as http:
        page = await http.get("/account")
        assert 'action="/account/forum-email"' in page.text
        answer = await http.post("/account/forum-email", data={"csrf": await csrf_of(http, "/account"), "email": "off"})
        assert answer.status_code == 303
        refused = await http.post("/account/forum-email", data={"csrf": await csrf_of(http, "/account"), "email": "maybe"})
        assert refused.status_code == 400
    with a.ctx:
        bob = await Actor.get(username="bob", local=True)
        assert not subscriptions.wants_email(bob)
        await subscriptions.subscribe(bob, category_id=category.id)
        await threads.start_topic(a, alice, category, Draft(text="Anyone?", title="Hello"))
    await federation.settle()
    assert await _kinds(a, bob) == ["topic"]
    assert outbox.to("bob@example.org") == []
