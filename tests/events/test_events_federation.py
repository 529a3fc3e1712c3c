"""Events between two Agora nodes: create, update, cancel, delete, join, leave, capacity; and what a
Mastodon follower sees."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from federation import events as wire
from federation import vocab
from node.events import network as network_calendar
from node.accounts.actors import fetch_actor, local_actor
from node.events.events import cancel_event, create_event, delete_event, event_doc, update_event
from node.events.inputs import EventError, EventInput, Recurrence
from node.events.participation import announce, decide, join_remote, leave_remote
from node.events.recurrence import occurrences
from node.posts.content import Draft, create_post
from node.core.models import Activity, Actor, Follow, Post
from node.events.models import Event, Participation
from node.social.social import follow
from tests.conftest import Federation, client_for, member

AS2 = {"Accept": "application/activity+json"}
DATA = Path(__file__).parents[1] / "data" / "events"
FESTIVAL = EventInput(
    name="Festival of the Diaspora", start=datetime(2026, 7, 11, 18, 0), end=datetime(2026, 7, 11, 23, 0),
    timezone="Europe/Paris", description="Music and **food** from home", language="fr",
    places=(wire.Place(name="Maison des associations", street="12 rue Saint-Maur", postal_code="75011",
                       locality="Paris", country="France", latitude=48.86, longitude=2.38),),
    capacity=2, category="PARTY", tags=("festival",),
)


async def setup(fed: Federation):  # type: ignore[no-untyped-def]
    """a's association publishes events; bob and carol on b; b's association follows a's."""
    a = await fed.add_node("a.test")
    b = await fed.add_node("b.test")
    bob, _ = await member(b, "bob")
    carol, _ = await member(b, "carol")
    with b.ctx:
        remote_group = await fetch_actor(b, a.urls.actor("asso"))
        await follow(b, await local_actor("asso"), remote_group)
    await fed.settle()
    return a, b, bob, carol


async def test_event_lifecycle_reaches_the_network_calendar(federation: Federation) -> None:
    a, b, _, _ = await setup(federation)
    with a.ctx:
        [event] = await create_event(a, await local_actor("asso"), FESTIVAL)
    await federation.settle()
    with b.ctx:
        copy = await Event.get(uri=event.uri)
        assert not copy.local and copy.name == "Festival of the Diaspora"
        assert copy.start == datetime.fromisoformat("2026-07-11T16:00:00+00:00")
        assert copy.places[0]["locality"] == "Paris" and copy.capacity == 2
    with a.ctx:
        await update_event(a, event, FESTIVAL.__class__(**{**FESTIVAL.__dict__, "name": "Festival (new venue)"}))
    await federation.settle()
    with b.ctx:
        assert (await Event.get(uri=event.uri)).name == "Festival (new venue)"
    with a.ctx:
        await cancel_event(a, await Event.get(id=event.id))
    await federation.settle()
    with b.ctx:
        assert (await Event.get(uri=event.uri)).status == "CANCELLED"
    with a.ctx:
        await delete_event(a, await Event.get(id=event.id))
    await federation.settle()
    with b.ctx:
        assert not await Event.filter(uri=event.uri).exists()
    async with client_for(a) as http:
        assert (await http.get(event.uri, headers=AS2)).status_code == 410


async def test_join_leave_and_a_full_event(federation: Federation) -> None:
    a, b, bob, carol = await setup(federation)
    with a.ctx:
        [event] = await create_event(a, await local_actor("asso"), FESTIVAL.__class__(**{**FESTIVAL.__dict__, "capacity": 1}))
    await federation.settle()
    with b.ctx:
        remote = await Event.get(uri=event.uri)
        await join_remote(b, bob, remote, "I bring a guitar")
    await federation.settle()
    with a.ctx:
        stored = await Event.get(id=event.id)
        assert stored.participant_count == 1
        part = await Participation.get(event=stored).prefetch_related("actor")
        assert part.actor.uri == bob.uri and part.message == "I bring a guitar"
    with b.ctx:
        assert (await Participation.get(actor=bob)).state == "accepted"
        await join_remote(b, carol, remote)
    await federation.settle()
    with b.ctx:
        assert (await Participation.get(actor=carol)).state == "rejected"  # full: Reject came back
    with a.ctx:
        assert (await Event.get(id=event.id)).participant_count == 1
    async with client_for(a) as http:
        doc = (await http.get(event.uri, headers=AS2)).json()
        assert doc["participantCount"] == 1 and doc["remainingAttendeeCapacity"] == 0
    with b.ctx:
        await leave_remote(b, bob, remote)
    await federation.settle()
    with a.ctx:
        assert (await Event.get(id=event.id)).participant_count == 0


async def test_restricted_event_waits_for_the_organizer(federation: Federation) -> None:
    a, b, bob, _ = await setup(federation)
    with a.ctx:
        [event] = await create_event(a, await local_actor("asso"), FESTIVAL.__class__(**{**FESTIVAL.__dict__, "join_mode": "restricted"}))
    await federation.settle()
    with b.ctx:
        await join_remote(b, bob, await Event.get(uri=event.uri))
    await federation.settle()
    with b.ctx:
        assert (await Participation.get(actor=bob)).state == "pending"
    with a.ctx:
        await decide(a, await Participation.get(event_id=event.id), True)
    await federation.settle()
    with b.ctx:
        assert (await Participation.get(actor=bob)).state == "accepted"


async def test_mastodon_shows_date_and_place(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    with a.ctx:
        group = await local_actor("asso")
        [event] = await create_event(a, group, FESTIVAL)
        shown = wire.mastodon_rendering(event_doc(a, event, group))
    assert shown.startswith("<h2>Festival of the Diaspora</h2>")
    assert "samedi 11 juillet 2026" in shown and "18:00" in shown and "UTC+02:00" in shown
    assert "Maison des associations" in shown and event.uri in shown


async def test_recurring_event_federates_each_occurrence(federation: Federation) -> None:
    a, b, _, _ = await setup(federation)
    weekly = FESTIVAL.__class__(**{**FESTIVAL.__dict__, "start": datetime(2026, 3, 24, 19, 0), "end": datetime(2026, 3, 24, 21, 0),
                                   "recurrence": Recurrence(freq="weekly", count=3)})
    with a.ctx:
        created = await create_event(a, await local_actor("asso"), weekly)
    await federation.settle()
    # across the DST change (29 March in Paris) the wall time stays 19:00
    assert [e.start.astimezone(wire.zone_of("Europe/Paris")).hour for e in created] == [19, 19, 19]
    with b.ctx:
        assert await Event.filter(local=False).count() == 3


def test_monthly_by_weekday_with_exceptions() -> None:
    second_tuesday = FESTIVAL.__class__(**{**FESTIVAL.__dict__, "start": datetime(2026, 1, 13, 18, 0), "end": None,
                                           "recurrence": Recurrence(freq="monthly", count=3, exceptions=(datetime(2026, 2, 10).date(),))})
    days = [start.date().isoformat() for start, _ in occurrences(second_tuesday)]
    assert days == ["2026-01-13", "2026-03-10", "2026-04-14"]


@pytest.mark.parametrize(("change", "reason"), [
    ({"end": datetime(2026, 7, 11, 17, 0)}, "ends before it starts"),
    ({"timezone": "Mars/Olympus"}, "unknown time zone"),
    ({"capacity": 0}, "capacity"),
    ({"capacity": 10**9}, "capacity"),
    ({"recurrence": Recurrence(freq="weekly", count=10_000)}, "at most"),
    ({"recurrence": Recurrence(freq="weekly")}, "number of occurrences or an end date"),
    ({"online_url": "javascript:alert(1)"}, "http"),
])
async def test_bad_events_are_refused_with_a_reason(federation: Federation, change: dict, reason: str) -> None:  # type: ignore[type-arg]
    a = await federation.add_node("a.test")
    with a.ctx:
        with pytest.raises(EventError, match=reason):
            await create_event(a, await local_actor("asso"), FESTIVAL.__class__(**{**FESTIVAL.__dict__, **change}))
        assert not await Event.exists()


async def test_malformed_remote_event_is_dropped(federation: Federation) -> None:
    a, b, _, _ = await setup(federation)
    with b.ctx:
        organizer = await Actor.get(uri=a.urls.actor("asso"))
        bad = {"id": "http://a.test/events/x", "type": "Event", "name": "x", "startTime": "not a date",
               "actor": organizer.uri, "attributedTo": organizer.uri}
        assert await network_calendar.store_event(b, organizer, bad) is None
        assert not await Event.exists()


@pytest.mark.parametrize(("moderation", "comments", "stored", "held"), [
    ("allow_all", True, True, False), ("moderated", True, True, True), ("closed", True, False, False),
    ("allow_all", False, False, False),
])
async def test_replies_from_the_fediverse_become_comments(
    federation: Federation, moderation: str, comments: bool, stored: bool, held: bool
) -> None:
    a, b, bob, _ = await setup(federation)
    options = {**FESTIVAL.__dict__, "replies_moderation": moderation, "comments_enabled": comments}
    with a.ctx:
        [event] = await create_event(a, await local_actor("asso"), FESTIVAL.__class__(**options))
    await federation.settle()
    with b.ctx:
        reply = await create_post(b, bob, Draft(text="See you there!", in_reply_to=event.uri))
    await federation.settle()
    with a.ctx:
        comment = await Post.get_or_none(uri=reply.uri)
        assert (comment is not None) is stored
        if comment is not None:
            assert comment.held is held
    async with client_for(a) as http:
        page = await http.get(event.uri)
        assert ("See you there!" in page.text) is (stored and not held)


@pytest.mark.parametrize(("fixture", "sender"), [
    ("mobilizon-post-activity-group.json", "http://mobilizon1.com/@group"),
    ("gancio-event-activity.json", "https://demo.gancio.org/federation/u/gancio"),
    ("mobilizon.org-event.json", "https://mobilizon.org/@tcit"),
])
async def test_recorded_remote_events_enter_the_network_calendar(federation: Federation, fixture: str, sender: str) -> None:
    """Real Mobilizon and Gancio payloads (tests/data/events/SOURCES.md), from an account we follow."""
    a = await federation.add_node("a.test")
    doc = json.loads((DATA / fixture).read_text())
    obj = doc["object"] if doc.get("type") == "Create" else doc
    with a.ctx:
        remote = await Actor.create(uri=sender, domain=vocab.host_of(sender), kind="Group", inbox=f"{sender}/inbox")
        await Follow.create(uri=f"{a.urls.actor('asso')}#follows/x", follower=await local_actor("asso"), target=remote, state="accepted")
        stored = await network_calendar.store_event(a, remote, obj)
        assert stored is not None and not stored.local and stored.name == obj["name"]
        assert stored.start == wire.parse_event(obj).start
        stranger = await Actor.create(uri="https://elsewhere.example/u/x", domain="elsewhere.example", kind="Person",
                                      inbox="https://elsewhere.example/u/x/inbox")
        assert await network_calendar.store_event(a, stranger, obj) is None  # not its event to publish
    async with client_for(a) as http:
        assert (await http.get(stored.uri)).status_code == 404  # remote events are not served as ours


async def test_announcement_reaches_participants_only(federation: Federation) -> None:
    a, b, bob, _ = await setup(federation)
    c = await federation.add_node("c.test")
    dan, _ = await member(c, "dan")
    with c.ctx:  # dan follows the association but does not take part
        await follow(c, dan, await fetch_actor(c, a.urls.actor("asso")))
    with a.ctx:
        [event] = await create_event(a, await local_actor("asso"), FESTIVAL)
    await federation.settle()
    with b.ctx:
        await join_remote(b, bob, await Event.get(uri=event.uri))
    await federation.settle()
    with a.ctx:
        note = await announce(a, await Event.get(id=event.id), "Doors open at 17:30")
        assert note.visibility == "direct" and note.to == [bob.uri]
    await federation.settle()
    with b.ctx:
        assert await Post.filter(uri=note.uri).exists()
    with c.ctx:
        assert not await Post.filter(uri=note.uri).exists()
        assert not await Activity.filter(uri=f"{note.uri}/activity").exists()
