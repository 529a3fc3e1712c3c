"""Members' notifications by email, per kind, through a real SMTP server (tests/mailserver.py): a
member whose own address row has chosen "reply" gets an email for a reply (once, whatever happens to
the activity), one who has not chosen it gets none; a notification deleted before its job runs, a
disabled member, an unsubscribed row, a blocked address get nothing."""

from __future__ import annotations

import secrets
from email.message import EmailMessage
from typing import Any

from node.core.models import Actor, Job, Notification, Post, User
from node.core.runtime import Node
from node.forum import threads
from node.forum.categories import CategoryInput, create_category
from node.mailing import notify_mail
from node.mailing.models import Subscriber, Suppression
from node.posts.content import Draft
from node.social import notify
from tests.conftest import Federation, member
from tests.mailserver import MailServer, html_part, text_part, use_mail_server


async def own_row(actor: Actor, notify_kinds: list[str], **values: Any) -> Subscriber:
    user = await User.get(actor_id=actor.id)
    values = {"status": "active", "language": "en", **values}
    return await Subscriber.create(email=user.email, token=secrets.token_urlsafe(16), user=user, source="account",
                                   notify_kinds=notify_kinds, **values)


def notification_mails(server: MailServer, address: str) -> list[EmailMessage]:
    return [m for m in server.to(address) if "/notifications" in text_part(m)]


async def drained(node: Node) -> None:
    await node.extra["worker"].drain()


async def test_a_member_who_chose_replies_gets_an_email_for_a_reply(federation: Federation, mail_server: MailServer) -> None:
    node = await federation.add_node("a.test")
    use_mail_server(node, mail_server)
    alice, _ = await member(node, "alice")
    bob, _ = await member(node, "bob")
    with node.ctx:
        await own_row(alice, ["reply", "mention"])
        await own_row(bob, ["mention"])
        category = await create_category(node, "housing", CategoryInput(names={"en": "Housing"}))
        topic = await threads.start_topic(node, alice, category, Draft(text="Rooms near the station", title="Open rooms"))
        offer = await threads.reply(node, bob, topic, Draft(text="I have a room <for you>"))  # alice: a reply notification
        await threads.reply(node, alice, topic, Draft(text="Thanks, Bob"), parent=await Post.get(id=offer.post_id))  # bob: a reply, not by email
        assert await Notification.filter(kind="reply").count() == 2
    await drained(node)
    # (the forum's own topic emails, node/forum/subscriptions.py, go too: these are the notification ones)
    [message] = notification_mails(mail_server, "alice@example.org")
    assert not notification_mails(mail_server, "bob@example.org")
    assert "bob" in message["Subject"].lower() and "replied" in message["Subject"]
    text, html = text_part(message), html_part(message)
    assert "I have a room <for you>" in text and "I have a room &lt;for you&gt;" in html
    assert "http://a.test/notifications" in text and 'href="http://a.test/' in html
    assert message["List-Unsubscribe"].startswith("<http://a.test/mail/unsubscribe/")
    with node.ctx:  # another reply notification, deleted before its job runs: nothing mailed
        reply = await Notification.get(kind="reply", recipient_id=alice.id)
        late = await notify.notify(alice, "reply", await Actor.get(id=bob.id), "another reply", reply.object_uri, "Gone")
        assert late is not None and await Job.filter(dedupe_key=notify_mail.job_key(late.id)).exists()
        await late.delete()
    await drained(node)
    assert len(notification_mails(mail_server, "alice@example.org")) == 1, "a notification deleted before its job ran was mailed"


async def test_nothing_for_a_disabled_member_an_unsubscribed_row_or_a_blocked_address(federation: Federation, mail_server: MailServer) -> None:
    node = await federation.add_node("a.test")
    use_mail_server(node, mail_server)
    names = ("cy", "di", "ed", "fay")
    actors = {name: (await member(node, name))[0] for name in names}
    source, _ = await member(node, "gus")
    with node.ctx:
        await own_row(actors["cy"], ["mention"])
        await own_row(actors["di"], ["mention"], status="unsubscribed")
        await own_row(actors["ed"], ["mention"])
        await own_row(actors["fay"], ["mention"])
        await Suppression.create(email="ed@example.org", blocked=True)
        for name in names:
            await notify.notify(actors[name], "mention", source, f"post-{name}", "http://a.test/posts/x", "Hello")
        assert await Job.filter(kind=notify_mail.NOTIFICATION_JOB).count() == 3  # not di: unsubscribed
        await User.filter(username="fay").update(disabled=True)  # between the notification and its job
    await drained(node)
    assert [r.rcpt_tos for r in mail_server.messages] == [["cy@example.org"]]
