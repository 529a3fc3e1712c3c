"""iCalendar: export (one event, the feed, a member's private feed) and import (Google Calendar and
Mobilizon exports, re-import, all-or-nothing refusals), and the `agora events` command."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from itsdangerous import URLSafeSerializer

from federation import events as wire
from node.events import events, ical
from node.events.ical_import import ImportResult, fetch_calendar, import_calendar, input_of
from node.events.ical_parse import MAX_BYTES, MAX_EVENTS, CalendarError, iana_zone
from node.events.ical_text import markdown_safe
from node.events.inputs import EventInput
from node.events.participation import join
from node.accounts.actors import local_actor
from node.posts.content import render
from node.core.models import Activity, User
from node.events.models import Event
from node.core.runtime import Node
from tests.conftest import Federation, client_for, member
from tests.cli.test_cli import clean_environment, cli, config, database_url, in_db, one_line_error  # noqa: F401

DATA = Path(__file__).parents[1] / "data" / "ical"
GOOGLE = DATA / "google-issue_62_moved_event_2.ics"
GOOGLE_UTC = DATA / "google-x_wr_timezone_simple_events_issue_59.ics"
GOOGLE_UNSUPPORTED = DATA / "google-x_location.ics"
MOBILIZON = DATA / "mobilizon-feed.ics"
PARIS = ZoneInfo("Europe/Paris")
NOW = datetime.now(timezone.utc)

FESTIVAL = EventInput(
    name="Festival of the Diaspora", start=datetime(2030, 7, 11, 18, 0), end=datetime(2030, 7, 11, 23, 0),
    timezone="Europe/Paris", description="Music and **food** from home, see [the programme](https://example.org/prog)",
    places=(wire.Place(name="Maison des associations", street="12 rue Saint-Maur", postal_code="75011",
                       locality="Paris", country="France", latitude=48.86, longitude=2.38),),
    tags=("festival",), language="fr",
)


@pytest.fixture
async def a(federation: Federation) -> Node:
    return await federation.add_node("a.test")


def path_of(uri: str) -> str:
    return "/" + uri.split("/", 3)[3]


def parse(body: bytes) -> icalendar.Calendar:
    cal = icalendar.Calendar.from_ical(body)
    assert isinstance(cal, icalendar.Calendar)
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["PRODID"]).startswith("-//Agora//")
    for component in cal.walk("VEVENT"):
        for required in ("UID", "DTSTAMP", "DTSTART", "SUMMARY"):
            assert required in component, required
        assert not component.errors
    for tzid in cal.get_used_tzids():  # self-contained: every TZID has its VTIMEZONE
        assert tzid in {str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")}, tzid
    assert not cal.get_missing_tzids()
    return cal


def vevents(cal: icalendar.Calendar) -> dict[str, Any]:
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


async def create(node: Node, inp: EventInput = FESTIVAL, **change: Any) -> Event:
    with node.ctx:
        asso = await local_actor("asso")
        assert asso is not None
        [event] = await events.create_event(node, asso, dataclasses.replace(inp, **change))
        return event


async def counts(node: Node) -> tuple[int, int]:
    with node.ctx:
        return await Event.all().count(), await Activity.filter(outgoing=True).count()


async def do_import(node: Node, data: bytes, source: str = "calendar.ics", **kwargs: Any) -> ImportResult:
    with node.ctx:
        asso = await local_actor("asso")
        assert asso is not None
        return await import_calendar(node, asso, data, source=source, **kwargs)


# ------------------------------------------------------------------ export


async def test_one_event_exports_as_a_self_contained_rfc5545_file(a: Node) -> None:
    event = await create(a)
    async with client_for(a) as http:
        response = await http.get(path_of(event.uri) + ".ics")
        page = await http.get(path_of(event.uri))  # the event page still answers at /events/{slug}
    assert response.status_code == 200 and page.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    slug = event.uri.rsplit("/", 1)[1]
    assert f'filename="{slug}.ics"' in response.headers["content-disposition"]
    assert b"\r\n" in response.content
    cal = parse(response.content)
    [vevent] = cal.walk("VEVENT")
    assert str(vevent["UID"]) == event.uri and str(vevent["URL"]) == event.uri
    start, end = vevent["DTSTART"], vevent["DTEND"]
    assert start.params["TZID"] == "Europe/Paris" and end.params["TZID"] == "Europe/Paris"
    assert start.dt == datetime(2030, 7, 11, 18, 0, tzinfo=PARIS) == event.start
    assert start.dt.replace(tzinfo=None) == datetime(2030, 7, 11, 18, 0)  # the wall time in the event's zone
    assert end.dt == event.end
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/Paris"]
    assert str(vevent["SUMMARY"]) == "Festival of the Diaspora"
    description = str(vevent["DESCRIPTION"])
    assert "Music and food from home" in description and "https://example.org/prog" in description
    assert "<" not in description and "**" not in description
    location = str(vevent["LOCATION"])
    assert location.startswith("Maison des associations") and "75011 Paris" in location and "France" in location
    assert (vevent["GEO"].latitude, vevent["GEO"].longitude) == (48.86, 2.38)
    assert str(vevent["STATUS"]) == "CONFIRMED"
    assert [str(c) for c in vevent.categories] == ["festival"]
    assert vevent["ORGANIZER"].params["CN"] == "Association of a.test"
    assert vevent["DTSTAMP"].dt.tzinfo is not None


async def test_all_day_and_cancelled_events(a: Node) -> None:
    days = await create(a, name="Harvest weekend", start=datetime(2030, 9, 14), end=datetime(2030, 9, 15), all_day=True)
    one = await create(a, name="Open day", start=datetime(2030, 9, 20), end=None, all_day=True)
    with a.ctx:
        await events.cancel_event(a, one)
    async with client_for(a) as http:
        weekend = parse((await http.get(path_of(days.uri) + ".ics")).content)
        single = parse((await http.get(path_of(one.uri) + ".ics")).content)
    [vevent] = weekend.walk("VEVENT")
    assert vevent["DTSTART"].dt == date(2030, 9, 14) and vevent["DTSTART"].params.get("VALUE") == "DATE"
    assert vevent["DTEND"].dt == date(2030, 9, 16)  # exclusive end: the day after the last day
    [vevent] = single.walk("VEVENT")
    assert (vevent["DTSTART"].dt, vevent["DTEND"].dt) == (date(2030, 9, 20), date(2030, 9, 21))
    assert str(vevent["STATUS"]) == "CANCELLED"


async def test_unknown_and_deleted_events(a: Node) -> None:
    event = await create(a)
    with a.ctx:
        await events.delete_event(a, event)
    async with client_for(a) as http:
        assert (await http.get(path_of(event.uri) + ".ics")).status_code == 410
        assert (await http.get("/events/nothing-here.ics")).status_code == 404


async def test_the_feed_has_upcoming_and_recent_local_events(a: Node) -> None:
    soon = await create(a, name="Soon", start=datetime(2030, 1, 1, 19), end=None)
    recent = await create(a, name="Recent", start=(NOW - timedelta(days=10)).replace(tzinfo=None, microsecond=0),
                          end=None, timezone="UTC")
    old = await create(a, name="Old", start=(NOW - timedelta(days=45)).replace(tzinfo=None, microsecond=0),
                       end=None, timezone="UTC")
    gone = await create(a, name="Gone")
    called_off = await create(a, name="Called off", timezone="America/New_York")
    with a.ctx:
        await events.delete_event(a, gone)
        await events.cancel_event(a, called_off)
    async with client_for(a) as http:
        response = await http.get("/events.ics")
    assert response.status_code == 200 and response.headers["content-type"] == "text/calendar; charset=utf-8"
    cal = parse(response.content)
    found = vevents(cal)
    assert set(found) == {soon.uri, recent.uri, called_off.uri}
    assert old.uri not in found and gone.uri not in found
    assert str(found[called_off.uri]["STATUS"]) == "CANCELLED"
    assert found[called_off.uri]["DTSTART"].dt == called_off.start
    assert found[called_off.uri]["DTSTART"].params["TZID"] == "America/New_York"
    assert found[recent.uri]["DTSTART"].dt == recent.start and "TZID" not in found[recent.uri]["DTSTART"].params
    assert {str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")} == {"Europe/Paris", "America/New_York"}
    assert str(cal["X-WR-CALNAME"]) == "Association of a.test"


async def test_a_members_private_feed_has_the_events_they_joined(a: Node) -> None:
    carol_actor, _ = await member(a, "carol")
    joined = await create(a, name="Joined")
    await create(a, name="Not joined")
    with a.ctx:
        await join(a, joined, carol_actor)
        carol = await User.get(username="carol")
        url = ical.member_feed_url(a, carol)
    assert url.startswith("http://a.test/members/") and url.endswith("/events.ics")
    async with client_for(a) as http:
        response = await http.get(path_of(url))
        assert response.status_code == 200 and response.headers["cache-control"].startswith("private")
        assert set(vevents(parse(response.content))) == {joined.uri}
        token = url.split("/")[-2]
        forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
        assert (await http.get(f"/members/{forged}/events.ics")).status_code == 404
        assert (await http.get("/members/not-a-token/events.ics")).status_code == 404
        other = ical._serializer(a).dumps(999_999)  # well signed, but no such member
        assert (await http.get(f"/members/{other}/events.ics")).status_code == 404
        wrong_salt = URLSafeSerializer("test-secret", salt="other").dumps(carol.id)
        assert (await http.get(f"/members/{wrong_salt}/events.ics")).status_code == 404


async def test_google_calendar_export_with_moved_occurrences(a: Node) -> None:
    result = await do_import(a, GOOGLE.read_bytes(), GOOGLE.name)
    assert (result.created, result.updated, len(result.urls)) == (6, 0, 6)
    with a.ctx:
        rows = {e.ical_uid: e for e in await Event.all()}
    sydney = ZoneInfo("Australia/Sydney")
    timed = "7v3ju5ft4je5iq18nfdk2s3spk@google.com"
    assert sorted(k for k in rows if k.startswith(timed)) == [f"{timed}#2023-08-{d}" for d in ("08", "15", "22")]
    first = rows[f"{timed}#2023-08-08"]
    assert first.timezone == "Australia/Sydney" and not first.all_day and first.name == "Datetime"
    assert first.start == datetime(2023, 8, 8, 14, 0, tzinfo=sydney) and first.end == datetime(2023, 8, 8, 15, 0, tzinfo=sydney)
    moved = rows[f"{timed}#2023-08-15"]  # RECURRENCE-ID 2023-08-15 moved to Monday the 14th
    assert moved.start == datetime(2023, 8, 14, 14, 0, tzinfo=sydney)
    assert rows[f"{timed}#2023-08-22"].start == datetime(2023, 8, 22, 14, 0, tzinfo=sydney)  # UNTIL 08-28 13:59:59Z
    whole = "6ep37v20d728v14rcgn17v9is6@google.com"
    days = {k: v for k, v in rows.items() if k.startswith(whole)}
    assert sorted(days) == [f"{whole}#2023-08-{d}" for d in ("10", "17", "24")]
    assert all(e.all_day and e.end is None for e in days.values())
    assert days[f"{whole}#2023-08-17"].start.astimezone(sydney).date() == date(2023, 8, 16)
    assert days[f"{whole}#2023-08-10"].start.astimezone(sydney) == datetime(2023, 8, 10, tzinfo=sydney)
    assert len({e.series_uid for e in rows.values()}) == 2 and all(e.series_uid for e in rows.values())
    assert all(e.local and e.status == "CONFIRMED" for e in rows.values())


async def test_google_single_events_in_utc_take_the_calendars_zone(a: Node) -> None:
    result = await do_import(a, GOOGLE_UTC.read_bytes(), GOOGLE_UTC.name)
    assert result.created == 2
    with a.ctx:
        noon = await Event.get(ical_uid="3bc4jff97631or97ntnk75n4se@google.com")
    new_york = ZoneInfo("America/New_York")
    assert noon.timezone == "America/New_York"
    assert noon.start.astimezone(new_york) == datetime(2021, 12, 22, 12, 0, tzinfo=new_york)  # "noon to 1PM"
    assert noon.name == "Google Calendar says this is noon to 1PM on 12/22/2021" and noon.places == []


async def test_mobilizon_export(a: Node) -> None:
    result = await do_import(a, MOBILIZON.read_bytes(), MOBILIZON.name)
    assert (result.created, result.updated) == (2, 0)
    with a.ctx:
        first = await Event.get(ical_uid="4b1a3c4e-5a8e-4f0a-9d57-8f2f1d8f6e21")
        second = await Event.get(ical_uid="0c9e7d1b-2f4a-4c63-b8e5-6a1d3e9f7b42")
    assert result.urls == [first.uri, second.uri]
    assert first.name == "Ceci est un événement0" and first.timezone == "UTC"
    assert first.start == datetime(2025, 4, 12, 20, 0, tzinfo=timezone.utc)
    assert first.end == datetime(2025, 4, 12, 22, 0, tzinfo=timezone.utc)
    [place] = first.places
    assert place["name"] == "MyAddress0 My Street Address My Postal Code My Locality My Region My Country"
    assert (place["latitude"], place["longitude"]) == (4.85, 45.75)
    assert first.tags == ["mytag0", "mytag1", "mytag2"]
    assert first.external_url == "http://mobilizon.test/events/4b1a3c4e-5a8e-4f0a-9d57-8f2f1d8f6e21"
    assert "première phrase assez longue," in first.content and "puis sur une seconde ligne" in first.content
    assert second.timezone == "Europe/Paris" and second.status == "TENTATIVE"
    assert second.start == datetime(2025, 4, 19, 22, 0, tzinfo=PARIS) and second.end == datetime(2025, 4, 20, 0, 0, tzinfo=PARIS)


# ------------------------------------------------------------------ import: re-import


async def test_reimporting_the_same_files_updates_nothing_and_duplicates_nothing(a: Node) -> None:
    for sample in (GOOGLE, MOBILIZON):
        await do_import(a, sample.read_bytes(), sample.name)
    before = await counts(a)
    for sample, total in ((GOOGLE, 6), (MOBILIZON, 2)):
        again = await do_import(a, sample.read_bytes(), sample.name)
        assert (again.created, again.updated, again.unchanged, again.cancelled) == (0, 0, total, 0)
        assert len(again.urls) == total
    assert await counts(a) == before  # no new event, no Update sent


async def test_a_changed_summary_updates_that_event_only(a: Node) -> None:
    await do_import(a, MOBILIZON.read_bytes(), MOBILIZON.name)
    with a.ctx:
        untouched = await Event.get(ical_uid="0c9e7d1b-2f4a-4c63-b8e5-6a1d3e9f7b42")
        updates = await Activity.filter(kind="Update").count()
    changed = MOBILIZON.read_bytes().replace(b"SUMMARY:Ceci est un \xc3\xa9v\xc3\xa9nement0", b"SUMMARY:Pique-nique de rentr\xc3\xa9e")
    result = await do_import(a, changed, MOBILIZON.name)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    with a.ctx:
        assert await Event.all().count() == 2
        renamed = await Event.get(ical_uid="4b1a3c4e-5a8e-4f0a-9d57-8f2f1d8f6e21")
        assert renamed.name == "Pique-nique de rentrée" and renamed.updated is not None
        again = await Event.get(id=untouched.id)
        assert again.updated == untouched.updated and again.name == untouched.name
        assert await Activity.filter(kind="Update").count() == updates + 1


async def test_reimport_keeps_what_the_file_does_not_say(a: Node) -> None:
    await do_import(a, MOBILIZON.read_bytes(), MOBILIZON.name)
    with a.ctx:
        row = await Event.get(ical_uid="4b1a3c4e-5a8e-4f0a-9d57-8f2f1d8f6e21")
        await events.update_event(a, row, dataclasses.replace(input_of(row), capacity=40, join_mode="restricted"))
    changed = MOBILIZON.read_bytes().replace(b"DTEND:20250412T220000Z", b"DTEND:20250412T230000Z")
    result = await do_import(a, changed, MOBILIZON.name)
    assert result.updated == 1
    with a.ctx:
        row = await Event.get(id=row.id)
    assert (row.capacity, row.join_mode) == (40, "restricted")
    assert row.end == datetime(2025, 4, 12, 23, 0, tzinfo=timezone.utc)


async def test_an_event_deleted_here_is_not_brought_back(a: Node) -> None:
    await do_import(a, MOBILIZON.read_bytes(), MOBILIZON.name)
    with a.ctx:
        await events.delete_event(a, await Event.get(ical_uid="4b1a3c4e-5a8e-4f0a-9d57-8f2f1d8f6e21"))
    before = await counts(a)
    result = await do_import(a, MOBILIZON.read_bytes(), MOBILIZON.name)
    assert (result.created, result.updated, result.unchanged, result.skipped) == (0, 0, 1, 1)
    assert result.summary() == "created 0, updated 0 (1 unchanged, 1 deleted here, not restored)"
    assert await counts(a) == before


async def test_a_series_that_loses_an_occurrence_cancels_it(a: Node) -> None:
    series = SERIES.replace("COUNT=4", "COUNT=3")
    await do_import(a, calendar(SERIES))
    result = await do_import(a, calendar(series))
    assert (result.created, result.updated, result.unchanged, result.cancelled) == (0, 0, 3, 1)
    with a.ctx:
        last = await Event.get(ical_uid="weekly@example.org#2030-01-28")
        assert last.status == "CANCELLED"
    again = await do_import(a, calendar(SERIES))  # and back: the occurrence is confirmed again
    assert (again.created, again.updated, again.unchanged) == (0, 1, 3)


# ------------------------------------------------------------------ import: refusals


def calendar(*vevents_text: str, head: str = "") -> bytes:
    body = "".join(vevents_text)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//Test//EN\r\n{head}{body}END:VCALENDAR\r\n".encode()


def vevent(uid: str, *lines: str) -> str:
    return "BEGIN:VEVENT\r\n" + f"UID:{uid}\r\nDTSTAMP:20300101T000000Z\r\n" + "".join(f"{line}\r\n" for line in lines) + "END:VEVENT\r\n"


GOOD = vevent("good@example.org", "SUMMARY:A good event", "DTSTART;TZID=Europe/Paris:20300105T190000",
              "DTEND;TZID=Europe/Paris:20300105T220000", "LOCATION:Salle des fêtes\\, Lyon")
SERIES = vevent("weekly@example.org", "SUMMARY:Weekly class", "DTSTART;TZID=Europe/Paris:20300107T183000",
                "DURATION:PT1H30M", "RRULE:FREQ=WEEKLY;COUNT=4", "STATUS:CONFIRMED")
# the bad VEVENT starts on line 12 of calendar(GOOD, bad): 3 header lines, 8 for GOOD; BEGIN, UID, DTSTAMP,
# then its own lines from line 15
BAD_START = 12


@pytest.mark.parametrize(
    ("lines", "at", "words"),
    [
        (["SUMMARY:No start"], None, ["DTSTART missing"]),
        (["SUMMARY:Backwards", "DTSTART:20300105T190000Z", "DTEND:20300105T180000Z"], 2, ["DTEND is before DTSTART"]),
        (["SUMMARY:Nowhere", "DTSTART;TZID=Mars/Olympus_Mons:20300105T190000"], 1, ["unknown time zone", "Mars/Olympus_Mons"]),
        (["SUMMARY:Daily", "DTSTART:20300105T190000Z", "RRULE:FREQ=DAILY;COUNT=3"], 2, ["RRULE", "FREQ=DAILY is not supported"]),
        (["SUMMARY:Twice a week", "DTSTART;TZID=Europe/Paris:20300107T190000", "RRULE:FREQ=WEEKLY;COUNT=4;BYDAY=MO,TH"],
         2, ["RRULE", "weekly", "BYDAY=MO,TH"]),
        (["SUMMARY:By date", "DTSTART;TZID=Europe/Paris:20300107T190000", "RRULE:FREQ=MONTHLY;COUNT=4;BYMONTHDAY=7"],
         2, ["BYMONTHDAY is not supported"]),
        (["SUMMARY:Wrong week", "DTSTART;TZID=Europe/Paris:20300107T190000", "RRULE:FREQ=MONTHLY;COUNT=4;BYDAY=2MO"],
         2, ["BYDAY=2MO does not match", "1MO"]),
        (["SUMMARY:Forever", "DTSTART;TZID=Europe/Paris:20300107T190000", "RRULE:FREQ=WEEKLY"], 2, ["without end"]),
        (["SUMMARY:Ten thousand", "DTSTART;TZID=Europe/Paris:20300107T190000", "RRULE:FREQ=WEEKLY;COUNT=10000"],
         2, ["at most 200 occurrences"]),
        (["SUMMARY:Far", "DTSTART;TZID=Europe/Paris:20300107T190000", "RRULE:FREQ=WEEKLY;UNTIL=22000101T000000Z"],
         2, ["at most 200 occurrences"]),
        (["DTSTART:20300105T190000Z"], None, ["SUMMARY missing"]),
        (["SUMMARY:Broken", "DTSTART:2030-01-05"], 1, ["DTSTART cannot be read"]),
        (["SUMMARY:Weird", "DTSTART:20300105T190000Z", "STATUS:POSTPONED"], 2, ["STATUS", "POSTPONED"]),
        (["SUMMARY:Floating", "DTSTART:20300105T190000"], 1, ["floating time", "--timezone"]),
        (["SUMMARY:Extra", "DTSTART:20300105T190000Z", "RRULE:FREQ=WEEKLY;COUNT=2", "RDATE:20300301T190000Z"], 3, ["RDATE"]),
        (["SUMMARY:Too far north", "DTSTART:20300105T190000Z", "GEO:95.0;2.0"], 2, ["latitude"]),
    ],
)
async def test_a_bad_vevent_refuses_the_whole_file_with_line_and_reason(
    a: Node, lines: list[str], at: int | None, words: list[str]
) -> None:
    line = BAD_START if at is None else BAD_START + 3 + at
    before = await counts(a)
    data = calendar(GOOD, vevent("bad@example.org", *lines))
    with pytest.raises(CalendarError) as caught:
        await do_import(a, data)
    message = str(caught.value)
    assert message.startswith(f"calendar.ics line {line}: "), message
    for word in words:
        assert word in message, message
    assert caught.value.uid == "bad@example.org" and caught.value.line == line
    assert await counts(a) == before  # nothing from the file is stored, nothing sent


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"hello, world", ["not an iCalendar file"]),
        (calendar(GOOD).replace(b"END:VEVENT\r\n", b""), ["line 4", "BEGIN:VEVENT without END:VEVENT"]),
        (calendar(GOOD) + b"END:VEVENT\r\n", ["line 13", "END:VEVENT without BEGIN:VEVENT"]),
        (calendar(GOOD).replace(b"UID:good@example.org\r\n", b""), ["line 4", "UID missing"]),
        (calendar(GOOD, GOOD), ["line 13", "used by two events", "line 4"]),
        (calendar(GOOD.replace("LOCATION", "this line is garbage LOCATION")), ["line 10", "not an iCalendar content line"]),
        (calendar(vevent("x@example.org", "SUMMARY:Moved", "DTSTART:20300105T190000Z", "RECURRENCE-ID:20300105T190000Z")),
         ["line 9", "RECURRENCE-ID without the repeating event"]),
        (calendar(SERIES, vevent("weekly@example.org", "SUMMARY:Moved", "DTSTART:20300110T190000Z",
                                 "RECURRENCE-ID;TZID=Europe/Paris:20300109T183000")), ["line 18", "names no occurrence"]),
    ],
)
async def test_malformed_files_are_refused_with_the_line(a: Node, data: bytes, words: list[str]) -> None:
    before = await counts(a)
    with pytest.raises(CalendarError) as caught:
        await do_import(a, data)
    for word in words:
        assert word in str(caught.value), str(caught.value)
    assert await counts(a) == before


async def test_a_real_google_export_with_an_unsupported_rule_is_refused(a: Node) -> None:
    with pytest.raises(CalendarError) as caught:
        await do_import(a, GOOGLE_UNSUPPORTED.read_bytes(), GOOGLE_UNSUPPORTED.name)
    assert str(caught.value).startswith("google-x_location.ics line 30: RRULE FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR")
    assert await counts(a) == (0, 0)


async def test_size_and_count_limits(a: Node) -> None:
    big = calendar(GOOD, head="X-FILLER:" + "x" * MAX_BYTES + "\r\n")
    with pytest.raises(CalendarError, match="larger than 2 MB"):
        await do_import(a, big)
    many = calendar(*(vevent(f"e{i}@example.org", f"SUMMARY:Event {i}", "DTSTART:20300105T190000Z") for i in range(MAX_EVENTS + 1)))
    with pytest.raises(CalendarError, match="at most 2000"):
        await do_import(a, many)
    series = [vevent(f"s{i}@example.org", f"SUMMARY:S{i}", "DTSTART:20300105T190000Z", "RRULE:FREQ=WEEKLY;COUNT=200") for i in range(11)]
    with pytest.raises(CalendarError, match="more than 2000 events"):
        await do_import(a, calendar(*series))
    assert await counts(a) == (0, 0)


async def test_a_failure_while_writing_leaves_nothing(a: Node, monkeypatch: pytest.MonkeyPatch) -> None:
    real = events.create_event
    calls = 0

    async def failing(*args: object, **kwargs: object) -> list[Event]:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("disk full")
        return await real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(events, "create_event", failing)
    with pytest.raises(RuntimeError):
        await do_import(a, calendar(GOOD, SERIES))
    assert await counts(a) == (0, 0)


# ------------------------------------------------------------------ import: mapping details


async def test_recurrence_exceptions_and_last_weekday(a: Node) -> None:
    monthly = vevent("monthly@example.org", "SUMMARY:Last Friday karaoke", "DTSTART;TZID=Europe/Berlin:20300125T213000",
                     "DTEND;TZID=Europe/Berlin:20300125T233000", "RRULE:FREQ=MONTHLY;BYDAY=-1FR;COUNT=4",
                     "EXDATE;TZID=Europe/Berlin:20300222T213000")
    weekly = vevent("fortnight@example.org", "SUMMARY:Fortnightly", "DTSTART;VALUE=DATE:20300105",
                    "RRULE:FREQ=WEEKLY;INTERVAL=2;UNTIL=20300216")
    result = await do_import(a, calendar(monthly, weekly), default_timezone="Europe/Paris")
    with a.ctx:
        karaoke = [e.start.astimezone(ZoneInfo("Europe/Berlin")) for e in await Event.filter(ical_uid__startswith="monthly@").order_by("start")]
        fortnight = [(e.start.astimezone(PARIS).date(), e.timezone) for e in await Event.filter(ical_uid__startswith="fortnight@").order_by("start")]
    # COUNT=4 counts the excluded 22 February (RFC 5545): Jan, Mar, Apr remain
    assert [m.date() for m in karaoke] == [date(2030, 1, 25), date(2030, 3, 29), date(2030, 4, 26)]
    assert all((m.hour, m.minute) == (21, 30) for m in karaoke)  # wall time kept across the DST change
    assert fortnight == [(date(2030, 1, 5), "Europe/Paris"), (date(2030, 1, 19), "Europe/Paris"),
                         (date(2030, 2, 2), "Europe/Paris"), (date(2030, 2, 16), "Europe/Paris")]
    assert result.created == 7


async def test_time_zone_names(a: Node) -> None:
    custom = (
        "BEGIN:VTIMEZONE\r\nTZID:Customized Time Zone\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n"
        "TZOFFSETFROM:+0530\r\nTZOFFSETTO:+0530\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
    )
    data = calendar(
        vevent("windows@example.org", "SUMMARY:Windows", "DTSTART;TZID=Romance Standard Time:20300105T190000"),
        vevent("prefixed@example.org", "SUMMARY:Evolution", "DTSTART;TZID=/freeassociation.sourceforge.net/Tzfile/Africa/Dakar:20300105T190000"),
        vevent("custom@example.org", "SUMMARY:Custom", "DTSTART;TZID=Customized Time Zone:20300105T190000"),
        head=custom,
    )
    await do_import(a, data)
    with a.ctx:
        windows = await Event.get(ical_uid="windows@example.org")
        prefixed = await Event.get(ical_uid="prefixed@example.org")
        custom_event = await Event.get(ical_uid="custom@example.org")
    assert windows.timezone == "Europe/Paris" and windows.start == datetime(2030, 1, 5, 19, tzinfo=PARIS)
    assert prefixed.timezone == "Africa/Dakar" and prefixed.start == datetime(2030, 1, 5, 19, tzinfo=timezone.utc)
    assert custom_event.timezone == "UTC" and custom_event.start == datetime(2030, 1, 5, 13, 30, tzinfo=timezone.utc)
    assert iana_zone("W. Europe Standard Time") == "Europe/Berlin"
    assert iana_zone("GMT") == "UTC" and iana_zone("Mars/Olympus") is None


async def test_online_location_html_description_and_categories(a: Node) -> None:
    data = calendar(vevent(
        "online@example.org", "SUMMARY:Town hall with the mayor", "DTSTART:20300105T190000Z",
        "LOCATION:https://meet.example.org/townhall",
        'DESCRIPTION:<p>Bring <b>questions</b>.<br>See <a href="https://example.org/agenda">the agenda</a>.</p><p># not a title</p>',
        "CATEGORIES:Town Hall,#Politics", "URL:javascript:alert(1)",
    ))
    await do_import(a, data)
    with a.ctx:
        event = await Event.get(ical_uid="online@example.org")
    assert event.online_url == "https://meet.example.org/townhall" and event.places == []
    assert event.external_url is None
    assert event.tags == ["town_hall", "politics"]
    assert "Bring questions." in event.content and "https://example.org/agenda" in event.content
    assert "<h1>" not in event.content and "# not a title" in event.content


@pytest.mark.parametrize(
    "text",
    [
        "*not emphasis* and _not either_ and `not code`",
        "# not a heading\n> not a quote\n- not a list\n1. not numbered\n---",
        "a <tag> & [a link](https://example.org) ~~no~~ | pipe",
        "see https://example.org/a_b_c*d for more",
        "two\nlines\n\nand a paragraph",
    ],
)
def test_markdown_safe_text_renders_as_the_same_text(text: str) -> None:
    from node.core.sanitize import plain_text
    from node.core.urls import Urls

    html, _ = render(Urls("http://a.test"), markdown_safe(text), {})
    assert plain_text(html, 10_000) == " ".join(text.split())
    for tag in ("<em>", "<strong>", "<code>", "<h1>", "<blockquote>", "<li>", "<hr", "<del>", "<s>"):
        assert tag not in html
    if "https://example.org/a_b_c*d" in text:
        assert 'href="https://example.org/a_b_c*d"' in html


# ------------------------------------------------------------------ the command


def test_cli_import_prints_urls_and_a_summary(config: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    c = ["--config", str(config)]
    status, out, err = cli(capsys, *c, "events", "import", str(MOBILIZON))
    assert status == 0, err
    assert len(out) == 3 and all(line.startswith("https://asso.example/events/") for line in out[:2])
    assert out[-1] == "created 2, updated 0"
    status, out2, err = cli(capsys, *c, "events", "import", str(MOBILIZON))
    assert status == 0, err
    assert out2[:2] == out[:2] and out2[-1] == "created 0, updated 0 (2 unchanged)"

    async def stored() -> int:
        return await Event.filter(local=True).count()

    assert in_db(config, stored) == 2

    bad = tmp_path / "calendar.ics"
    bad.write_bytes(calendar(GOOD, vevent("bad@example.org", "SUMMARY:No start")))
    status, out, err = cli(capsys, *c, "events", "import", str(bad))
    assert status == 2 and out == []
    one_line_error(err, f"{bad} line {BAD_START}: DTSTART missing")
    assert in_db(config, stored) == 2

    status, out, err = cli(capsys, *c, "events", "import", str(tmp_path / "missing.ics"))
    assert status == 2 and out == []
    one_line_error(err, "missing.ics", "No such file")


def test_cli_import_from_a_private_address_is_refused(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = cli(capsys, "--config", str(config), "events", "import", "http://127.0.0.1:9/calendar.ics")
    assert status == 2 and out == []
    one_line_error(err, "http://127.0.0.1:9/calendar.ics", "private address refused")


def test_cli_create_and_list(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    c = ["--config", str(config)]
    status, out, err = cli(
        capsys, *c, "events", "create", "--name", "Welcome evening", "--start", "2030-12-05 19:00",
        "--end", "2030-12-05 22:00", "--timezone", "Europe/Paris", "--place-name", "Maison des associations",
        "--locality", "Paris", "--country", "France", "--capacity", "30", "--join-mode", "restricted",
        "--description", "For *newcomers*", "--language", "fr", "--anonymous",
    )
    assert status == 0, err
    url = out[-1]
    assert url.startswith("https://asso.example/events/")
    status, out, err = cli(capsys, *c, "events", "create", "--name", "Online town hall", "--start", "2030-11-01 18:00",
                           "--timezone", "America/Montreal", "--online-url", "https://meet.example.org/th")
    assert status == 0, err
    online = out[-1]
    status, out, err = cli(capsys, *c, "events", "list")
    assert status == 0, err
    assert out == [f"2030-11-01 18:00 America/Montreal\tOnline town hall\t{online}",
                   f"2030-12-05 19:00 Europe/Paris\tWelcome evening\t{url}"]

    async def check() -> Event:
        return await Event.get(uri=url)

    event = in_db(config, check)
    assert event.start == datetime(2030, 12, 5, 19, tzinfo=PARIS) and event.capacity == 30
    assert event.join_mode == "restricted" and event.anonymous_participation and event.language == "fr"
    assert event.places[0]["name"] == "Maison des associations" and "<em>newcomers</em>" in event.content


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--start", "2030-12-05 19:00", "--timezone", "Mars/Base"], ["unknown time zone"]),
        (["--start", "5 December", "--timezone", "Europe/Paris"], ["--start", "2026-12-05 19:00"]),
        (["--start", "2030-12-05 19:00", "--end", "2030-12-05 18:00", "--timezone", "Europe/Paris"], ["ends before it starts"]),
        (["--start", "2030-12-05 19:00", "--timezone", "Europe/Paris", "--capacity", "0"], ["capacity"]),
        (["--start", "2030-12-05 19:00", "--timezone", "Europe/Paris", "--join-mode", "external"], ["registration URL"]),
    ],
)
def test_cli_create_mistakes_are_one_line_errors(
    config: Path, capsys: pytest.CaptureFixture[str], argv: list[str], words: list[str]
) -> None:
    status, out, err = cli(capsys, "--config", str(config), "events", "create", "--name", "Party", *argv)
    assert status == 2 and out == []
    one_line_error(err, *words)


# ------------------------------------------------------------------ round trip


async def test_an_exported_feed_fetched_by_url_imports_into_another_node(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    festival = await create(a)
    weekend = await create(a, name="Harvest weekend", start=datetime(2030, 9, 14), end=datetime(2030, 9, 15), all_day=True)
    with b.ctx:  # fetched like `agora events import URL`: through the node's federation client
        body = await fetch_calendar(b, "http://a.test/events.ics")
    result = await do_import(b, body, "http://a.test/events.ics")
    assert result.created == 2
    with b.ctx:
        copy = await Event.get(ical_uid=festival.uri)
        days = await Event.get(ical_uid=weekend.uri)
    assert (copy.start, copy.end, copy.timezone) == (festival.start, festival.end, "Europe/Paris")
    assert copy.places[0]["latitude"] == 48.86 and copy.tags == ["festival"]
    # a feed has no zone for its all-day events: they arrive as the same dates in UTC
    assert days.all_day and days.timezone == "UTC"
    assert (days.start.date(), days.end.date()) == (date(2030, 9, 14), date(2030, 9, 15))
    assert copy.external_url == festival.uri  # the original event's page, for registration
