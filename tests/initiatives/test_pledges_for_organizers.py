"""The pledges seen by the organizers of an initiative (its organizer, editors, admins) and nobody else:
the list with name, contact, message, date, need, amount and status, its CSV (formula-safe), the
notification of each new pledge, and marking a pledge fulfilled or cancelled (a cancelled pledge no
longer counts towards its need)."""

from __future__ import annotations

import csv
import io
import re

from federation.events import Place
from node.accounts.actors import local_actor
from node.core.models import Notification, User
from node.core.runtime import Node
from node.initiatives.initiatives import create_initiative
from node.initiatives.inputs import InitiativeInput, NeedInput
from node.initiatives.models import Initiative, Need, Pledge
from node.initiatives.pledges import need_progress
from tests.conftest import Federation, client_for
from tests.helpers import CSRF, csrf_of, logged_in, publish_initiative

VISITOR = {"name": "=HYPERLINK(\"https://evil.example\")", "email": "Fatou@Example.org", "amount": "25.50",
           "message": "+33 6 12 34 56 78, call me after six"}
SECRETS = ("fatou@example.org", "call me after six", "HYPERLINK", "Bring a van")


def path_of(initiative: Initiative) -> str:
    return "/initiatives/" + initiative.uri.rsplit("/", 1)[-1]


async def with_pledges(node: Node) -> tuple[Initiative, list[Need]]:
    """An initiative with a money and a volunteers need; a visitor and the member dan pledged."""
    initiative = await publish_initiative(node, needs=(
        NeedInput(kind="money", title="Medical supplies", goal="2000", currency="EUR"),
        NeedInput(kind="volunteers", title="Drivers", quantity=4),
    ))
    with node.ctx:
        needs = await Need.filter(initiative=initiative).order_by("position")
    path = path_of(initiative)
    async with client_for(node, follow_redirects=False) as visitor:
        token = await csrf_of(visitor, path)
        response = await visitor.post(f"{path}/pledge", data={"csrf": token, "need": str(needs[0].id), **VISITOR})
        assert response.status_code == 303, response.text
    async with logged_in(node, "dan") as dan:
        token = await csrf_of(dan, path)
        response = await dan.post(f"{path}/pledge", data={"csrf": token, "need": str(needs[1].id), "quantity": "2",
                                                          "message": "Bring a van"})
        assert response.status_code == 303, response.text
    return initiative, needs


async def test_organizers_see_every_pledge_with_contact_and_message(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    initiative, _ = await with_pledges(a)
    path = path_of(initiative)
    async with logged_in(a, "carla", "editor") as http:
        page = await http.get(f"{path}/pledges")
        assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
        text = page.text
        for shown in ("=HYPERLINK(&#34;https://evil.example&#34;)", 'href="mailto:fatou@example.org"',
                      "+33 6 12 34 56 78, call me after six", "Medical supplies", "€25.50",
                      "Bring a van", "Drivers", "@dan", "Pledged"):
            assert shown in text, shown
        assert text.index("call me after six") < text.index("Bring a van")  # oldest first
        assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT', text)
        assert f'href="{path}/pledges"' in (await http.get(path)).text  # from the organizers' box

        listing = await http.get(f"{path}/pledges.csv")
        assert listing.status_code == 200 and listing.headers["content-type"].startswith("text/csv")
        assert "attachment" in listing.headers["content-disposition"]
        rows = list(csv.reader(io.StringIO(listing.text.lstrip("\ufeff"))))
    assert rows[0] == ["date", "name", "contact", "need", "kind", "quantity", "amount", "currency", "message", "status"]
    visitor, member = rows[1], rows[2]
    assert visitor[1:] == ["'=HYPERLINK(\"https://evil.example\")", "fatou@example.org", "Medical supplies", "money",
                           "", "25.50", "EUR", "'+33 6 12 34 56 78, call me after six", "pledged"]
    assert member[1:] == ["dan", "dan@a.test", "Drivers", "volunteers", "2", "", "", "Bring a van", "pledged"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", visitor[0])


async def test_a_new_pledge_notifies_the_organizer(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    initiative, _ = await with_pledges(a)
    with a.ctx:
        asso = await local_actor("asso")
        rows = await Notification.filter(recipient=asso, kind="pledge").prefetch_related("source").order_by("id")
        dan = await User.get(username="dan")
    assert [(n.object_uri, n.text) for n in rows] == [(f"{initiative.uri}/pledges", initiative.title)] * 2
    assert rows[0].source is None and rows[1].source is not None and rows[1].source.id == dan.actor_id
    async with logged_in(a, "carla", "editor") as http:
        page = (await http.get("/notifications")).text
        assert f"Someone pledged help to the initiative {initiative.title}" in page
        assert f"pledged help to the initiative {initiative.title}" in page.split("Someone pledged")[0]  # dan's, newest first
        assert f'href="{initiative.uri}/pledges"' in page
        assert "call me after six" not in page and "fatou@example.org" not in page


async def test_organizers_mark_pledges_fulfilled_or_cancelled(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    initiative, needs = await with_pledges(a)
    path = path_of(initiative)
    with a.ctx:
        money = await Pledge.get(need=needs[0])
        drivers = await Pledge.get(need=needs[1])
    async with logged_in(a, "carla", "editor") as http:
        token = await csrf_of(http, f"{path}/pledges")
        done = await http.post(f"{path}/pledges", data={"csrf": token, "pledge": str(money.id), "status": "fulfilled"})
        assert done.status_code == 303 and done.headers["location"] == f"{path}/pledges#pledge-{money.id}"
        gone = await http.post(f"{path}/pledges", data={"csrf": token, "pledge": str(drivers.id), "status": "cancelled"})
        assert gone.status_code == 303
        assert (await http.post(f"{path}/pledges", data={"pledge": str(money.id), "status": "cancelled"})).status_code == 403
        assert (await http.post(f"{path}/pledges", data={"csrf": token, "pledge": str(money.id), "status": "paid"})).status_code == 400
        assert (await http.post(f"{path}/pledges", data={"csrf": token, "pledge": "999999", "status": "cancelled"})).status_code == 400
        page = (await http.get(f"{path}/pledges")).text
        assert "Fulfilled" in page and "Cancelled" in page and "Back to pledged" in page
        public = (await http.get(path)).text.replace("\xa0", " ")
        assert "0 pledged of 4 (0%)" in public  # the cancelled drivers no longer count
        assert "€25.50 pledged of €2,000.00" in public  # fulfilled still counts
    with a.ctx:
        assert [(p.status, p.status_at is not None) for p in await Pledge.all().order_by("id")] == [
            ("fulfilled", True), ("cancelled", True)]
        assert await need_progress(needs[0]) == (2550, 200000)
        assert await need_progress(needs[1]) == (0, 4)


async def test_nobody_else_sees_contacts_or_messages(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    initiative, _ = await with_pledges(a)
    path = path_of(initiative)
    with a.ctx:
        money = await Pledge.filter(need__initiative=initiative).first()
    assert money is not None
    async with client_for(a, follow_redirects=False) as visitor:
        for target in (f"{path}/pledges", f"{path}/pledges.csv"):
            response = await visitor.get(target)
            assert response.status_code == 303 and response.headers["location"] == "/login"
        public = [(await visitor.get(path)).text, (await visitor.get(f"{path}.json")).text]
        token = CSRF.search(public[0])
        assert token is not None
        refused = await visitor.post(f"{path}/pledges", data={"csrf": token.group(1), "pledge": str(money.id), "status": "cancelled"})
        assert refused.status_code == 303 and refused.headers["location"] == "/login"
    async with logged_in(a, "erin", "member") as other:
        for target in (f"{path}/pledges", f"{path}/pledges.csv"):
            assert (await other.get(target)).status_code == 403
        token = await csrf_of(other, path)
        assert (await other.post(f"{path}/pledges", data={"csrf": token, "pledge": str(money.id), "status": "cancelled"})).status_code == 403
        public.append((await other.get(path)).text)
    async with logged_in(a, "mo", "moderator") as moderator:
        assert (await moderator.get(f"{path}/pledges")).status_code == 403
    for text in public:
        for secret in SECRETS:
            assert secret not in text and secret.lower() not in text.lower(), secret
    with a.ctx:
        assert (await Pledge.get(id=money.id)).status == "pledged"


async def test_a_member_who_organizes_the_initiative_sees_its_pledges(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with logged_in(a, "awa") as http:
        with a.ctx:
            awa = await local_actor("awa")
            assert awa is not None
            initiative = await create_initiative(a, awa, InitiativeInput(
                title="Books for Kayes", kind="cultural", summary="A library.", language="en",
                place_there=Place(name="Kayes", country="Mali"),
                needs=(NeedInput(kind="materials", title="Books", quantity=300),)))
        assert (await http.get(f"{path_of(initiative)}/pledges")).status_code == 200
    async with logged_in(a, "erin") as other:
        assert (await other.get(f"{path_of(initiative)}/pledges")).status_code == 403
