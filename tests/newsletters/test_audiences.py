"""Who a mailing goes to: the members (an unsubscribed member's row respected; a member without a row
gets one, whose token makes their unsubscribe link), an event's participants (members and visitors
registered by email, remote ones skipped), an initiative's supporters. Through the real SMTP server."""

from __future__ import annotations

from node.core.models import Actor, User
from node.events.models import Participation
from node.initiatives.models import Support
from node.mailing.models import Subscriber
from node.newsletters import sending
from node.newsletters.models import MailingRecipient
from tests.conftest import Federation, member
from tests.helpers import publish_event, publish_initiative
from tests.mailserver import MailServer, use_mail_server
from tests.newsletters.common import mailing, settle, subscribers


def received(mail_server: MailServer) -> list[str]:
    return sorted(r for m in mail_server.messages for r in m.rcpt_tos)


async def remote_actor(name: str) -> Actor:
    return await Actor.create(uri=f"https://far.example/users/{name}", username=name, domain="far.example",
                              inbox=f"https://far.example/users/{name}/inbox")


async def test_members_get_it_unless_their_row_is_unsubscribed(federation: Federation, mail_server: MailServer) -> None:
    node = await federation.add_node("a.test")
    use_mail_server(node, mail_server)
    for name in ("ana", "bo", "cy", "di"):
        await member(node, name)
    await subscribers(node, 2)  # visitors on the list: not members
    with node.ctx:
        await User.filter(username="di").update(disabled=True)
        await Subscriber.create(email="bo@example.org", token="bo-token", status="unsubscribed", language="en")
        await Subscriber.create(email="cy@example.org", token="cy-token", status="active", language="fr", kinds=["events"])
        await User.filter(username="ana").update(locale="ar")
    found = await mailing(node, audience="members")
    with node.ctx:
        assert await sending.send_now(node, found) == 2
    await settle(node)
    assert received(mail_server) == ["ana@example.org", "cy@example.org"]  # not bo (unsubscribed), di (disabled), s0, s1
    [to_cy] = mail_server.to("cy@example.org")
    assert to_cy["List-Unsubscribe"] == "<http://a.test/mail/unsubscribe/cy-token>"
    with node.ctx:
        made = await Subscriber.get(email="ana@example.org")  # made at sending, for the unsubscribe link
        assert made.user_id is not None and made.language == "ar"
    [to_ana] = mail_server.to("ana@example.org")
    assert to_ana["List-Unsubscribe"].strip() == f"<http://a.test/mail/unsubscribe/{made.token}>"


async def test_an_events_participants_members_and_visitors_by_email_but_not_remote_ones(federation: Federation, mail_server: MailServer) -> None:
    node = await federation.add_node("a.test")
    use_mail_server(node, mail_server)
    event = await publish_event(node)
    other = await publish_event(node, name="Another event")
    ana, _ = await member(node, "ana")
    bo, _ = await member(node, "bo")
    await member(node, "cy")  # a member who did not join
    with node.ctx:
        far = await remote_actor("zed")
        await Participation.create(uri="urn:p:1", event=event, actor=ana, state="accepted")
        await Participation.create(uri="urn:p:2", event=event, actor=bo, state="pending")  # not accepted yet
        await Participation.create(uri="urn:p:3", event=event, actor=far, state="accepted")
        await Participation.create(uri="urn:p:4", event=event, name="Vi", email="vi@visit.example", state="accepted", confirmed=True)
        await Participation.create(uri="urn:p:5", event=event, name="Un", email="un@visit.example", state="accepted", confirmed=False)
        await Participation.create(uri="urn:p:6", event=other, actor=await Actor.get(username="cy", local=True), state="accepted")
    found = await mailing(node, audience="event", target_id=event.id)
    with node.ctx:
        assert await sending.send_now(node, found) == 2
    await settle(node)
    assert received(mail_server) == ["ana@example.org", "vi@visit.example"]
    with node.ctx:
        assert await MailingRecipient.filter(mailing_id=found.id, status="sent").count() == 2
        assert (await Subscriber.get(email="vi@visit.example")).kinds == []  # a token only, no subscription


async def test_an_initiatives_supporters(federation: Federation, mail_server: MailServer) -> None:
    node = await federation.add_node("a.test")
    use_mail_server(node, mail_server)
    initiative = await publish_initiative(node)
    ana, _ = await member(node, "ana")
    await member(node, "bo")
    with node.ctx:
        await Support.create(uri="urn:s:1", initiative=initiative, actor=ana)
        await Support.create(uri="urn:s:2", initiative=initiative, actor=await remote_actor("zed"))
    found = await mailing(node, audience="initiative", target_id=initiative.id)
    with node.ctx:
        assert await sending.send_now(node, found) == 1
    await settle(node)
    assert received(mail_server) == ["ana@example.org"]
