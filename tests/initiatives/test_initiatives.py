"""Initiatives on one node: lifecycle, pledges, the ledger, support, export and import, the CLI."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from federation.events import Place
from node.accounts.actors import local_actor
from node.initiatives.documents import initiative_doc
from node.initiatives.initiatives import add_ledger_entry, create_initiative, post_progress, set_status, update_initiative
from node.initiatives.inputs import TRANSITIONS, InitiativeError, InitiativeInput, NeedInput
from node.initiatives.ledger import ledger_totals
from node.initiatives.pledges import need_progress, pledge
from node.initiatives.support import support, unsupport
from node.initiatives.transfer import export_json, import_json
from node.core.models import Activity, Actor
from node.initiatives.models import Initiative, LedgerEntry, Need, Pledge, Support
from node.core.runtime import Node
from tests.conftest import Federation, client_for, member
from tests.cli.test_cli import clean_environment, cli, config, database_url, in_db, one_line_error  # noqa: F401

SCHOOL = InitiativeInput(
    title="Rebuild the school of Kayes", kind="development", summary="A roof and benches before the rains",
    description="The school lost its roof in **August**.", language="en", tags=("education",),
    place_there=Place(name="Kayes primary school", locality="Kayes", country="Mali"),
    place_here=Place(name="Maison des associations", locality="Montreuil", country="France"),
    responsible=("Aminata Diallo",),
    needs=(
        NeedInput(kind="money", title="Roof", goal="5000", currency="EUR"),
        NeedInput(kind="volunteers", title="Masons", skills=("masonry",), quantity=4),
        NeedInput(kind="materials", title="Benches", quantity=30),
    ),
)


async def school(node: Node) -> Initiative:
    return await create_initiative(node, await local_actor("asso"), SCHOOL)


async def test_lifecycle_transitions_are_enforced_and_dated(node: Node) -> None:
    with node.ctx:
        initiative = await school(node)
        assert initiative.status == "proposed" and [h["status"] for h in initiative.status_history] == ["proposed"]
        with pytest.raises(InitiativeError, match="status: an initiative that is proposed cannot become achieved"):
            await set_status(node, initiative, "achieved")
        await set_status(node, initiative, "active")
        await set_status(node, initiative, "achieved")
        await set_status(node, initiative, "closed")
        for target in TRANSITIONS:
            with pytest.raises(InitiativeError, match="cannot become"):
                await set_status(node, initiative, target)
        with pytest.raises(InitiativeError, match="status: must be one of"):
            await set_status(node, initiative, "finished")
        stored = await Initiative.get(id=initiative.id)
        assert [h["status"] for h in stored.status_history] == ["proposed", "active", "achieved", "closed"]
        assert all(h["at"].endswith("Z") for h in stored.status_history)
        kinds = await Activity.filter(outgoing=True, uri__startswith=initiative.uri).values_list("kind", flat=True)
        assert sorted(kinds) == ["Create", "Update", "Update", "Update"]
    assert TRANSITIONS["abandoned"] == set() and TRANSITIONS["proposed"] == {"active", "abandoned"}


@pytest.mark.parametrize(("inp", "reason"), [
    (InitiativeInput(title=" ", kind="development"), "title: required"),
    (InitiativeInput(title="x", kind="charity"), "kind: must be one of"),
    (InitiativeInput(title="x", kind="cultural", cover_url="javascript:alert(1)"), "cover_url: must be an http"),
    (InitiativeInput(title="x", kind="cultural", needs=(NeedInput(kind="money", title="Funds", goal="12abc", currency="EUR"),)),
     r"needs\[0\].goal: not a number"),
    (InitiativeInput(title="x", kind="cultural", needs=(NeedInput(kind="money", title="Funds", goal="100"),)),
     r"needs\[0\].goal: needs a currency"),
    (InitiativeInput(title="x", kind="cultural", needs=(NeedInput(kind="volunteers", title="People", quantity=0),)),
     r"needs\[0\].quantity: must be between"),
    (InitiativeInput(title="x", kind="cultural", needs=(NeedInput(kind="food", title="Rice"),)), r"needs\[0\].kind"),
])
async def test_bad_initiatives_are_refused_naming_the_field(node: Node, inp: InitiativeInput, reason: str) -> None:
    with node.ctx:
        with pytest.raises(InitiativeError, match=reason):
            await create_initiative(node, await local_actor("asso"), inp)
        assert not await Initiative.exists()


async def test_pledges_per_kind_of_need(node: Node) -> None:
    bob, _ = await member(node, "bob")
    with node.ctx:
        initiative = await school(node)
        money, masons, benches = await Need.filter(initiative=initiative).order_by("position")
        await pledge(node, money, actor=bob, amount="1250.50")
        await pledge(node, money, name="Fatou", email="fatou@example.org", amount="100")
        await pledge(node, masons, actor=bob)  # one volunteer by default
        await pledge(node, masons, name="Issa", quantity=2)
        await pledge(node, benches, name="Carpenters of Montreuil", quantity=12)
        assert await need_progress(money) == (135050, 500000)
        assert await need_progress(masons) == (3, 4)
        assert await need_progress(benches) == (12, 30)
        for need, kwargs, reason in [
            (money, {"amount": "-5"}, "amount: must be more than zero"),
            (money, {"amount": "ten"}, "amount: not a number"),
            (money, {"amount": "99999999999999"}, "amount: .* absurd amount"),
            (money, {"amount": "1.234"}, "amount: .*decimals"),
            (money, {}, "amount: required"),
            (money, {"quantity": 2}, "quantity: a money need takes an amount"),
            (masons, {"amount": "10"}, "amount: a volunteers need takes a quantity"),
            (benches, {}, "quantity: required"),
            (benches, {"quantity": -1}, "quantity: must be between"),
        ]:
            with pytest.raises(InitiativeError, match=reason):
                await pledge(node, need, name="X", **kwargs)
        with pytest.raises(InitiativeError, match="name: required"):
            await pledge(node, benches, quantity=1)
        with pytest.raises(InitiativeError, match="email: not a valid"):
            await pledge(node, benches, name="X", email="nope", quantity=1)
        await set_status(node, initiative, "abandoned")
        with pytest.raises(InitiativeError, match="abandoned; it takes no more pledges"):
            await pledge(node, benches, name="Late", quantity=1)
        assert await Pledge.all().count() == 5
        doc = await initiative_doc(node, await Initiative.get(id=initiative.id))
        assert doc["needs"][0]["pledged"] == {"type": "MonetaryAmount", "amount": "1350.50", "currency": "EUR"}
        assert doc["needs"][1]["pledgedQuantity"] == 3


async def test_ledger_totals_are_derived_per_currency(node: Node) -> None:
    with node.ctx:
        initiative = await school(node)
        day = date(2026, 9, 1)
        await add_ledger_entry(node, initiative, direction="received", nature="money", description="Gala", occurred_on=day,
                               amount="1200", currency="EUR")
        await add_ledger_entry(node, initiative, direction="received", nature="money", description="Members in Bamako",
                               occurred_on=day, amount="150000", currency="XOF")
        await add_ledger_entry(node, initiative, direction="spent", nature="money", description="Sheet metal",
                               occurred_on=day, amount="350.25", currency="eur", receipt_url="https://a.test/r.pdf")
        await add_ledger_entry(node, initiative, direction="received", nature="in_kind", description="40 bags of cement",
                               occurred_on=day)
        totals = await ledger_totals(initiative)
        assert [(t.currency, t.received_minor, t.spent_minor) for t in totals] == [("EUR", 120000, 35025), ("XOF", 150000, 0)]
        for kwargs, reason in [
            ({"amount": "-10", "currency": "EUR"}, "amount: must be more than zero"),
            ({"amount": "abc", "currency": "EUR"}, "amount: not a number"),
            ({"amount": "1e9", "currency": "EUR"}, "amount: "),
            ({"amount": "10000000000000", "currency": "EUR"}, "amount: 10000000000000 is an absurd amount"),
            ({"amount": "10", "currency": "EURO"}, "amount: needs a currency"),
            ({"amount": "10", "currency": "QQQ"}, "amount: unknown currency"),
            ({"amount": None, "currency": "EUR"}, "amount: required"),
        ]:
            with pytest.raises(InitiativeError, match=reason):
                await add_ledger_entry(node, initiative, direction="received", nature="money", description="x",
                                       occurred_on=day, **kwargs)
        with pytest.raises(InitiativeError, match="in-kind entry has no amount"):
            await add_ledger_entry(node, initiative, direction="received", nature="in_kind", description="x",
                                   occurred_on=day, amount="5", currency="EUR")
        with pytest.raises(InitiativeError, match="direction: must be one of"):
            await add_ledger_entry(node, initiative, direction="lent", nature="money", description="x",
                                   occurred_on=day, amount="5", currency="EUR")
        assert await LedgerEntry.filter(initiative=initiative).count() == 4
        doc = await initiative_doc(node, initiative)
        assert doc["ledgerTotals"][0]["received"]["amount"] == "1200.00"
        assert doc["ledgerTotals"][1] == {"type": "CurrencyTotal", "currency": "XOF",
                                          "received": {"type": "MonetaryAmount", "amount": "150000", "currency": "XOF"},
                                          "spent": {"type": "MonetaryAmount", "amount": "0", "currency": "XOF"}}


async def test_support_and_unsupport_are_counted(node: Node) -> None:
    bob, _ = await member(node, "bob")
    carol, _ = await member(node, "carol")
    with node.ctx:
        initiative = await school(node)
        await support(node, initiative, bob)
        await support(node, initiative, bob)  # once per person
        await support(node, initiative, carol)
        assert (await Initiative.get(id=initiative.id)).support_count == 2
        await unsupport(node, initiative, bob)
        await unsupport(node, initiative, bob)
        assert (await Initiative.get(id=initiative.id)).support_count == 1
        assert (await initiative_doc(node, await Initiative.get(id=initiative.id)))["supportCount"] == 1


async def test_update_replaces_needs_and_keeps_matching_pledges(node: Node) -> None:
    with node.ctx:
        initiative = await school(node)
        money, masons, benches = await Need.filter(initiative=initiative).order_by("position")
        await pledge(node, masons, name="Issa", quantity=2)
        await pledge(node, benches, name="Carpenters", quantity=10)
        changed = InitiativeInput(**{**SCHOOL.__dict__, "title": "Rebuild the school of Kayes (phase 1)",
                                     "needs": (SCHOOL.needs[1], SCHOOL.needs[0])})
        await update_initiative(node, initiative, changed)
        needs = await Need.filter(initiative=initiative).order_by("position")
        assert [n.title for n in needs] == ["Masons", "Roof"]
        assert needs[0].id == masons.id and await need_progress(needs[0]) == (2, 4)
        assert await Pledge.all().count() == 1  # the benches went, with their pledge
        assert (await Initiative.get(id=initiative.id)).title.endswith("(phase 1)")


async def test_export_import_round_trip(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    with a.ctx:
        initiative = await school(a)
        money = await Need.get(initiative=initiative, kind="money")
        await pledge(a, money, name="Fatou", email="fatou@example.org", amount="100")
        await set_status(a, initiative, "active")
        await add_ledger_entry(a, initiative, direction="received", nature="money", description="Gala",
                               occurred_on=date(2026, 9, 1), amount="1200", currency="EUR")
        await add_ledger_entry(a, initiative, direction="received", nature="in_kind", description="Cement",
                               occurred_on=date(2026, 9, 2))
        exported = await export_json(await Initiative.get(id=initiative.id))
    text = json.dumps(exported)
    assert exported["agora_initiative"] == 1
    assert "fatou" not in text.lower() and exported["needs"][0]["pledge_count"] == 1
    assert exported["needs"][0]["goal"] == "5000.00" and exported["totals"][0]["received"] == "1200.00"
    with b.ctx:
        copy = await import_json(b, await local_actor("asso"), json.loads(text))
        again = await export_json(copy)
        assert copy.local and copy.uri.startswith("http://b.test/initiatives/")
    assert again["status_history"] == exported["status_history"]
    assert again["ledger"] == exported["ledger"] and again["totals"] == exported["totals"]
    same = ("title", "kind", "summary", "description", "status", "place_there", "place_here", "tags", "responsible",
            "language", "published")
    assert {k: again[k] for k in same} == {k: exported[k] for k in same}
    assert [(n["kind"], n["title"], n["goal"], n["quantity"]) for n in again["needs"]] == \
        [(n["kind"], n["title"], n["goal"], n["quantity"]) for n in exported["needs"]]


@pytest.mark.parametrize(("change", "reason"), [
    (lambda d: d["needs"][2].update(goal="lots"), r"^needs\[2\].goal: "),
    (lambda d: d["needs"][0].update(goal="abc"), r"^needs\[0\].goal: not a number$"),
    (lambda d: d["ledger"][0].update(amount="-3"), r"^ledger\[0\].amount: must be more than zero$"),
    (lambda d: d["ledger"][0].update(occurred_on="yesterday"), r"^ledger\[0\].occurred_on: not a date"),
    (lambda d: d.update(kind="other"), r"^kind: must be one of"),
    (lambda d: d.update(status="closed"), r"^status: the history ends with"),
    (lambda d: d["status_history"].insert(1, {"status": "closed", "at": "2026-01-01T00:00:00Z"}), r"^status_history\[1\].status"),
    (lambda d: d.update(agora_initiative=2), r"^agora_initiative: "),
    (lambda d: d.update(place_there={"name": "x", "planet": "Mars"}), r"^place_there.planet: unknown field"),
])
async def test_import_with_a_bad_field_names_it_and_stores_nothing(node: Node, change, reason: str) -> None:  # type: ignore[no-untyped-def]
    with node.ctx:
        initiative = await school(node)
        await set_status(node, initiative, "active")
        await add_ledger_entry(node, initiative, direction="received", nature="money", description="Gala",
                               occurred_on=date(2026, 9, 1), amount="1200", currency="EUR")
        data = await export_json(await Initiative.get(id=initiative.id))
        change(data)
        before = (await Initiative.all().count(), await Need.all().count(), await LedgerEntry.all().count(),
                  await Activity.all().count())
        with pytest.raises(InitiativeError, match=reason):
            await import_json(node, await local_actor("asso"), data)
        after = (await Initiative.all().count(), await Need.all().count(), await LedgerEntry.all().count(),
                 await Activity.all().count())
        assert before == after


def test_cli_create_export_import_and_a_refused_file(config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    c = ["--config", str(config)]
    status, out, err = cli(capsys, *c, "initiative", "create", "--title", "Flood relief", "--kind", "humanitarian",
                           "--summary", "Medical supplies for Saint-Louis", "--goal", "5000", "--currency", "EUR")
    assert status == 0, err
    url = out[-1]
    assert url.startswith("https://asso.example/initiatives/")
    status, out, err = cli(capsys, *c, "initiative", "export", url)
    assert status == 0, err
    exported = json.loads("\n".join(out))
    assert exported["needs"][0]["goal"] == "5000.00" and exported["status"] == "proposed"
    good = tmp_path / "good.json"
    good.write_text(json.dumps(exported))
    status, out, err = cli(capsys, *c, "initiative", "import", str(good))
    assert status == 0, err
    assert out[-1].startswith("https://asso.example/initiatives/") and out[-1] != url

    exported["needs"][0]["goal"] = "a lot"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(exported))
    status, out, err = cli(capsys, *c, "initiative", "import", str(bad))
    assert status == 2 and not out
    one_line_error(err, f"{bad}: needs[0].goal: not a number")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    status, _, err = cli(capsys, *c, "initiative", "import", str(broken))
    assert status == 2
    one_line_error(err, f"{broken}: not JSON")
    status, _, err = cli(capsys, *c, "initiative", "create", "--title", "x", "--kind", "cultural", "--goal", "-5", "--currency", "EUR")
    assert status == 2
    one_line_error(err, "needs[0].goal: must be more than zero")

    async def count() -> int:
        return await Initiative.all().count()

    assert in_db(config, count) == 2


async def test_progress_posts_are_served_in_the_initiatives_context(node: Node) -> None:
    with node.ctx:
        initiative = await school(node)
        post = await post_progress(node, initiative, "The roof is **done**")
    async with client_for(node) as http:
        note = (await http.get(post.uri, headers={"Accept": "application/activity+json"})).json()
    assert note["context"] == initiative.uri and note["inReplyTo"] == initiative.uri
    assert "<strong>done</strong>" in note["content"]
