"""The event form when it is refused: every problem at once, named by the field's label, listed at
the top (linked to the field) and next to its field, everything typed kept; a banner chosen in a
refused submit is stored and kept by the next one."""

from __future__ import annotations

import re

from node.core.models import Media
from node.events.models import Event
from tests.conftest import Federation
from tests.events.test_event_pages import form
from tests.helpers import csrf_of, logged_in
from tests.posts.test_compose import png


def next_to(page: str, field: str) -> str:
    """The message shown next to a field, which the field points to (aria-describedby)."""
    tag = re.search(rf'<(?:input|select|textarea) id="{field}"[^>]*>', page)
    assert tag is not None, field
    assert 'aria-invalid="true"' in tag.group(0) and f'{field}-error' in tag.group(0), tag.group(0)
    note = re.search(rf'<p class="error field-error" id="{field}-error">([^<]*)</p>', page)
    assert note is not None, field
    return note.group(1)


async def test_three_problems_are_shown_at_once_by_label_next_to_their_fields(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with logged_in(a, "carla", "editor") as http:
        token = await csrf_of(http, "/events/new")
        response = await http.post("/events/new", data=form(
            csrf=token, title="Iftar dinner", start_date="11/07/2030", place_lat="north", capacity="many"))
        assert response.status_code == 400
        page = response.text
        summary = re.search(r'<div class="error" role="alert" id="form-error">(.*?)</div>', page, re.S)
        assert summary is not None
        links = re.findall(r'<li><a href="#([a-z_]+)">([^<]+)</a>: ([^<]+)</li>', summary.group(1))
        assert [(field, label) for field, label, _ in links] == [
            ("start_date", "Start date"), ("place_lat", "Latitude"), ("capacity", "Capacity (empty for no limit)")]
        assert "the start date is not a date" in next_to(page, "start_date")
        assert "the latitude must be a number" in next_to(page, "place_lat")
        assert "the capacity must be a whole number" in next_to(page, "capacity")
        assert 'aria-invalid' not in re.search(r'<input id="title"[^>]*>', page).group(0)  # type: ignore[union-attr]
        for value in ("Iftar dinner", "11/07/2030", "north", "many", "12 rue Saint-Maur"):
            assert f'value="{value}"' in page, value
    with a.ctx:
        assert not await Event.exists()


async def test_a_banner_chosen_in_a_refused_submit_is_kept_by_the_next(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with logged_in(a, "carla", "editor") as http:
        token = await csrf_of(http, "/events/new")
        refused = await http.post("/events/new", data=form(csrf=token, capacity="many", banner_alt="Dancers"),
                                  files={"banner_file": ("b.png", png(), "image/png")})
        assert refused.status_code == 400
        kept = re.search(r'<input id="banner_url" name="banner_url" type="url" placeholder="https://" value="([^"]+)"',
                         refused.text)
        assert kept is not None and kept.group(1).startswith("http://a.test/media/")
        response = await http.post("/events/new", data=form(csrf=token, banner_alt="Dancers", banner_url=kept.group(1)))
        assert response.status_code == 303, response.text
    with a.ctx:
        event = await Event.get(local=True)
        assert event.banner_url == kept.group(1) and event.banner_alt == "Dancers"
        assert await Media.all().count() == 1
