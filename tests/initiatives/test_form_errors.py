"""The initiative form when it is refused: every problem at once, named by the field's label (not
`needs[1].goal`), listed at the top (linked to the field) and next to its field, everything typed kept;
a cover chosen in a refused submit is stored and kept by the next one."""

from __future__ import annotations

import re

from node.core.models import Media
from node.initiatives.models import Initiative
from tests.conftest import Federation
from tests.helpers import csrf_of, logged_in
from tests.initiatives.test_initiative_pages import form
from tests.posts.test_compose import png

NO_SECOND_NEED = {f"need1_{f}": "" for f in ("title", "description", "skills", "quantity", "goal", "currency")}


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
        token = await csrf_of(http, "/initiatives/new")
        response = await http.post("/initiatives/new", data=form(
            csrf=token, title=" ", cover_url="javascript:alert(1)", cover_alt="A roof", **NO_SECOND_NEED,
            need2_kind="money", need2_title="Tools", need2_goal="lots", need2_currency="EUR"))
        assert response.status_code == 400
        page = response.text
        assert "needs[" not in page and "cover_url:" not in page
        summary = re.search(r'<div class="error" role="alert" id="form-error">(.*?)</div>', page, re.S)
        assert summary is not None
        links = re.findall(r'<li><a href="#([a-z0-9_]+)">([^<]+)</a>: ([^<]+)</li>', summary.group(1))
        assert [(field, label) for field, label, _ in links] == [
            ("title", "Title"), ("cover_url", "or give its address"), ("need2_goal", "Money goal of need 3")]
        assert next_to(page, "title") == "required"
        assert "must be an http(s) address" in next_to(page, "cover_url")
        assert next_to(page, "need2_goal") == "not a number"
        for value in ("javascript:alert(1)", "A roof", "Tools", "lots", "Cement and roofing"):
            assert f'value="{value}"' in page, value
    with a.ctx:
        assert not await Initiative.exists()


async def test_a_cover_chosen_in_a_refused_submit_is_kept_by_the_next(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with logged_in(a, "carla", "editor") as http:
        token = await csrf_of(http, "/initiatives/new")
        refused = await http.post("/initiatives/new", data=form(csrf=token, title=" ", cover_alt="The old school"),
                                  files={"cover_file": ("c.png", png(), "image/png")})
        assert refused.status_code == 400
        kept = re.search(r'<input id="cover_url" name="cover_url" type="url" placeholder="https://" value="([^"]+)"',
                         refused.text)
        assert kept is not None and kept.group(1).startswith("http://a.test/media/")
        response = await http.post("/initiatives/new", data=form(csrf=token, cover_alt="The old school",
                                                                 cover_url=kept.group(1)))
        assert response.status_code == 303, response.text
    with a.ctx:
        initiative = await Initiative.get(local=True)
        assert initiative.cover_url == kept.group(1) and initiative.cover_alt == "The old school"
        assert await Media.all().count() == 1
