"""Initiative web pages on a real app and database: the editors' form with needs, pledges and progress
bars, the ledger form with derived totals and its CSV, status changes, support, the supporters list,
the JSON export, progress posts, the lists and who may reach what."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timezone
from typing import Any


from federation.events import Place
from node.initiatives import initiatives
from node.core.models import Actor, Post
from node.initiatives.models import Initiative, LedgerEntry, Need, Pledge
from node.initiatives.support import support
from node.core.runtime import Node
from tests.conftest import Federation, client_for, member
from tests.helpers import CSRF, csrf_of, logged_in, publish_initiative as publish

FORM = {
    "title": "Rebuild the school of Kayes", "kind": "development",
    "summary": "Three classrooms for the children of the village.",
    "description": "The roof fell in the *rainy season*. #kayes",
    "there_name": "Kayes", "there_street": "", "there_locality": "Kayes", "there_region": "", "there_country": "Mali",
    "here_name": "Montreuil", "here_street": "", "here_locality": "Montreuil", "here_region": "",
    "here_country": "France", "cover_url": "", "cover_alt": "", "language": "en", "tags": "school, kayes",
    "responsible": "Awa Traoré\nMoussa Diarra", "supporters_public": "on",
    "need0_kind": "money", "need0_title": "Cement and roofing", "need0_description": "", "need0_skills": "",
    "need0_quantity": "", "need0_goal": "1500.00", "need0_currency": "EUR",
    "need1_kind": "volunteers", "need1_title": "Builders in August", "need1_description": "Two weeks on site",
    "need1_skills": "masonry, carpentry", "need1_quantity": "5", "need1_goal": "", "need1_currency": "",
    **{f"need{i}_{f}": "" for i in range(2, 5) for f in ("title", "description", "skills", "quantity", "goal", "currency")},
    **{f"need{i}_kind": "materials" for i in range(2, 5)},
}


def form(**changes: str) -> dict[str, str]:
    return {**FORM, **changes}


async def node_with_pages(federation: Federation) -> Node:
    return await federation.add_node("a.test")


def plain(response: Any) -> str:
    """The page's text with babel's no-break spaces as plain spaces."""
    return str(response.text).replace("\u2009", " ").replace("\u202f", " ").replace("\xa0", " ")


def path_of(initiative: Initiative) -> str:
    return "/initiatives/" + initiative.uri.rsplit("/", 1)[-1]


async def refreshed(node: Node, initiative: Initiative) -> Initiative:
    with node.ctx:
        return await Initiative.get(id=initiative.id)


# ------------------------------------------------------------------ editors


async def test_editor_creates_an_initiative_and_pledges_show_as_progress(federation: Federation) -> None:
    a = await node_with_pages(federation)
    async with logged_in(a, "carla", "editor") as http:
        new = await http.get("/initiatives/new")
        assert new.status_code == 200 and 'for="need4_goal"' in new.text and 'id="need4_goal"' in new.text
        token = CSRF.search(new.text).group(1)  # type: ignore[union-attr]
        response = await http.post("/initiatives/new", data=form(csrf=token))
        assert response.status_code == 303, response.text
        path = response.headers["location"]
        with a.ctx:
            initiative = await Initiative.get(local=True)
            assert path == path_of(initiative)
            needs = await Need.filter(initiative=initiative).order_by("position")
            assert [(n.kind, n.goal_minor, n.currency, n.quantity) for n in needs] == [
                ("money", 150000, "EUR", None), ("volunteers", None, None, 5)]
            assert needs[1].skills == ["masonry", "carpentry"]
            assert initiative.place_there and initiative.place_there["country"] == "Mali"

        page = await http.get(path)
        assert page.status_code == 200
        text = plain(page)
        assert '<h1 id="initiative-title" lang="en">Rebuild the school of Kayes</h1>' in text
        assert "<em>rainy season</em>" in text and "Kayes" in text and "Montreuil" in text
        assert "Awa Traoré" in text and "#school" in text and "Proposed" in text
        assert "€0.00 pledged of €1,500.00 (0%)" in text and "0 pledged of 5 (0%)" in text
        assert f'href="{path}/edit"' in text and f'action="{path}/ledger"' in text

    # a visitor pledges money with a name and an email
    async with client_for(a, follow_redirects=False) as visitor:
        page = await visitor.get(path)
        token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
        assert 'name="email"' in page.text and "Support from your Fediverse account" in page.text
        response = await visitor.post(f"{path}/pledge", data={
            "csrf": token, "need": str(needs[0].id), "name": "Fatou", "email": "fatou@example.org", "amount": "500"})
        assert response.status_code == 303, response.text
        # refused: nothing recorded, the form comes back with what was entered
        response = await visitor.post(f"{path}/pledge", data={
            "csrf": token, "need": str(needs[0].id), "name": "Fatou <b>", "amount": "-20"})
        assert response.status_code == 400
        assert "must be more than zero" in response.text and 'value="Fatou &lt;b&gt;"' in response.text
        assert (await visitor.post(f"{path}/pledge", data={"need": str(needs[0].id), "name": "X", "amount": "1"})).status_code == 403

    # a member pledges as themselves
    async with logged_in(a, "dan", "member") as dan:
        token = await csrf_of(dan, path)
        response = await dan.post(f"{path}/pledge", data={"csrf": token, "need": str(needs[1].id), "quantity": "2"})
        assert response.status_code == 303
        text = plain(await dan.get(path))
        assert "€500.00 pledged of €1,500.00 (33%)" in text and "2 pledged of 5 (40%)" in text
        assert '<progress id="need-' in text and 'max="150000" value="50000"' in text and 'max="5" value="2"' in text
        assert f'action="{path}/ledger"' not in text  # no organizer forms for members
    with a.ctx:
        pledges = await Pledge.filter(need__initiative=initiative).prefetch_related("actor").order_by("id")
        assert [(p.name, p.email, p.amount_minor, p.quantity) for p in pledges] == [
            ("Fatou", "fatou@example.org", 50000, None), ("dan", None, None, 2)]
        assert pledges[1].actor is not None and pledges[1].actor.username == "dan"


async def test_editor_edits_and_bad_forms_keep_what_was_entered(federation: Federation) -> None:
    a = await node_with_pages(federation)
    initiative = await publish(a)
    path = path_of(initiative)
    async with logged_in(a, "carla", "editor") as http:
        token = await csrf_of(http, "/initiatives/new")
        response = await http.post("/initiatives/new", data=form(csrf=token, title="Iftar & <dinner>", need0_currency=""))
        assert response.status_code == 400
        assert "needs a currency" in response.text and 'value="Iftar &amp; &lt;dinner&gt;"' in response.text
        assert 'value="1500.00"' in response.text and "Two weeks on site" in response.text
        response = await http.post("/initiatives/new", data=form(csrf=token, need1_quantity="many"))
        assert response.status_code == 400 and "need 2: the quantity must be a whole number" in response.text
        response = await http.post("/initiatives/new", data=form(csrf=token, cover_url="https://img.example/c.jpg"))
        assert response.status_code == 400 and "alt text" in response.text
        with a.ctx:
            assert await Initiative.filter(local=True).count() == 1

        edit = await http.get(f"{path}/edit")
        assert edit.status_code == 200 and 'value="Medicine for Derna"' in edit.text and 'value="2000.00"' in edit.text
        values = form(csrf=token, title="Medicine for Derna and Benghazi", kind="humanitarian",
                      need0_title="Medical supplies", need0_goal="3000",
                      **{f"need1_{f}": "" for f in ("title", "description", "skills", "quantity")})
        response = await http.post(f"{path}/edit", data=values)
        assert response.status_code == 303
        text = plain(await http.get(path))
        assert "Medicine for Derna and Benghazi" in text and "€0.00 pledged of €3,000.00 (0%)" in text
        assert "Builders in August" not in text


async def test_only_editors_reach_the_editor_pages(federation: Federation) -> None:
    a = await node_with_pages(federation)
    initiative = await publish(a)
    path = path_of(initiative)
    async with client_for(a, follow_redirects=False) as http:
        assert (await http.get("/initiatives/new")).status_code == 303  # to the login page
    async with logged_in(a, "dan", "member") as http:
        token = await csrf_of(http, path)
        assert (await http.get("/initiatives/new")).status_code == 403
        assert (await http.post("/initiatives/new", data=form(csrf=token))).status_code == 403
        assert (await http.get(f"{path}/edit")).status_code == 403
        assert (await http.get(f"{path}/delete")).status_code == 403
        assert (await http.post(f"{path}/delete", data={"csrf": token})).status_code == 403
        assert (await http.post(f"{path}/status", data={"csrf": token, "status": "active"})).status_code == 403
        assert (await http.post(f"{path}/progress", data={"csrf": token, "text": "Hello"})).status_code == 403
        ledger = {"csrf": token, "direction": "received", "nature": "money", "description": "Gift",
                  "occurred_on": "2026-01-10", "amount": "10", "currency": "EUR"}
        assert (await http.post(f"{path}/ledger", data=ledger)).status_code == 403
    with a.ctx:
        fresh = await Initiative.get(id=initiative.id)
        assert fresh.deleted_at is None and fresh.status == "proposed" and fresh.title == "Medicine for Derna"
        assert not await LedgerEntry.exists() and not await Post.filter(in_reply_to_uri=initiative.uri).exists()


async def test_delete_asks_first_then_removes(federation: Federation) -> None:
    a = await node_with_pages(federation)
    initiative = await publish(a)
    path = path_of(initiative)
    async with logged_in(a, "carla", "editor") as http:
        confirm = await http.get(f"{path}/delete")
        assert confirm.status_code == 200 and "Delete the initiative for good" in confirm.text
        token = CSRF.search(confirm.text).group(1)  # type: ignore[union-attr]
        assert (await http.post(f"{path}/delete", data={})).status_code == 403
        response = await http.post(f"{path}/delete", data={"csrf": token})
        assert response.status_code == 303 and response.headers["location"] == "/initiatives"
        assert (await http.get(path)).status_code == 410
        assert "Medicine for Derna" not in (await http.get("/initiatives")).text


# ------------------------------------------------------------------ ledger


LEDGER = {"direction": "received", "nature": "money", "description": "", "occurred_on": "2026-01-10",
          "amount": "", "currency": "EUR", "receipt_url": ""}


async def test_ledger_entries_from_the_form_give_totals_per_currency(federation: Federation) -> None:
    a = await node_with_pages(federation)
    initiative = await publish(a)
    path = path_of(initiative)
    async with logged_in(a, "carla", "editor") as http:
        token = await csrf_of(http, path)
        for entry in (
            {"description": "Collection after Friday prayer", "amount": "1000"},
            {"direction": "spent", "description": "Bandages", "amount": "250.50", "occurred_on": "2026-01-12",
             "receipt_url": "https://files.example/receipt-1.pdf"},
            {"description": "Gift from the Dakar section", "amount": "50000", "currency": "xof"},
            {"nature": "in_kind", "description": "Two boxes of blankets", "currency": ""},
        ):
            response = await http.post(f"{path}/ledger", data={**LEDGER, "csrf": token, **entry})
            assert response.status_code == 303, response.text
        text = plain(await http.get(path))
        assert "Totals per currency" in text
        assert "€1,000.00" in text and "€250.50" in text and "€749.50" in text  # received, spent, balance
        assert "CFA50,000" in text  # babel: "F\u202fCFA50,000", per currency, never added to euros
        assert "Two boxes of blankets" in text and "In kind" in text and "receipt-1.pdf" in text

        # a negative amount: 400, the reason, and what was typed stays
        response = await http.post(f"{path}/ledger", data={
            **LEDGER, "csrf": token, "description": "Refund <to> donor", "amount": "-30"})
        assert response.status_code == 400
        assert "must be more than zero" in response.text
        assert 'value="Refund &lt;to&gt; donor"' in response.text and 'value="-30"' in response.text
        response = await http.post(f"{path}/ledger", data={**LEDGER, "csrf": token, "description": "X", "amount": "5",
                                                           "occurred_on": "10/01/2026"})
        assert response.status_code == 400 and "the date is not a date" in response.text
        assert (await http.post(f"{path}/ledger", data={**LEDGER, "description": "X", "amount": "5"})).status_code == 403
    with a.ctx:
        assert await LedgerEntry.filter(initiative_id=initiative.id).count() == 4


async def test_ledger_csv_is_escaped_and_formula_safe(federation: Federation) -> None:
    a = await node_with_pages(federation)
    initiative = await publish(a)
    with a.ctx:
        for description, amount in (('=HYPERLINK("https://evil.example","Click")', "12.5"),
                                    ('Cement, 10 bags "grade A"', "300"), ("+33 6 12 34 56 78 gave", "20")):
            await initiatives.add_ledger_entry(a, initiative, direction="received", nature="money",
                                               description=description, occurred_on=date(2026, 2, 1),
                                               amount=amount, currency="EUR")
        await initiatives.add_ledger_entry(a, initiative, direction="spent", nature="money", description="Transport",
                                           occurred_on=date(2026, 2, 3), amount="40", currency="EUR",
                                           receipt_url="https://files.example/r.pdf")
    async with client_for(a) as visitor:  # the ledger is public
        response = await visitor.get(f"{path_of(initiative)}/ledger.csv")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        assert "attachment" in response.headers["content-disposition"]
        rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows[0] == ["date", "direction", "nature", "amount", "currency", "description", "receipt"]
    assert rows[1] == ["2026-02-01", "received", "money", "12.50", "EUR", '\'=HYPERLINK("https://evil.example","Click")', ""]
    assert rows[2][5] == 'Cement, 10 bags "grade A"' and rows[2][3] == "300.00"
    assert rows[3][5] == "'+33 6 12 34 56 78 gave"
    assert rows[4] == ["2026-02-03", "spent", "money", "40.00", "EUR", "Transport", "https://files.example/r.pdf"]


# ------------------------------------------------------------------ status, progress, export


async def test_status_changes_from_the_form_and_refused_ones_say_why(federation: Federation) -> None:
    a = await node_with_pages(federation)
    initiative = await publish(a)
    path = path_of(initiative)
    async with logged_in(a, "carla", "editor") as http:
        page = await http.get(path)
        token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
        assert 'name="status" value="active"' in page.text and 'name="status" value="achieved"' not in page.text
        response = await http.post(f"{path}/status", data={"csrf": token, "status": "active"})
        assert response.status_code == 303
        page = await http.get(path)
        assert 'class="status status-active">Active' in page.text
        assert page.text.count("<time datetime=") >= 2  # proposed, then active, each dated
        response = await http.post(f"{path}/status", data={"csrf": token, "status": "proposed"})
        assert response.status_code == 400
        assert "cannot become proposed" in response.text and "The status did not change" in response.text
        assert (await http.post(f"{path}/status", data={"status": "achieved"})).status_code == 403
    assert (await refreshed(a, initiative)).status == "active"
    assert [h["status"] for h in (await refreshed(a, initiative)).status_history] == ["proposed", "active"]


async def test_progress_posts_tell_the_story_newest_first(federation: Federation) -> None:
    a = await node_with_pages(federation)
    initiative = await publish(a, description="It started with a phone call.")
    path = path_of(initiative)
    async with logged_in(a, "carla", "editor") as http:
        token = await csrf_of(http, path)
        assert (await http.post(f"{path}/progress", data={"csrf": token, "text": "First truck *left*"})).status_code == 303
        assert (await http.post(f"{path}/progress", data={"csrf": token, "text": "Second truck arrived"})).status_code == 303
        response = await http.post(f"{path}/progress", data={"csrf": token, "text": "   "})
        assert response.status_code == 400 and "the update is empty" in response.text
    async with client_for(a) as visitor:
        text = (await visitor.get(path)).text
    assert "<em>left</em>" in text and text.index("Second truck") < text.index("First truck")
    assert "It started with a phone call." in text


async def test_json_export_downloads_and_parses(federation: Federation) -> None:
    a = await node_with_pages(federation)
    initiative = await publish(a)
    async with client_for(a) as http:
        response = await http.get(f"{path_of(initiative)}.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["content-disposition"].startswith("attachment")
    document = json.loads(response.text)
    assert document["title"] == "Medicine for Derna" and document["id"] == initiative.uri
    assert document["needs"][0]["goal"] == "2000.00" and document["needs"][0]["currency"] == "EUR"


# ------------------------------------------------------------------ support


async def test_members_support_and_withdraw(federation: Federation) -> None:
    a = await node_with_pages(federation)
    initiative = await publish(a)
    path = path_of(initiative)
    async with logged_in(a, "dan", "member") as dan:
        page = await dan.get(path)
        assert "0 supporters" in page.text and "Support this initiative" in page.text
        token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
        assert (await dan.post(f"{path}/support", data={})).status_code == 403
        assert (await dan.post(f"{path}/support", data={"csrf": token})).status_code == 303
        assert (await refreshed(a, initiative)).support_count == 1
        page = await dan.get(path)
        assert '<strong class="support-count">1</strong> supporter.' in page.text and "Withdraw my support" in page.text
        assert (await dan.post(f"{path}/withdraw", data={"csrf": token})).status_code == 303
        assert (await refreshed(a, initiative)).support_count == 0
        assert "Support this initiative" in (await dan.get(path)).text
    async with client_for(a, follow_redirects=False) as visitor:
        assert (await visitor.post(f"{path}/support", data={})).headers["location"] == "/login"


async def test_supporters_list_is_hidden_from_visitors_when_not_public(federation: Federation) -> None:
    a = await node_with_pages(federation)
    hidden = await publish(a, supporters_public=False)
    shown = await publish(a, title="Public list")
    supporter, _ = await member(a, "zainab")
    with a.ctx:
        supporter.name = "Zainab Supporter"
        await supporter.save()
        for initiative in (hidden, shown):
            await support(a, initiative, supporter)
    async with client_for(a) as visitor:
        text = (await visitor.get(path_of(hidden))).text
        assert "1 supporter" in text and "Zainab Supporter" not in text
        assert "Zainab Supporter" in (await visitor.get(path_of(shown))).text
    async with logged_in(a, "carla", "editor") as http:
        text = (await http.get(path_of(hidden))).text
        assert "Zainab Supporter" in text and "only organizers see this list" in text


async def test_remote_support_box_sends_the_visitor_to_their_server(federation: Federation) -> None:
    a = await node_with_pages(federation)
    b = await federation.add_node("b.test")
    await member(b, "bob")
    initiative = await publish(a)
    async with client_for(a, follow_redirects=False) as visitor:
        response = await visitor.get(f"{path_of(initiative)}/remote-support", params={"handle": "@bob@b.test"})
        assert response.status_code == 303
        assert response.headers["location"] == (
            "http://b.test/authorize_interaction?uri=" + initiative.uri.replace(":", "%3A").replace("/", "%2F"))
        bad = await visitor.get(f"{path_of(initiative)}/remote-support", params={"handle": "bob"})
        assert bad.status_code == 400 and "Not a Fediverse address" in bad.text


# ------------------------------------------------------------------ lists


async def test_lists_filter_by_kind_status_and_place_and_show_network_initiatives(federation: Federation) -> None:
    a = await node_with_pages(federation)
    school = await publish(a, title="School in Kayes", kind="development", place_there=Place(name="Kayes", country="Mali"))
    await publish(a, title="Flood relief", kind="humanitarian", place_there=Place(name="Derna", country="Libya"))
    with a.ctx:
        await initiatives.set_status(a, school, "active")
        remote, _ = await Actor.get_or_create(uri="http://c.test/users/asso", defaults={
            "domain": "c.test", "username": "asso", "name": "Association of Lyon", "kind": "Group"})
        await Initiative.create(uri="http://c.test/initiatives/x1", url="http://c.test/initiatives/x1", local=False,
                                organizer=remote, title="Mentoring newcomers", kind="mutual_aid", status="active",
                                published=datetime.now(timezone.utc))
    async with client_for(a) as http:
        text = (await http.get("/initiatives")).text
        assert "School in Kayes" in text and "Flood relief" in text and "Mentoring newcomers" not in text
        assert '<label for="kind">' in text and '<label for="place">' in text
        text = (await http.get("/initiatives", params={"kind": "development"})).text
        assert "School in Kayes" in text and "Flood relief" not in text
        text = (await http.get("/initiatives", params={"status": "proposed"})).text
        assert "School in Kayes" not in text and "Flood relief" in text
        text = (await http.get("/initiatives", params={"place": "libya"})).text
        assert "School in Kayes" not in text and "Flood relief" in text and "Show all" in text
        network = (await http.get("/initiatives/network")).text
        assert "Mentoring newcomers" in network and 'href="http://c.test/initiatives/x1"' in network
        assert "Association of Lyon" in network and "School in Kayes" not in network
