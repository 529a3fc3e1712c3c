"""An imported calendar entry whose URL becomes the external registration link is an event with
external registration: `joinMode: external` with `externalParticipationUrl` on the wire (as Mobilizon
sends it), and a Join from the Fediverse is answered with Reject."""

from __future__ import annotations

from node.events.models import Event, Participation
from node.events.participation import join_remote
from tests.conftest import Federation, client_for
from tests.events.test_events_federation import AS2, setup
from tests.events.test_ical import calendar, do_import, vevent

TICKETS = "https://tickets.example/festival"


def entry(*extra: str) -> bytes:
    return calendar(vevent("festival@example.org", "SUMMARY:Festival", "DTSTART;TZID=Europe/Paris:20300711T180000",
                           "DTEND;TZID=Europe/Paris:20300711T230000", *extra))


async def test_an_imported_url_makes_registration_external_and_joins_are_rejected(federation: Federation) -> None:
    a, b, bob, _ = await setup(federation)
    await do_import(a, entry(f"URL:{TICKETS}"))
    await federation.settle()
    with a.ctx:
        event = await Event.get(ical_uid="festival@example.org")
    assert (event.join_mode, event.external_url) == ("external", TICKETS)
    async with client_for(a) as http:
        doc = (await http.get(event.uri, headers=AS2)).json()
        assert (doc["joinMode"], doc["externalParticipationUrl"]) == ("external", TICKETS)
        page = await http.get(event.uri)
        assert f'href="{TICKETS}"' in page.text
    with b.ctx:
        copy = await Event.get(uri=event.uri)
        assert (copy.join_mode, copy.external_url) == ("external", TICKETS)
        await join_remote(b, bob, copy)
    await federation.settle()
    with b.ctx:
        assert (await Participation.get(actor=bob)).state == "rejected"  # the organizer's Reject came back
    with a.ctx:
        assert not await Participation.filter(event_id=event.id).exists()
        assert (await Event.get(id=event.id)).participant_count == 0


async def test_an_entry_without_url_stays_free(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    await do_import(a, entry())
    with a.ctx:
        event = await Event.get(ical_uid="festival@example.org")
    assert (event.join_mode, event.external_url) == ("free", None)


async def test_reimport_makes_an_earlier_free_import_with_a_link_external(federation: Federation) -> None:
    """Imports before this fix stored `free` next to the link: importing the file again mends them."""
    a = await federation.add_node("a.test")
    await do_import(a, entry(f"URL:{TICKETS}"))
    with a.ctx:
        await Event.filter(ical_uid="festival@example.org").update(join_mode="free")
    result = await do_import(a, entry(f"URL:{TICKETS}"))
    assert result.updated == 1
    with a.ctx:
        assert (await Event.get(ical_uid="festival@example.org")).join_mode == "external"
    again = await do_import(a, entry(f"URL:{TICKETS}"))
    assert (again.updated, again.unchanged) == (0, 1)
