"""The window of dates an event may take (1900-01-01 to 2200-12-31): the editors' form refuses a date
outside it next to its field and keeps what was typed, repetition never computes past it, a past
event is a notice and not an error, and received or imported events outside it are refused with a
reason and not stored."""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, timedelta, timezone

import pytest

from node.accounts.actors import local_actor
from node.core.models import Actor, Follow
from node.events import network
from node.events.events import create_event
from node.events.ical_parse import CalendarError
from node.events.inputs import EARLIEST, LATEST, EventError, EventInput, Recurrence
from node.events.models import Event
from node.events.recurrence import occurrences
from node.core.runtime import Node
from tests.conftest import Federation
from tests.events.test_event_pages import form
from tests.events.test_ical import calendar, do_import, vevent
from tests.helpers import csrf_of, logged_in


def field_error(html: str, field: str) -> str:
    """The error shown next to a field of the event form ("" when there is none)."""
    found = re.search(rf'<p class="error field-error" id="{field}-error">(.*?)</p>', html, re.S)
    return found.group(1) if found else ""


def test_the_window_is_1900_to_2200() -> None:
    assert (EARLIEST, LATEST) == (date(1900, 1, 1), date(2200, 12, 31))


# ------------------------------------------------------------------ the form


MONTHLY_9999 = {"start_date": "9999-10-12", "repeat": "monthly", "count": "5"}


@pytest.mark.parametrize(("changes", "action", "field", "words"), [
    ({"start_date": "0001-01-01"}, "publish", "start_date", "the start date must be between 1900-01-01 and 2200-12-31"),
    ({"start_date": "9999-06-01", "end_date": "9999-06-01"}, "draft", "start_date", "the start date must be between"),
    ({"start_date": "1899-12-31"}, "preview", "start_date", "the start date must be between"),
    ({"end_date": "2201-01-01"}, "publish", "end_date", "the end date must be between 1900-01-01 and 2200-12-31"),
    ({"repeat": "weekly", "until": "9999-01-01"}, "preview", "until", "the repeat end date must be between"),
    ({"repeat": "weekly", "count": "3", "exceptions": "0001-01-01"}, "publish", "exceptions",
     "the skipped date 0001-01-01 must be between"),
    (MONTHLY_9999, "preview", "start_date", "the start date must be between"),
    (MONTHLY_9999, "publish", "start_date", "the start date must be between"),
    ({"start_date": "2200-10-14", "repeat": "monthly", "count": "5"}, "preview", "count", "the repeated dates go past 2200-12-31"),
    ({"start_date": "2200-10-14", "repeat": "monthly", "count": "5"}, "publish", "count", "the repeated dates go past"),
    ({"start_date": "2200-12-01", "repeat": "weekly", "until": "2200-12-31", "count": "", "exceptions": "2200-12-08"},
     "preview", "", ""),
    ({"start_date": "1900-01-01", "end_date": "2200-12-31", "end_time": "23:00"}, "publish", "", ""),
])
async def test_dates_outside_the_window_are_refused_next_to_their_field(
        federation: Federation, changes: dict[str, str], action: str, field: str, words: str) -> None:
    a = await federation.add_node("a.test")
    async with logged_in(a, "carla", "editor") as http:
        token = await csrf_of(http, "/events/new")
        response = await http.post("/events/new", data=form(csrf=token, title="Iftar & <dinner>", action=action, **changes))
        if not field:  # the first and last dates of the window are fine
            assert response.status_code == (200 if action == "preview" else 303), response.text
            return
        assert response.status_code == 400, response.text
        assert words in field_error(response.text, field), response.text
        tag = re.search(rf'<input id="{field}"[^>]*>', response.text)
        assert tag is not None and 'aria-invalid="true"' in tag.group(0) and f"{field}-error" in tag.group(0)
        assert 'value="Iftar &amp; &lt;dinner&gt;"' in response.text  # what was typed is kept
        assert f'value="{changes.get("start_date", "2030-07-11")}"' in response.text
    with a.ctx:
        assert not await Event.exists()


async def test_the_edit_form_refuses_a_date_outside_the_window(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with logged_in(a, "carla", "editor") as http:
        token = await csrf_of(http, "/events/new")
        location = (await http.post("/events/new", data=form(csrf=token))).headers["location"]
        response = await http.post(f"{location}/edit", data=form(csrf=token, start_date="9999-12-31", action="publish"))
        assert response.status_code == 400
        assert "the start date must be between" in field_error(response.text, "start_date")
    with a.ctx:
        assert (await Event.get()).start.year == 2030


@pytest.mark.parametrize("action", ["preview", "publish"])
async def test_an_event_in_the_past_is_a_notice_not_an_error(federation: Federation, action: str) -> None:
    a = await federation.add_node("a.test")
    async with logged_in(a, "carla", "editor") as http:
        token = await csrf_of(http, "/events/new")
        assert 'id="past-notice"' not in (await http.get("/events/new")).text
        future = await http.post("/events/new", data=form(csrf=token, action="preview"))
        assert future.status_code == 200 and 'id="past-notice"' not in future.text
        past = await http.post("/events/new", data=form(csrf=token, start_date="2001-03-04", action=action))
        if action == "preview":
            assert past.status_code == 200 and 'class="error' not in past.text
            assert 'id="past-notice"' in past.text and "This date is in the past" in past.text
            assert 'aria-describedby="past-notice"' in past.text
            return
        assert past.status_code == 303  # saved all the same
        edit = await http.get(past.headers["location"] + "/edit")
        assert 'id="past-notice"' in edit.text
        refused = await http.post("/events/new", data=form(csrf=token, start_date="2001-03-04", capacity="many"))
        assert refused.status_code == 400 and 'id="past-notice"' in refused.text
    with a.ctx:
        assert (await Event.get()).start.year == 2001


# ------------------------------------------------------------------ the services


@pytest.mark.parametrize("rule", [
    Recurrence(freq="weekly", count=20), Recurrence(freq="monthly", count=5),
    Recurrence(freq="monthly", interval=12, until=date(2200, 12, 31)),
])
def test_repetition_never_computes_past_the_window(rule: Recurrence) -> None:
    start = datetime(2200, 10, 14, 19, 0) if rule.until is None else datetime(2150, 10, 14, 19, 0)
    inp = EventInput(name="Late", start=start, timezone="Pacific/Kiritimati", recurrence=rule)
    if rule.until is not None:  # 51 Octobers, the last in 2200
        assert [b.year for b, _ in occurrences(inp)][-1] == 2200
        return
    with pytest.raises(EventError, match="go past 2200-12-31") as caught:
        occurrences(inp)
    assert caught.value.field == "count"


def test_repetition_from_year_9999_is_an_event_error_not_an_overflow() -> None:
    for freq in ("weekly", "monthly"):
        inp = EventInput(name="Far", start=datetime(9999, 10, 12, 19, 0), timezone="Pacific/Kiritimati",
                         recurrence=Recurrence(freq=freq, count=5))  # type: ignore[arg-type]
        with pytest.raises(EventError, match="start date must be between") as caught:
            occurrences(inp)
        assert caught.value.field == "start_date"


@pytest.mark.parametrize("changes", [
    {"start": datetime(1, 1, 1, 12, 0)}, {"start": datetime(9999, 12, 31, 23, 0)},
    {"end": datetime(9999, 1, 1)}, {"start": datetime(2200, 12, 31, 23, 0, tzinfo=timezone.utc) + timedelta(days=1)},
])
async def test_the_service_refuses_dates_outside_the_window(federation: Federation, changes: dict[str, datetime]) -> None:
    a = await federation.add_node("a.test")
    values = {"name": "Far", "start": datetime(2030, 7, 11, 19, 0), "timezone": "Europe/Paris", **changes}
    with a.ctx:
        with pytest.raises(EventError, match="must be between 1900-01-01 and 2200-12-31"):
            await create_event(a, await local_actor("asso"), EventInput(**values))  # type: ignore[arg-type]
        assert not await Event.exists()


# ------------------------------------------------------------------ received and imported


async def followed_sender(node: Node) -> Actor:
    with node.ctx:
        sender = await Actor.create(uri="https://mobilizon.test/@group", domain="mobilizon.test", kind="Group",
                                    inbox="https://mobilizon.test/@group/inbox")
        await Follow.create(uri=f"{node.urls.actor('asso')}#follows/m", follower=await local_actor("asso"),
                            target=sender, state="accepted")
        return sender


def remote_event(start: str, end: str | None = None) -> dict[str, object]:
    doc: dict[str, object] = {
        "id": "https://mobilizon.test/events/far", "type": "Event", "name": "Far away", "startTime": start,
        "timezone": "Europe/Paris", "actor": "https://mobilizon.test/@group", "attributedTo": "https://mobilizon.test/@group",
    }
    if end:
        doc["endTime"] = end
    return doc


@pytest.mark.parametrize(("start", "end", "refused"), [
    ("9999-06-01T19:00:00+02:00", None, "startTime is out of range: '9999-06-01T19:00:00+02:00'"),
    ("1000-06-01T19:00:00+00:00", None, "startTime is out of range: '1000-06-01T19:00:00+00:00'"),
    ("2030-06-01T19:00:00+02:00", "2301-06-01T19:00:00+02:00", "endTime is out of range: '2301-06-01T19:00:00+02:00'"),
])
async def test_a_received_event_outside_the_window_is_refused_with_a_reason(
        federation: Federation, caplog: pytest.LogCaptureFixture, start: str, end: str | None, refused: str) -> None:
    """federation/events reads the years of the window only (MIN_YEAR, MAX_YEAR): the same bounds."""
    a = await federation.add_node("a.test")
    sender = await followed_sender(a)
    caplog.set_level(logging.INFO, logger="agora.events")
    with a.ctx:
        assert await network.store_event(a, sender, remote_event(start, end)) is None
        assert not await Event.exists()
        assert await network.store_event(a, sender, remote_event("2030-06-01T19:00:00+02:00")) is not None
    refusals = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert refusals == [f"event from {sender.uri} refused: event {refused}"]


@pytest.mark.parametrize(("lines", "at", "words"), [
    (["SUMMARY:Far", "DTSTART:99990601T190000Z"], 1, "DTSTART 9999-06-01 is outside the dates events take here"),
    (["SUMMARY:Old", "DTSTART;VALUE=DATE:00010101"], 1, "DTSTART 0001-01-01 is outside"),
    (["SUMMARY:Long", "DTSTART:20300601T190000Z", "DTEND:23010601T190000Z"], 2, "DTEND 2301-06-01 is outside"),
    (["SUMMARY:Longer", "DTSTART:20300601T190000Z", "DURATION:P200000W"], 2, "DTEND 5863-06-27 is outside"),
    (["SUMMARY:Edge", "DTSTART;TZID=Pacific/Kiritimati:99991231T230000"], 1, "DTSTART 9999-12-31 is outside"),
    (["SUMMARY:Monthly", "DTSTART;TZID=Europe/Paris:21501014T190000",
      "RRULE:FREQ=MONTHLY;INTERVAL=12;BYDAY=2WE;UNTIL=99991231T000000Z"], 2, "the repeat end date must be between"),
    (["SUMMARY:Monthly", "DTSTART;TZID=Europe/Paris:22001014T190000", "RRULE:FREQ=MONTHLY;BYDAY=2TU;COUNT=5"],
     2, "the repeated dates go past 2200-12-31"),
])
async def test_an_imported_event_outside_the_window_refuses_the_file(a_node: Node, lines: list[str], at: int, words: str) -> None:
    before = await a_node_counts(a_node)
    with pytest.raises(CalendarError) as caught:
        await do_import(a_node, calendar(vevent("far@example.org", *lines)))
    assert words in str(caught.value), str(caught.value)
    assert caught.value.line == 7 + at, str(caught.value)  # BEGIN:VEVENT on line 4, UID, DTSTAMP, then the lines
    assert await a_node_counts(a_node) == before


@pytest.fixture
async def a_node(federation: Federation) -> Node:
    return await federation.add_node("a.test")


async def a_node_counts(node: Node) -> int:
    with node.ctx:
        return await Event.all().count()
