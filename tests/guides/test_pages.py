"""Guide pages on a real app and database: who may write (editors, trusted writers) and who proposes
(other members), accepting a proposal, history, diff and revert through the forms, the review flag,
the AS2 answer at a guide's address, feeds, search, odd input, and the page weight."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from node.core.models import User
from node.guides import access
from node.guides.models import Guide, GuideRevision
from node.core.models import Actor
from tests.conftest import Federation, client_for, member
from tests.helpers import csrf_of, logged_in

BUDGET = 50 * 1024
FORM = {"title": "Opening a bank account", "topic": "money", "language": "en", "note": "first",
        "text": "Any bank must open a **basic account**; ask the Banque de France if refused.",
        "position": "", "review_days": "", "tr_count": "1", "tr0_language": "ar", "tr0_title": "فتح حساب مصرفي",
        "tr0_text": "يحق لك فتح **حساب أساسي** في أي بنك."}


async def created(http: object, **changes: str) -> str:
    token = await csrf_of(http, "/guides/new")  # type: ignore[arg-type]
    response = await http.post("/guides/new", data={**FORM, **changes, "csrf": token})  # type: ignore[attr-defined]
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


async def test_editors_write_members_propose_and_editors_accept(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with logged_in(a, "carla", "editor") as editor:
        path = await created(editor)
        assert path == "/guides/opening-a-bank-account"
        page = await editor.get(path)
        assert page.status_code == 200 and "<strong>basic account</strong>" in page.text
        assert "Last reviewed on" in page.text and "by carla" in page.text
        arabic = await editor.get(path + "?lang=ar")
        assert 'lang="ar" dir="rtl"' in arabic.text and "حساب أساسي" in arabic.text
        assert (await editor.get("/guides/topics/money")).text.count(path) == 1
        full = await editor.get("/guides/topics/money/all")
        assert full.status_code == 200 and "<strong>basic account</strong>" in full.text
        bad = await editor.post("/guides/new", data={**FORM, "title": "", "csrf": await csrf_of(editor, "/guides/new")})
        assert bad.status_code == 400 and "give the guide a title" in bad.text and "Banque de France" in bad.text
        bad = await editor.post("/guides/new", data={**FORM, "topic": "nowhere", "csrf": await csrf_of(editor, "/guides/new")})
        assert bad.status_code == 400 and "there is no topic nowhere" in bad.text

    async with logged_in(a, "mona", "member") as mona:
        assert (await mona.get("/guides/new")).status_code == 403
        form = await mona.get(path + "/edit")
        assert form.status_code == 200 and "Send the proposal" in form.text
        token = await csrf_of(mona, path + "/edit")
        response = await mona.post(path + "/edit", data={**FORM, "text": FORM["text"] + "\n\nBring a proof of address.",
                                                         "note": "proof of address", "csrf": token})
        assert response.status_code == 303 and response.headers["location"] == path + "?proposed=1"
        assert "proof of address" not in (await mona.get(path)).text
        assert (await mona.get(path + "/proposals")).status_code == 403

    async with logged_in(a, "dina", "editor") as dina:
        queue = await dina.get(path + "/proposals")
        assert "Proposed by mona" in queue.text
        proposal = re.search(r'action="/guides/proposals/(\d+)"', queue.text).group(1)  # type: ignore[union-attr]
        token = await csrf_of(dina, path + "/proposals")
        assert (await dina.post(f"/guides/proposals/{proposal}", data={"csrf": token, "decision": "accept"})).status_code == 303
        assert "Bring a proof of address." in (await dina.get(path)).text
        history = await dina.get(path + "/history")
        assert "mona" in history.text and "accepted by dina" in history.text and "proof of address" in history.text
        ids = re.findall(r'name="to" value="(\d+)"', history.text)
        diff = await dina.get(f"{path}/diff?from={ids[1]}&to={ids[0]}")
        assert diff.status_code == 200 and "<ins>" in diff.text and "Bring a proof of address." in diff.text
        assert (await dina.get(f"{path}/diff?from=abc&to={ids[0]}")).status_code == 400
        assert (await dina.get(f"{path}/diff?from=999999&to={ids[0]}")).status_code == 404
        token = await csrf_of(dina, path + "/history")
        assert (await dina.post(path + "/revert", data={"csrf": token, "revision": ids[1]})).status_code == 303
        assert "Bring a proof of address." not in (await dina.get(path)).text
        assert "Reverted to revision 1" in (await dina.get(path + "/history")).text


async def test_trusted_writers_save_directly(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with logged_in(a, "carla", "editor") as editor:
        path = await created(editor)
    async with logged_in(a, "tariq", "member") as tariq:
        with a.ctx:
            await access.trust(await Actor.get(username="tariq", domain=a.urls.host))
        assert (await tariq.get("/guides/new")).status_code == 200
        token = await csrf_of(tariq, path + "/edit")
        response = await tariq.post(path + "/edit", data={**FORM, "title": "Bank accounts", "csrf": token})
        assert response.status_code == 303 and response.headers["location"] == path
        assert "Bank accounts" in (await tariq.get(path)).text
        assert (await tariq.post(path + "/review", data={"csrf": token})).status_code == 403  # editors only


async def test_review_flag_admin_console_and_wire(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with logged_in(a, "carla", "editor") as editor:
        path = await created(editor)
        with a.ctx:
            await Guide.filter(slug=path.rsplit("/", 1)[1]).update(reviewed_at=datetime.now(timezone.utc) - timedelta(days=200))
        page = await editor.get(path)
        assert "This guide is due for review." in page.text
        assert path in (await editor.get("/guides/review")).text
        token = await csrf_of(editor, path)
        assert (await editor.post(path + "/review", data={"csrf": token})).status_code == 303
        assert "This guide is due for review." not in (await editor.get(path)).text
    async with logged_in(a, "root", "admin") as admin:
        console = await admin.get("/admin/guides")
        assert console.status_code == 200 and "Trusted guide writers" in console.text
        token = await csrf_of(admin, "/admin/guides")
        await member(a, "tariq")
        assert (await admin.post("/admin/guides", data={"csrf": token, "action": "trust", "username": "tariq"})).status_code == 303
        assert (await admin.post("/admin/guides", data={"csrf": token, "action": "topic", "slug": "transport",
                                                        "name": "Transport"})).status_code == 303
        assert (await admin.post("/admin/guides", data={"csrf": token, "action": "interval", "days": "30"})).status_code == 303
        with a.ctx:
            user = await User.get(username="tariq")
            assert await access.is_trusted(user)
        assert "Transport" in (await admin.get("/guides/new")).text
    async with client_for(a) as visitor:
        doc = await visitor.get(path, headers={"Accept": "application/activity+json"})
        assert doc.status_code == 200 and doc.headers["content-type"].startswith("application/activity+json")
        body = doc.json()
        assert body["type"] == "Article" and body["guideTopic"] == "money" and body["nameMap"]["ar"] == "فتح حساب مصرفي"
        assert (await visitor.get(path)).headers["content-type"].startswith("text/html")
        feed = await visitor.get("/guides/topics/money/feed.atom")
        assert feed.status_code == 200 and "Opening a bank account" in feed.text
        assert "Opening a bank account" in (await visitor.get("/guides/topics/money/feed.rss")).text
        assert (await visitor.get("/guides/topics/nowhere/feed.rss")).status_code == 404
        found = await visitor.get("/search", params={"q": "حساب أساسي"})
        assert path in found.text  # found in Arabic
        assert (await visitor.get("/guides/nothing-here")).status_code == 404
        assert (await visitor.get("/guides/network/abc")).status_code == 404
        assert (await visitor.get(path + "/edit")).status_code == 303  # to the login page


@pytest.mark.parametrize("role", ["editor"])
async def test_pages_weigh_under_50_kb_with_their_css(federation: Federation, role: str) -> None:
    a = await federation.add_node("a.test")
    async with logged_in(a, "carla", role) as editor:
        path = await created(editor, text=FORM["text"] * 40)
        await created(editor, title="Second guide")
        css = len((await editor.get("/static/agora.css")).content)
        for page in ("/guides", "/guides/topics/money", "/guides/topics/money/all", path, path + "/edit",
                     path + "/history", "/guides/network", "/guides/review", "/guides/new"):
            response = await editor.get(page)
            assert response.status_code == 200, page
            assert len(response.content) + css < BUDGET, f"{page}: {len(response.content)} + {css} bytes"
    with a.ctx:
        assert await GuideRevision.filter(status="accepted").count() == 2
