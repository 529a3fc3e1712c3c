"""The test of issue 14's assembly votes: 50 members, a secret ballot, two proxies and a missed quorum
(20 of 50 vote, the quorum is 50 %): "quorum not reached", turnout 40 %, the tally right; the stored
ballots hold no voter; each member checks their own ballot with their receipt; the result is for
members only (visitors and ActivityPub clients get 404); the audit log has the opening, the proxies and
the closing. Through the app's real pages, with the service casting the ballots nobody needs to click."""

from __future__ import annotations

import re
from typing import Any

from tortoise import connections

from node.core.models import AuditEntry, User
from node.core.runtime import Node
from node.assembly import ballots, proxies
from node.assembly.models import Ballot, Vote, Voter
from tests.assembly.common import crowd, post, session, soon
from tests.conftest import client_for

RECEIPT = re.compile(r'<code dir="ltr" id="receipt">([A-Z0-9-]+)</code>')
ROLES = ["admin", "moderator", "editor", "member"]


async def _made_and_opened(node: Node) -> int:
    async with session(node, "boss01") as boss:
        response = await post(boss, "/admin/votes", {
            "action": "create", "title": "Approve the accounts of 2026", "text": "The **accounts** are attached. <script>alert(1)</script>",
            "options": "", "max_choices": "1", "abstain": "on", "roles": ROLES, "ballot": "secret", "quorum": "50%",
            "majority": "simple", "max_proxies": "1", "closes_at": soon().strftime("%Y-%m-%dT%H:%M")})
        assert response.status_code == 303, response.text
        found = re.fullmatch(r"/admin/votes/(\d+)", response.headers["location"])
        assert found
        vote_id = int(found.group(1))
        response = await post(boss, f"/admin/votes/{vote_id}", {"action": "open"})
        assert response.status_code == 303, response.text
    return vote_id


def _receipt(html: str) -> str:
    found = RECEIPT.search(html)
    assert found, html
    return found.group(1)


async def test_fifty_members_a_secret_ballot_two_proxies_and_a_missed_quorum(node: Node) -> None:
    with node.ctx:
        await crowd(node, 1, prefix="boss", role="admin")
        members = {u.username: u for u in await crowd(node, 49)}
        assert await User.all().count() == 50
    vote_id = await _made_and_opened(node)
    with node.ctx:
        vote = await Vote.get(id=vote_id)
        assert (vote.status, vote.secret, vote.quorum_percent) == ("open", True, 50)
        assert await Voter.filter(vote_id=vote_id).count() == 50
        await proxies.give(vote, members["m03"], members["m04"])  # the second proxy, by the service

    async with session(node, "m01") as m01:  # the first proxy, through the page
        response = await post(m01, f"/votes/{vote_id}/proxy", {"holder": "m02"})
        assert response.status_code == 303, response.text
        assert "You gave your vote to m02." in (await m01.get(f"/votes/{vote_id}")).text

    async with session(node, "m02") as m02:  # the holder votes for themselves, then separately for m01
        page = (await m02.get(f"/votes/{vote_id}")).text
        assert "Ballot for m01 (you hold their proxy)" in page and "Your ballot" in page
        assert "<strong>accounts</strong> are attached." in page and "<script>alert" not in page
        response = await post(m02, f"/votes/{vote_id}/ballot", {"choice": "0"})
        assert response.status_code == 200, response.text
        own_receipt = _receipt(response.text)
        response = await post(m02, f"/votes/{vote_id}/ballot", {"choice": "0", "for": "m01"})
        assert response.status_code == 200, response.text
        proxy_receipt = _receipt(response.text)
        assert own_receipt != proxy_receipt
        again = await post(m02, f"/votes/{vote_id}/ballot", {"choice": "1"})  # one member, one vote
        assert again.status_code == 409 and "already voted" in again.text

    async with session(node, "m01") as m01:  # the giver whose proxy was used cannot vote
        response = await post(m01, f"/votes/{vote_id}/ballot", {"choice": "1"})
        assert response.status_code == 409 and "m02, who held your proxy, has already voted for you." in response.text
        response = await post(m01, f"/votes/{vote_id}/proxy/revoke", {})
        assert response.status_code == 409 and "cannot be revoked" in response.text

    with node.ctx:
        vote = await Vote.get(id=vote_id)
        codes = [await ballots.cast(vote, members["m04"], [1]),
                 await ballots.cast(vote, members["m04"], [1], for_user=members["m03"])]
        for name in (f"m{i:02d}" for i in range(5, 15)):
            codes.append(await ballots.cast(vote, members[name], [0]))  # 10 more for: 12
        for name in ("m15", "m16", "m17", "m18"):
            codes.append(await ballots.cast(vote, members[name], [1]))  # 4 more against: 6
        for name in ("m19", "m20"):
            codes.append(await ballots.cast(vote, members[name], []))  # blank: 2
        stored = await _no_voter_in_the_ballots(vote, list(members.values()))
        if connections.get("default").capabilities.dialect == "sqlite":  # the table has no rowid
            scanned = [row["receipt_hash"] for row in stored]
            cast_order = [ballots.receipt_hash(vote, code) for code in codes]
            assert [h for h in scanned if h in cast_order] != cast_order  # stored in the keys' random order
            assert [row["id"] for row in stored] == sorted(row["id"] for row in stored)
            [table] = await connections.get("default").execute_query_dict(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'assembly_ballots'")
            assert table["sql"].endswith("WITHOUT ROWID")
        before_close = set(await Ballot.filter(vote_id=vote_id).values_list("id", flat=True))

    async with session(node, "boss01") as boss:
        response = await post(boss, f"/admin/votes/{vote_id}", {"action": "close"})
        assert response.status_code == 303, response.text
        audit_page = (await boss.get(f"/admin/votes/{vote_id}")).text
        assert "vote.open" in audit_page and "vote.proxy" in audit_page and "vote.close" in audit_page

    with node.ctx:
        vote = await Vote.get(id=vote_id)
        assert vote.status == "closed"
        assert vote.result == {"counts": [12, 6], "ballots": 20, "blank": 2, "eligible": 50, "turnout_percent": 40.0,
                               "quorum_met": False, "winners": [], "outcome": "no-quorum"}
        after_close = set(await Ballot.filter(vote_id=vote_id).values_list("id", flat=True))
        assert len(after_close) == 20 and not after_close & before_close  # rewritten with new keys at close
        await _no_voter_in_the_ballots(vote, list(members.values()))
        actions = await AuditEntry.filter(target=f"/votes/{vote_id}").order_by("id").values_list("action", flat=True)
        assert actions == ["vote.create", "vote.open", "vote.proxy", "vote.proxy", "vote.close"]

    async with session(node, "m02") as m02:
        page = (await m02.get(f"/votes/{vote_id}")).text
        assert "Quorum not reached" in page and "40.0 % (20 ballots of 50 eligible voters, proxies included)" in page
        assert re.search(r"In favour</td><td class=\"num\">12<", page) and re.search(r"Opposed</td><td class=\"num\">6<", page)
        assert "m05" not in page and "Who voted what" not in page  # a secret ballot names nobody
        response = await post(m02, f"/votes/{vote_id}/receipt", {"code": proxy_receipt.lower().replace("-", " ")})
        assert response.status_code == 200 and "Your ballot is in the count, with the choice: In favour" in response.text
        response = await post(m02, f"/votes/{vote_id}/receipt", {"code": "AAAA-BBBB-CCCC-DDDD"})
        assert response.status_code == 404 and "No ballot of this vote has that receipt code." in response.text
        response = await post(m02, f"/votes/{vote_id}/ballot", {"choice": "0", "for": ""})
        assert response.status_code == 409 and "closed" in response.text

    async with client_for(node) as visitor:
        for accept in ("text/html", "application/activity+json", 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'):
            response = await visitor.get(f"/votes/{vote_id}", headers={"Accept": accept})
            assert response.status_code == 404, accept
            assert "Approve the accounts" not in response.text
        assert (await visitor.get("/votes", follow_redirects=False)).status_code == 303  # to the login page


async def _no_voter_in_the_ballots(vote: Vote, members: list[User]) -> list[dict[str, Any]]:
    """The stored ballots, read with SQL: only the key, the vote, the choice and the receipt's hash; no
    member's id or name in any of them; keys random, not sequential."""
    rows = await connections.get("default").execute_query_dict(
        "SELECT * FROM assembly_ballots WHERE vote_id = ?" if connections.get("default").capabilities.dialect == "sqlite"
        else "SELECT * FROM assembly_ballots WHERE vote_id = $1", [vote.id])
    assert len(rows) == 20
    ids = [row["id"] for row in rows]
    names = {m.username for m in members}
    for row in rows:
        assert set(row) == {"id", "vote_id", "choices", "receipt_hash", "voter_id", "cast_by_id"}
        assert row["voter_id"] is None and row["cast_by_id"] is None
        assert re.fullmatch(r"[0-9a-f]{32}", row["id"]) and re.fullmatch(r"[0-9a-f]{64}", row["receipt_hash"])
        assert not {str(v) for v in row.values()} & names
    assert len(set(ids)) == 20 and len({row["receipt_hash"] for row in rows}) == 20
    voter_columns = await connections.get("default").execute_query_dict("SELECT * FROM assembly_voters LIMIT 1")
    assert set(voter_columns[0]) == {"id", "vote_id", "user_id", "role", "voted"}  # and nothing about a ballot
    return rows
