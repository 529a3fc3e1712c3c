"""One bad row never breaks a list or a feed: events written straight to the database (bypassing every
check) whose dates overflow in their zone are left out of the calendar pages, the network calendar,
`/events.ics`, a member's feed and their own `.ics` (logged once), and the good events are still there."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timezone
from typing import Any

import icalendar
import pytest

from node.accounts.actors import local_actor
from node.core.models import Actor, User
from node.core.runtime import Node
from node.events import ical
from node.events.models import Event, Participation
from tests.conftest import Federation, client_for, member
from tests.helpers import publish_event

UTC = timezone.utc
NOW = datetime.now(UTC)


async def raw_event(node: Node, *, local: bool = True, organizer: Actor | None = None, **values: Any) -> Event:
    """An event row as a bad import or an old bug could have left it: no validation at all."""
    slug = secrets.token_hex(6)
    with node.ctx:
        owner = organizer or await local_actor("asso")
        uri = f"{node.urls.base}/events/{slug}" if local else f"https://far.test/events/{slug}"
        return await Event.create(uri=uri, url=uri, local=local, organizer=owner, name=f"Broken {slug}",
                                  published=NOW, **values)


async def broken_pair(node: Node, **extra: Any) -> tuple[Event, Event]:
    """Year 9999 at 23:00 UTC is year 10000 in Kiritimati (UTC+14); year 1 at midnight UTC is year 0
    in New York: neither can be shown in its own zone."""
    late = await raw_event(node, start=datetime(9999, 12, 31, 23, 0, tzinfo=UTC), timezone="Pacific/Kiritimati", **extra)
    early = await raw_event(node, start=datetime(1, 1, 1, 0, 0, tzinfo=UTC), end=datetime(2031, 1, 1, tzinfo=UTC),
                            timezone="America/New_York", **extra)
    return late, early


def left_out(caplog: pytest.LogCaptureFixture, event: Event) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "agora.events" and event.uri in r.getMessage()]


async def test_the_calendar_pages_leave_out_a_row_that_cannot_be_shown(
        federation: Federation, caplog: pytest.LogCaptureFixture) -> None:
    a = await federation.add_node("a.test")
    good = await publish_event(a, name="Language café")
    late, early = await broken_pair(a)
    caplog.set_level(logging.WARNING, logger="agora.events")
    async with client_for(a) as http:
        for params in ({}, {"view": "month", "month": "2030-07"}):
            for _ in range(2):
                page = await http.get("/events", params=params)
                assert page.status_code == 200, page.text
                assert good.name in page.text and "Broken" not in page.text
    assert len(left_out(caplog, early)) == 2  # once for the list, once for the month, however often asked
    assert len(left_out(caplog, late)) == 1  # not in July 2030
    assert "cannot be rendered (OverflowError" in left_out(caplog, late)[0]


async def test_the_network_calendar_leaves_out_a_row_that_cannot_be_shown(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    with a.ctx:
        far = await Actor.create(uri="https://far.test/u/group", domain="far.test", kind="Group", name="Far group",
                                 inbox="https://far.test/u/group/inbox")
    fine = await raw_event(a, local=False, organizer=far, start=datetime(2030, 7, 11, 17, 0, tzinfo=UTC),
                           timezone="Europe/Paris")
    await broken_pair(a, local=False, organizer=far)
    async with client_for(a) as http:
        for params in ({}, {"view": "month", "month": "2030-07"}):
            page = await http.get("/events/network", params=params)
            assert page.status_code == 200, page.text
            assert fine.name in page.text and page.text.count("Broken ") == 1


def vevents(body: bytes) -> list[str]:
    cal = icalendar.Calendar.from_ical(body)
    assert isinstance(cal, icalendar.Calendar)
    return [str(e["UID"]) for e in cal.walk("VEVENT")]


async def test_the_feeds_leave_out_a_row_that_cannot_be_written(
        federation: Federation, caplog: pytest.LogCaptureFixture) -> None:
    a = await federation.add_node("a.test")
    good = await publish_event(a, name="Language café")
    late, early = await broken_pair(a)
    _, _ = await member(a, "dina")
    with a.ctx:
        user = await User.get(username="dina")
        for event in (good, late, early):
            await Participation.create(uri=f"{event.uri}#p", event=event, actor_id=user.actor_id, state="accepted")
        member_feed = ical.member_feed_url(a, user).removeprefix(a.urls.base)
    caplog.set_level(logging.WARNING, logger="agora.events")
    async with client_for(a) as http:
        for path in ("/events.ics", "/events.ics", member_feed):
            feed = await http.get(path)
            assert feed.status_code == 200, feed.text
            assert vevents(feed.content) == [good.uri]
        for broken in (late, early):
            single = await http.get(f"/events/{broken.uri.rsplit('/', 1)[-1]}.ics")
            assert single.status_code == 200 and single.headers["content-type"].startswith("text/calendar")
            assert vevents(single.content) == []  # a calendar without the event, not a 500
        assert vevents((await http.get(f"/events/{good.uri.rsplit('/', 1)[-1]}.ics")).content) == [good.uri]
    # once per list: the association's feed (asked twice), the member's feed, the event's own file
    assert len(left_out(caplog, late)) == 3 and len(left_out(caplog, early)) == 3
