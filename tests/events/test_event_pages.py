"""Event web pages on a real app and database: the editors' forms, participation from the page (members,
visitors by email), the organizers' list and CSV, the calendars, the network calendar, the reader's zone."""

from __future__ import annotations

import csv
import io
import logging
import re
from datetime import datetime
from typing import Any
from urllib.parse import quote

import pytest

from node.core import mail
from node.accounts.actors import fetch_actor, local_actor
from node.events.events import create_event
from node.events.inputs import EventInput, Recurrence
from node.posts.content import Draft, create_post
from node.core.models import Actor, Post
from node.events.models import Event, Participation
from node.core.runtime import Node
from node.core.settings import load_settings
from node.social.social import follow
from tests.conftest import Federation, client_for, member
from tests.helpers import CSRF, csrf_of, logged_in, publish_event as publish

FORM = {
    "title": "Welcome evening", "description": "Tea and *music* #newcomers", "start_date": "2030-07-11",
    "start_time": "19:00", "end_date": "", "end_time": "22:00", "timezone": "Europe/Paris",
    "place_name": "Maison des associations", "place_street": "12 rue Saint-Maur", "place_postal_code": "75011",
    "place_locality": "Paris", "place_region": "", "place_country": "France", "place_lat": "48.86",
    "place_lon": "2.38", "online_url": "", "banner_url": "", "banner_alt": "", "category": "COMMUNITY",
    "language": "en", "tags": "welcome, newcomers", "capacity": "", "join_mode": "free", "external_url": "",
    "contacts": "", "comments": "on", "moderation": "allow_all", "repeat": "none", "interval": "1", "count": "",
    "until": "", "exceptions": "",
}


async def association(node: Node) -> Actor:
    actor = await local_actor("asso")
    assert actor is not None
    return actor


def form(**changes: str) -> dict[str, str]:
    return {**FORM, **changes}


def slug_of(location: str) -> str:
    return location.rstrip("/").rsplit("/", 1)[-1]


def plain(response: Any) -> str:
    """The page's text with babel's thin and narrow no-break spaces as plain spaces."""
    return str(response.text).replace("\u2009", " ").replace("\u202f", " ").replace("\xa0", " ")


def path_of(event: Event) -> str:
    return "/events/" + slug_of(event.uri)


async def count(node: Node, event: Event) -> int:
    with node.ctx:
        return (await Event.get(id=event.id)).participant_count


# ------------------------------------------------------------------ editors


async def test_editor_creates_a_weekly_series_then_edits_cancels_and_deletes(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with logged_in(a, "carla", "editor") as http:
        token = await csrf_of(http, "/events/new")
        response = await http.post("/events/new", data=form(csrf=token, repeat="weekly", count="3"))
        assert response.status_code == 303, response.text
        first = response.headers["location"]
        with a.ctx:
            series = await Event.filter(local=True).order_by("start")
            assert len(series) == 3 and len({e.series_uid for e in series}) == 1
            assert [e.start.isoformat() for e in series] == [
                "2030-07-11T17:00:00+00:00", "2030-07-18T17:00:00+00:00", "2030-07-25T17:00:00+00:00"]
            assert first == path_of(series[0])
            assert series[0].places[0]["street"] == "12 rue Saint-Maur" and series[0].tags == ["welcome", "newcomers"]

        page = await http.get(first)
        assert page.status_code == 200
        text = page.text
        assert "<h1" in text and "Welcome evening" in text and "<em>music</em>" in text
        assert "Thursday, July 11, 2030" in text and "Europe/Paris" in text
        assert "https://www.openstreetmap.org/?mlat=48.86&amp;mlon=2.38" in text
        assert f'href="{first}.ics"' in text and "Add to calendar" in text
        assert "Community" in text and "#newcomers" in text
        assert "Other dates" in text and "July 18, 2030" in text  # the rest of the series
        assert f'href="{first}/edit"' in text  # organizers' links

        edit = await http.get(f"{first}/edit")
        assert edit.status_code == 200 and 'value="Welcome evening"' in edit.text
        assert 'value="2030-07-11"' in edit.text and 'value="19:00"' in edit.text and "Repeats" not in edit.text
        response = await http.post(f"{first}/edit", data=form(csrf=token, title="Welcome evening (new room)",
                                                              capacity="30", place_name="Room 2"))
        assert response.status_code == 303
        page = await http.get(first)
        assert "Welcome evening (new room)" in page.text and "Room 2" in page.text and "30 places" in page.text

        confirm = await http.get(f"{first}/cancel")
        assert confirm.status_code == 200 and "Cancel the event" in confirm.text
        assert (await http.post(f"{first}/cancel", data={})).status_code == 403  # no CSRF token
        response = await http.post(f"{first}/cancel", data={"csrf": token})
        assert response.status_code == 303
        page = await http.get(first)
        assert "This event is cancelled" in page.text and 'action="' + first + '/join"' not in page.text
        # editing a cancelled event keeps it cancelled
        await http.post(f"{first}/edit", data=form(csrf=token, title="Still cancelled"))
        with a.ctx:
            assert (await Event.get(uri=series[0].uri)).status == "CANCELLED"

        assert (await http.get(f"{first}/delete")).status_code == 200
        response = await http.post(f"{first}/delete", data={"csrf": token})
        assert response.status_code == 303 and response.headers["location"] == "/events"
        assert (await http.get(first)).status_code == 410
        assert (await http.get(f"{first}/edit")).status_code == 410
        calendar = await http.get("/events")
        assert calendar.text.count("Welcome evening") == 2  # the two other dates remain


@pytest.mark.parametrize(("changes", "error"), [
    ({"end_date": "2030-07-10", "end_time": "10:00"}, "the event ends before it starts"),
    ({"timezone": "Mars/Olympus_Mons"}, "unknown time zone"),
    ({"capacity": "0"}, "capacity must be between 1 and"),
    ({"capacity": "many"}, "the capacity must be a whole number"),
    ({"repeat": "weekly", "count": "10000"}, "at most 200 occurrences"),
    ({"repeat": "monthly", "count": "", "until": ""}, "needs a number of occurrences or an end date"),
    ({"banner_url": "https://img.example/banner.jpg", "banner_alt": ""}, "alt text"),
    ({"start_time": ""}, "give the time the event starts"),
    ({"place_lat": "48.8", "place_lon": ""}, "both latitude and longitude"),
    ({"start_date": "11/07/2030"}, "the start date is not a date"),
])
async def test_bad_forms_are_refused_with_the_reason_and_nothing_lost(
        federation: Federation, changes: dict[str, str], error: str) -> None:
    a = await federation.add_node("a.test")
    async with logged_in(a, "carla", "editor") as http:
        token = await csrf_of(http, "/events/new")
        response = await http.post("/events/new", data=form(csrf=token, title="Iftar & <dinner>", **changes))
        assert response.status_code == 400
        assert error in response.text
        assert 'value="Iftar &amp; &lt;dinner&gt;"' in response.text  # the title is kept, escaped
        assert 'value="12 rue Saint-Maur"' in response.text and "Tea and *music*" in response.text
    with a.ctx:
        assert not await Event.exists()


async def test_only_editors_reach_the_forms(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    event = await publish(a)
    async with client_for(a, follow_redirects=False) as http:
        assert (await http.get("/events/new")).status_code == 303  # to the login page
    async with logged_in(a, "dan", "member") as http:
        assert (await http.get("/events/new")).status_code == 403
        assert (await http.get(f"{path_of(event)}/edit")).status_code == 403
        assert (await http.get(f"{path_of(event)}/participants")).status_code == 403
        assert (await http.get(f"{path_of(event)}/participants.csv")).status_code == 403
        token = await csrf_of(http, path_of(event))
        assert (await http.post(f"{path_of(event)}/delete", data={"csrf": token})).status_code == 403
    with a.ctx:
        assert (await Event.get(id=event.id)).deleted_at is None


# ------------------------------------------------------------------ participation


async def test_members_join_and_leave_and_a_full_event_says_so(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    event = await publish(a, capacity=1)
    path = path_of(event)
    async with logged_in(a, "dan", "member") as dan:
        page = await dan.get(path)
        assert "1 place, 1 left" in page.text and f'action="{path}/join"' in page.text
        token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
        assert (await dan.post(f"{path}/join", data={})).status_code == 403
        response = await dan.post(f"{path}/join", data={"csrf": token})
        assert response.status_code == 303
        assert await count(a, event) == 1
        page = await dan.get(path)
        assert "You are taking part" in page.text and "Leave this event" in page.text
        async with logged_in(a, "eve", "member") as eve:
            page = await eve.get(path)
            assert "This event is full" in page.text and f'action="{path}/join"' not in page.text
            token_eve = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
            refused = await eve.post(f"{path}/join", data={"csrf": token_eve})
            assert refused.status_code == 400 and "this event is full" in refused.text
        assert await count(a, event) == 1
        response = await dan.post(f"{path}/leave", data={"csrf": token})
        assert response.status_code == 303
        assert await count(a, event) == 0


async def test_restricted_event_waits_for_the_organizer(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    event = await publish(a, join_mode="restricted")
    path = path_of(event)
    async with logged_in(a, "dan", "member") as dan:
        token = await csrf_of(dan, path)
        await dan.post(f"{path}/join", data={"csrf": token, "message": "I bring the tea"})
        page = await dan.get(path)
        assert "You are waiting for approval" in page.text
    assert await count(a, event) == 0
    async with logged_in(a, "carla", "editor") as carla:
        page = await carla.get(f"{path}/participants")
        assert page.status_code == 200 and "no-store" in page.headers["cache-control"]
        assert "@dan@a.test" in page.text and "I bring the tea" in page.text and "Approve" in page.text
        assert "1 waiting for approval" in (await carla.get(path)).text
        with a.ctx:
            row = await Participation.get(event_id=event.id)
        token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
        response = await carla.post(f"{path}/participants",
                                    data={"csrf": token, "participation": str(row.id), "decision": "accept"})
        assert response.status_code == 303
        again = await carla.post(f"{path}/participants",
                                 data={"csrf": token, "participation": str(row.id), "decision": "refuse"})
        assert again.status_code == 400  # decided already
    assert await count(a, event) == 1
    with a.ctx:
        assert (await Participation.get(id=row.id)).state == "accepted"


@pytest.fixture
def outbox(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, str]]:
    sent: list[dict[str, str]] = []

    async def fake_send_mail(settings: Any, to: str, subject: str, text: str) -> None:
        sent.append({"to": to, "subject": subject, "text": text})

    monkeypatch.setattr(mail, "send_mail", fake_send_mail)
    return sent


async def test_anonymous_registration_counts_once_confirmed(federation: Federation, outbox: list[dict[str, str]]) -> None:
    a = await federation.add_node("a.test")
    event = await publish(a, anonymous_participation=True, capacity=10)
    path = path_of(event)
    async with client_for(a, follow_redirects=False) as visitor:
        page = await visitor.get(path)
        assert "Register without an account" in page.text and "Join from your Fediverse account" in page.text
        token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
        bad = await visitor.post(f"{path}/register", data={"csrf": token, "name": "Amina", "email": "not-an-email"})
        assert bad.status_code == 400 and "give a valid email address" in bad.text and 'value="Amina"' in bad.text
        response = await visitor.post(f"{path}/register", data={"csrf": token, "name": "Amina", "email": "amina@example.org"})
        assert response.status_code == 200 and "Check your mailbox" in response.text
        assert await count(a, event) == 0
        [letter] = outbox
        assert letter["to"] == "amina@example.org" and "Language café" in letter["subject"]
        confirm = re.search(r"http://a\.test(/events/confirm/\S+)", letter["text"]).group(1)  # type: ignore[union-attr]
        cancel = re.search(r"http://a\.test(/events/cancel/\S+)", letter["text"]).group(1)  # type: ignore[union-attr]

        page = await visitor.get(confirm)  # what a link scanner does: nothing changes
        assert page.status_code == 200 and "Confirm my registration" in page.text
        assert await count(a, event) == 0
        token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
        done = await visitor.post(confirm, data={"csrf": token})
        assert done.status_code == 200 and "You are registered" in done.text
        assert await count(a, event) == 1

        twice = await visitor.post(f"{path}/register", data={"csrf": token, "name": "Amina", "email": "amina@example.org"})
        assert twice.status_code == 400 and "registered already" in twice.text

        page = await visitor.get(cancel)
        assert "Cancel my registration" in page.text and await count(a, event) == 1
        assert (await visitor.post(cancel, data={"csrf": token})).status_code == 200
        assert await count(a, event) == 0
        assert (await visitor.get(confirm)).status_code == 404


async def test_a_registration_whose_mail_fails_is_undone(federation: Federation, monkeypatch: pytest.MonkeyPatch) -> None:
    a = await federation.add_node("a.test")
    event = await publish(a, anonymous_participation=True)

    async def broken(settings: Any, to: str, subject: str, text: str) -> None:
        raise mail.MailError("connection refused")

    monkeypatch.setattr(mail, "send_mail", broken)
    async with client_for(a) as visitor:
        token = await csrf_of(visitor, path_of(event))
        response = await visitor.post(f"{path_of(event)}/register",
                                      data={"csrf": token, "name": "Amina", "email": "amina@example.org"})
        assert response.status_code == 503 and "could not be sent" in response.text and 'value="amina@example.org"' in response.text
    with a.ctx:
        assert not await Participation.exists()


async def test_the_last_place_goes_to_whoever_confirms_first(federation: Federation, outbox: list[dict[str, str]]) -> None:
    a = await federation.add_node("a.test")
    event = await publish(a, anonymous_participation=True, capacity=1)
    path = path_of(event)
    async with client_for(a) as visitor:
        for name in ("amina", "yonas"):
            token = await csrf_of(visitor, path)
            await visitor.post(f"{path}/register", data={"csrf": token, "name": name, "email": f"{name}@example.org"})
        links = [re.search(r"http://a\.test(/events/confirm/\S+)", m["text"]).group(1) for m in outbox]  # type: ignore[union-attr]
        token = await csrf_of(visitor, links[0])
        assert (await visitor.post(links[0], data={"csrf": token})).status_code == 200
        late = await visitor.post(links[1], data={"csrf": token})
        assert late.status_code == 409 and "full" in late.text
    assert await count(a, event) == 1
    with a.ctx:
        assert await Participation.filter(event_id=event.id).count() == 1


async def test_all_day_event_from_the_form(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with logged_in(a, "carla", "editor") as http:
        token = await csrf_of(http, "/events/new")
        response = await http.post("/events/new", data=form(
            csrf=token, title="Summer camp", all_day="on", start_date="2030-08-01", start_time="",
            end_date="2030-08-03", end_time="", timezone="Africa/Addis_Ababa"))
        assert response.status_code == 303
        path = response.headers["location"]
        await http.get(path, params={"tz": "America/New_York"})
        page = plain(await http.get(path))
        assert "Thursday, August 1, 2030 – Saturday, August 3, 2030" in page and "Your time" not in page
        edit = await http.get(f"{path}/edit")
        assert 'value="2030-08-03"' in edit.text and 'name="all_day" value="on" checked' in edit.text
    with a.ctx:
        event = await Event.get(uri=f"http://a.test{path}")
        assert event.all_day and event.timezone == "Africa/Addis_Ababa"


async def test_events_without_anonymous_participation_take_no_email(federation: Federation, outbox: list[dict[str, str]]) -> None:
    a = await federation.add_node("a.test")
    event = await publish(a)
    async with client_for(a) as visitor:
        page = await visitor.get(path_of(event))
        assert "Register without an account" not in page.text
        token = await csrf_of(visitor, "/login")  # a crafted request with a valid session
        response = await visitor.post(f"{path_of(event)}/register",
                                      data={"csrf": token, "name": "X", "email": "x@example.org"})
        assert response.status_code == 400 and "does not take registrations without an account" in response.text
    assert outbox == []


async def test_participants_csv_quotes_names_and_neutralises_formulas(
        federation: Federation, outbox: list[dict[str, str]]) -> None:
    a = await federation.add_node("a.test")
    event = await publish(a, anonymous_participation=True)
    path = path_of(event)
    async with client_for(a) as visitor:
        for name, email in (('Doe, "Jane"', "jane@example.org"), ("=HYPERLINK(\"http://evil\")", "evil@example.org")):
            token = await csrf_of(visitor, path)
            await visitor.post(f"{path}/register", data={"csrf": token, "name": name, "email": email})
    async with logged_in(a, "dan", "member") as dan:
        await dan.post(f"{path}/join", data={"csrf": await csrf_of(dan, path)})
    async with logged_in(a, "carla", "editor") as carla:
        response = await carla.get(f"{path}/participants.csv")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        assert response.headers["content-disposition"] == f'attachment; filename="participants-{slug_of(event.uri)}.csv"'
        text = response.content.decode("utf-8-sig")
        assert '"Doe, ""Jane"""' in text
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0] == ["name", "address", "state", "confirmed", "registered_at"]
        by_name = {row[0]: row for row in rows[1:]}
        assert by_name['Doe, "Jane"'][1:4] == ["jane@example.org", "accepted", "no"]
        assert "'=HYPERLINK(\"http://evil\")" in by_name
        assert by_name["dan"][1:4] == ["dan@a.test", "accepted", "yes"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", by_name["dan"][4])

        page = await carla.get(f"{path}/participants")
        assert "jane@example.org" in page.text and "not yet" in page.text


async def test_organizer_sends_an_announcement(federation: Federation, outbox: list[dict[str, str]]) -> None:
    a = await federation.add_node("a.test")
    event = await publish(a, anonymous_participation=True)
    path = path_of(event)
    async with client_for(a) as visitor:
        token = await csrf_of(visitor, path)
        await visitor.post(f"{path}/register", data={"csrf": token, "name": "Amina", "email": "amina@example.org"})
        link = re.search(r"http://a\.test(/events/confirm/\S+)", outbox[0]["text"]).group(1)  # type: ignore[union-attr]
        await visitor.post(link, data={"csrf": await csrf_of(visitor, link)})
    async with logged_in(a, "dan", "member") as dan:
        await dan.post(f"{path}/join", data={"csrf": await csrf_of(dan, path)})
        async with logged_in(a, "carla", "editor") as carla:
            token = await csrf_of(carla, f"{path}/participants")
            empty = await carla.post(f"{path}/announce", data={"csrf": token, "text": "  "})
            assert empty.status_code == 400 and "empty" in empty.text
            response = await carla.post(f"{path}/announce", data={"csrf": token, "text": "Bring a **dish** from home"})
            assert response.status_code == 303 and response.headers["location"].endswith("/participants?sent=yes")
        page = await dan.get(path)
        assert "Announcements" in page.text and "<strong>dish</strong>" in page.text
    assert outbox[-1]["to"] == "amina@example.org" and "Bring a **dish** from home" in outbox[-1]["text"]
    async with client_for(a) as visitor:
        assert "Bring a" not in (await visitor.get(path)).text  # not for the public


async def test_visitor_joins_from_their_fediverse_account(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    await member(b, "bob")
    event = await publish(a)
    async with client_for(a, follow_redirects=False) as visitor:
        response = await visitor.get(f"{path_of(event)}/remote-join", params={"handle": "@bob@b.test"})
        assert response.status_code == 303
        assert response.headers["location"] == "http://b.test/authorize_interaction?uri=" + quote(event.uri, safe="")
        assert (await visitor.get(f"{path_of(event)}/remote-join", params={"handle": "bob"})).status_code == 400


# ------------------------------------------------------------------ calendars


async def test_calendar_lists_month_grid_past_and_filters(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    await publish(a, name="Festival of the Diaspora", category="PARTY", language="fr",
                  start=datetime(2030, 7, 11, 18, 0), end=datetime(2030, 7, 11, 23, 0))
    await publish(a, name="Tigrinya class", category="LEARNING", language="en",
                  start=datetime(2030, 7, 20, 10, 0), end=datetime(2030, 7, 20, 12, 0))
    await publish(a, name="Last year's picnic", category="PARTY", start=datetime(2020, 6, 1, 12, 0), end=None)
    async with client_for(a) as http:
        upcoming = await http.get("/events")
        assert upcoming.status_code == 200
        assert "Festival of the Diaspora" in upcoming.text and "Tigrinya class" in upcoming.text
        assert "Last year" not in upcoming.text
        assert upcoming.text.index("Festival") < upcoming.text.index("Tigrinya")

        party = await http.get("/events", params={"category": "PARTY"})
        assert "Festival of the Diaspora" in party.text and "Tigrinya class" not in party.text
        french = await http.get("/events", params={"language": "fr"})
        assert "Festival of the Diaspora" in french.text and "Tigrinya class" not in french.text

        past = await http.get("/events/past")
        assert "Last year&#39;s picnic" in past.text and "Festival" not in past.text

        month = await http.get("/events", params={"view": "month", "month": "2030-07"})
        assert month.status_code == 200 and "<table" in month.text and "July 2030" in month.text
        cells = dict(re.findall(r'<time class="day" datetime="([\d-]+)">.*?</time>(.*?)</td>', month.text, re.S))
        assert "Festival of the Diaspora" in cells["2030-07-11"] and "6:00\u202fPM" in cells["2030-07-11"]  # the reader's clock
        assert "Tigrinya class" in cells["2030-07-20"]
        assert "Festival" not in cells["2030-07-12"]
        assert 'scope="col"' in month.text and 'href="/events?view=month&amp;month=2030-08"' in month.text
        filtered = await http.get("/events", params={"view": "month", "month": "2030-07", "category": "LEARNING"})
        assert "Festival" not in filtered.text and "Tigrinya class" in filtered.text
        assert (await http.get("/events", params={"view": "month", "month": "July"})).status_code == 400


async def test_calendar_pages_through_many_events(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    with a.ctx:
        series = await create_event(a, await association(a), EventInput(
            name="Homework club", start=datetime(2030, 7, 11, 17, 0), timezone="Europe/Paris",
            recurrence=Recurrence(freq="weekly", count=23)))
    assert len(series) == 23
    async with client_for(a) as http:
        first = await http.get("/events")
        assert first.text.count("Homework club</a>") == 20 and 'href="/events?page=2"' in first.text
        second = await http.get("/events", params={"page": "2"})
        assert second.text.count("Homework club</a>") == 3 and "page=2" not in second.text.split("Pages")[-1]


async def test_network_calendar_lists_events_of_followed_associations(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    with a.ctx:
        await follow(a, await association(a), await fetch_actor(a, b.urls.actor("asso")))
    await federation.settle()
    remote = await publish(b, name="Eritrean new year in Lyon", category="PARTY")
    await federation.settle()
    with a.ctx:
        copy = await Event.get(uri=remote.uri)
        assert not copy.local
    async with client_for(a) as http:
        network = await http.get("/events/network")
        assert network.status_code == 200 and "Eritrean new year in Lyon" in network.text
        assert f'href="{remote.uri}"' in network.text and "Association of b.test" in network.text
        assert "Eritrean new year" not in (await http.get("/events")).text
        month = await http.get("/events/network", params={"view": "month", "month": "2030-07"})
        assert "Eritrean new year in Lyon" in month.text
        assert "Eritrean" not in (await http.get("/events/network", params={"category": "LEARNING"})).text


async def test_reader_zone_cookie_shows_the_second_time(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    event = await publish(a)  # 19:00-22:00 in Paris, English
    path = path_of(event)
    async with client_for(a) as http:
        first = plain(await http.get(path))
        assert "7:00 – 10:00 PM" in first and "Your time" not in first
        chosen = await http.get(path, params={"tz": "America/New_York"})
        assert re.match(r"tz=\"?America/New_York\"?;", chosen.headers["set-cookie"])
        assert "Your time (<bdi>America/New York</bdi>)" in plain(chosen) and "1:00 – 4:00 PM" in plain(chosen)
        assert "1:00 – 4:00 PM" in plain(await http.get(path))  # the cookie alone
        assert "1:00 – 4:00 PM" in plain(await http.get("/events"))  # and in the calendar
        other = plain(await http.get(path, params={"tz": "", "tz_other": "Asia/Tokyo"}))
        assert "Friday, July 12, 2030" in other and "2:00 – 5:00 AM" in other
        bad = await http.get(path, params={"tz_other": "Atlantis/Capital"})
        assert bad.status_code == 400 and "unknown time zone" in bad.text
        same = await http.get(path, params={"tz": "Europe/Paris"})
        assert "Your time" not in same.text  # same clock: nothing to add
        reset = await http.get(path, params={"tz": ""})
        assert "Your time" not in reset.text
        assert "Your time" not in (await http.get(path)).text


# ------------------------------------------------------------------ mail


async def test_mail_without_a_server_is_logged_with_its_link(caplog: pytest.LogCaptureFixture) -> None:
    settings = load_settings(env={})
    assert settings.mail.host == "" and settings.mail.port == 587 and settings.mail.starttls
    with caplog.at_level(logging.WARNING, logger="agora.mail"):
        await mail.send_mail(settings, "amina@example.org", "Confirm", "Open http://a.test/events/confirm/xyz")
    assert "http://a.test/events/confirm/xyz" in caplog.text and "amina@example.org" in caplog.text


async def test_mail_goes_through_the_configured_smtp_server(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings(env={"AGORA_MAIL_HOST": "smtp.example", "AGORA_MAIL_USERNAME": "agora",
                                  "AGORA_MAIL_PASSWORD": "s3cret", "AGORA_MAIL_FROM_ADDRESS": "Asso <events@asso.example>"})
    assert "s3cret" not in repr(settings)
    calls: list[Any] = []

    class FakeSMTP:
        def __init__(self, host: str, port: int, timeout: float) -> None:
            calls.append(("connect", host, port))

        def __enter__(self) -> FakeSMTP:
            return self

        def __exit__(self, *exc: object) -> None:
            calls.append(("quit",))

        def starttls(self, context: Any) -> None:
            calls.append(("starttls",))

        def login(self, user: str, password: str) -> None:
            calls.append(("login", user, password))

        def send_message(self, message: Any) -> None:
            calls.append(("send", message["From"], message["To"], message["Subject"], message.get_content()))

    monkeypatch.setattr(mail.smtplib, "SMTP", FakeSMTP)
    await mail.send_mail(settings, "amina@example.org", "Confirm\nyour registration", "Open the link")
    assert calls[:3] == [("connect", "smtp.example", 587), ("starttls",), ("login", "agora", "s3cret")]
    assert calls[3][:4] == ("send", "Asso <events@asso.example>", "amina@example.org", "Confirm your registration")
    assert calls[3][4].strip() == "Open the link" and calls[4] == ("quit",)

    class Refusing(FakeSMTP):
        def send_message(self, message: Any) -> None:
            raise mail.smtplib.SMTPRecipientsRefused({"amina@example.org": (550, b"no")})

    monkeypatch.setattr(mail.smtplib, "SMTP", Refusing)
    with pytest.raises(mail.MailError):
        await mail.send_mail(settings, "amina@example.org", "Confirm", "Open the link")


async def test_organizer_publishes_or_removes_held_comments(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    bob, _ = await member(b, "bob")
    moderated = EventInput(name="Town hall", start=datetime(2026, 9, 1, 18, 0), timezone="Europe/Paris",
                           replies_moderation="moderated")
    with a.ctx:
        [event] = await create_event(a, await local_actor("asso"), moderated)
    with b.ctx:
        await fetch_actor(b, a.urls.actor("asso"))
        first = await create_post(b, bob, Draft(text="First question", in_reply_to=event.uri))
        second = await create_post(b, bob, Draft(text="Spam spam", in_reply_to=event.uri))
    await federation.settle()
    path = "/" + event.uri.split("/", 3)[3]
    async with logged_in(a, "carla", "editor") as http:
        assert "First question" not in (await http.get(path)).text
        page = await http.get(f"{path}/comments")
        assert "First question" in page.text and "Spam spam" in page.text
        token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
        with a.ctx:
            held = {p.uri: p.id for p in await Post.filter(held=True)}
        await http.post(f"{path}/comments", data={"csrf": token, "comment": str(held[first.uri]), "decision": "publish"})
        await http.post(f"{path}/comments", data={"csrf": token, "comment": str(held[second.uri]), "decision": "remove"})
        shown = (await http.get(path)).text
        assert "First question" in shown and "Spam spam" not in shown
    async with logged_in(a, "dan", "member") as http:
        assert (await http.get(f"{path}/comments")).status_code == 403
