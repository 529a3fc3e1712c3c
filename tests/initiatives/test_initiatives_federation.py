"""Initiatives between two Agora nodes: the whole initiative reconstructed at a follower's node, status,
ledger totals and progress posts federating, support by Like and its Undo, deletion; and what a
Mastodon follower sees."""

from __future__ import annotations

from datetime import date

from federation import events as wire_events
from federation import initiatives as wire
from node.accounts.actors import fetch_actor, local_actor
from node.initiatives.documents import initiative_doc
from node.initiatives.initiatives import add_ledger_entry, create_initiative, delete_initiative, post_progress, set_status
from node.initiatives.pledges import need_progress, pledge
from node.initiatives.support import support, unsupport
from node.initiatives.models import Initiative, Need, Support
from node.core.models import Post
from node.initiatives.network import network_initiatives, store_initiative
from node.social.social import follow
from tests.conftest import Federation, client_for, member
from tests.initiatives.test_initiatives import SCHOOL

AS2 = {"Accept": "application/activity+json"}


async def setup(fed: Federation):  # type: ignore[no-untyped-def]
    """a's association runs initiatives; bob on b; b's association follows a's."""
    a = await fed.add_node("a.test")
    b = await fed.add_node("b.test")
    bob, _ = await member(b, "bob")
    with b.ctx:
        await follow(b, await local_actor("asso"), await fetch_actor(b, a.urls.actor("asso")))
    await fed.settle()
    return a, b, bob


async def test_the_follower_node_reconstructs_the_whole_initiative(federation: Federation) -> None:
    a, b, _ = await setup(federation)
    with a.ctx:
        initiative = await create_initiative(a, await local_actor("asso"), SCHOOL)
        money = await Need.get(initiative=initiative, kind="money")
        await pledge(a, money, name="Fatou", amount="1250")
    await federation.settle()
    with b.ctx:
        [copy] = await network_initiatives()
        assert copy.uri == initiative.uri and not copy.local and copy.organizer.uri == a.urls.actor("asso")
        assert copy.title == SCHOOL.title and copy.kind == "development" and copy.status == "proposed"
        assert copy.summary == SCHOOL.summary and "<strong>August</strong>" in copy.content
        assert copy.place_there["locality"] == "Kayes" and copy.place_here["locality"] == "Montreuil"
        assert copy.tags == ["education"] and copy.language == "en"
        needs = await Need.filter(initiative=copy).order_by("position")
        assert [(n.kind, n.title, n.quantity, n.goal_minor, n.currency) for n in needs] == [
            ("money", "Roof", None, 500000, "EUR"), ("volunteers", "Masons", 4, None, None),
            ("materials", "Benches", 30, None, None)]
        assert needs[1].skills == ["masonry"]
    with a.ctx:  # the pledge was recorded after the Create: the next Update carries it
        await set_status(a, await Initiative.get(id=initiative.id), "active")
        await add_ledger_entry(a, await Initiative.get(id=initiative.id), direction="received", nature="money",
                               description="Gala", occurred_on=date(2026, 9, 1), amount="1200", currency="EUR")
        await add_ledger_entry(a, await Initiative.get(id=initiative.id), direction="spent", nature="money",
                               description="Transport", occurred_on=date(2026, 9, 2), amount="30000", currency="XOF")
        note = await post_progress(a, await Initiative.get(id=initiative.id), "The roof frame is up!")
    await federation.settle()
    with b.ctx:
        copy = await Initiative.get(uri=initiative.uri)
        assert copy.status == "active" and [h["status"] for h in copy.status_history] == ["proposed", "active"]
        assert copy.totals == {"EUR": {"received_minor": 120000, "spent_minor": 0},
                               "XOF": {"received_minor": 0, "spent_minor": 30000}}
        money = await Need.get(initiative=copy, kind="money")
        assert await need_progress(money) == (125000, 500000)
        update = await Post.get(uri=note.uri)
        assert update.in_reply_to_uri == initiative.uri and "roof frame" in update.content
        assert update.data["context"] == initiative.uri and update.visibility == "public"
    with a.ctx:
        await delete_initiative(a, await Initiative.get(id=initiative.id))
    await federation.settle()
    with b.ctx:
        assert not await Initiative.filter(uri=initiative.uri).exists()
    async with client_for(a) as http:
        gone = await http.get(initiative.uri, headers=AS2)
        assert gone.status_code == 410 and gone.json()["formerType"] == "Article"


async def test_a_like_counts_as_support_and_its_undo_removes_it(federation: Federation) -> None:
    a, b, bob = await setup(federation)
    with a.ctx:
        initiative = await create_initiative(a, await local_actor("asso"), SCHOOL)
    await federation.settle()
    with b.ctx:
        await support(b, await Initiative.get(uri=initiative.uri), bob)  # a Like to a's association
    await federation.settle()
    with a.ctx:
        assert (await Initiative.get(id=initiative.id)).support_count == 1
        row = await Support.get(initiative_id=initiative.id).prefetch_related("actor")
        assert row.actor.uri == bob.uri
    async with client_for(a) as http:
        assert (await http.get(initiative.uri, headers=AS2)).json()["supportCount"] == 1
    with b.ctx:
        await unsupport(b, await Initiative.get(uri=initiative.uri), bob)
    await federation.settle()
    with a.ctx:
        assert (await Initiative.get(id=initiative.id)).support_count == 0
        assert not await Support.exists()


async def test_initiatives_of_accounts_nobody_follows_stay_out(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    with a.ctx:
        initiative = await create_initiative(a, await local_actor("asso"), SCHOOL)
        doc = await initiative_doc(a, initiative)
    with b.ctx:
        organizer = await fetch_actor(b, a.urls.actor("asso"))
        assert await store_initiative(b, organizer, doc) is None
        stranger = await fetch_actor(b, b.urls.actor("asso"))
        assert await store_initiative(b, stranger, doc) is None  # not its initiative to publish
        assert not await Initiative.exists()


async def test_mastodon_rendering_carries_status_and_progress(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    with a.ctx:
        initiative = await create_initiative(a, await local_actor("asso"), SCHOOL)
        await set_status(a, initiative, "active")
        money = await Need.get(initiative=initiative, kind="money")
        await pledge(a, money, name="Fatou", amount="1250")
        masons = await Need.get(initiative=initiative, kind="volunteers")
        await pledge(a, masons, name="Issa", quantity=3)
        doc = await initiative_doc(a, await Initiative.get(id=initiative.id))
    shown = wire_events.mastodon_rendering(doc)
    assert shown.startswith(f"<h2>{SCHOOL.title}</h2>")
    assert "Development project" in shown and "Active" in shown
    assert "€1,250.00 of €5,000.00 (25%)" in shown and "3 of 4 volunteers" in shown
    assert initiative.uri in shown
    assert wire.is_initiative(doc) and doc["type"] == "Article"
