"""A held Support (a remote Like waiting for moderation) notifies nobody until it is let through."""

from __future__ import annotations

from federation import vocab
from node.social import notify
from node.accounts.actors import fetch_actor, local_actor
from node.initiatives.initiatives import create_initiative
from node.core.models import Notification
from node.initiatives.models import Support
from tests.conftest import Federation, member
from tests.initiatives.test_initiatives import SCHOOL


async def test_held_support_is_not_notified(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    bob, _ = await member(b, "bob")
    with a.ctx:
        asso = await local_actor("asso")
        assert asso is not None
        initiative = await create_initiative(a, asso, SCHOOL)
        remote_bob = await fetch_actor(a, bob.uri)
        like = vocab.activity("Like", f"{bob.uri}#likes/1", bob.uri, initiative.uri)
        row = await Support.create(uri=like["id"], initiative=initiative, actor=remote_bob, held=True)
        await notify.after_activity(a, remote_bob, dict(like))
        assert await Notification.filter(kind="support").count() == 0
        row.held = False  # a moderator lets it through; the Like handled again now notifies
        await row.save()
        await notify.after_activity(a, remote_bob, dict(like))
        note = await Notification.get(kind="support").prefetch_related("recipient", "source")
        assert note.recipient.uri == asso.uri and note.source.uri == bob.uri
