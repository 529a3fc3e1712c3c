"""The rules of a vote through its pages: proxies (the limit, never to oneself, no chains, revoking),
who is eligible (the snapshot at opening), one ballot per member, nothing after closing (by the job at
the closing time), open ballots naming the voters, drafts seen and changed by admins only, and a clear
4xx page for every refused form."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from node.core.models import AuditEntry, Job, User
from node.core.runtime import Node
from node.assembly import votes
from node.assembly.inputs import VoteInput
from node.assembly.models import Proxy, Vote, Voter
from node.accounts.deletion import delete_account
from tests.assembly.common import PASSWORD, crowd, open_vote, post, session, soon
from tests.conftest import client_for


async def test_proxies_the_limit_oneself_chains_and_revoking(node: Node) -> None:
    with node.ctx:
        await crowd(node, 8)
    vote = await open_vote(node, max_proxies=1)
    path = f"/votes/{vote.id}"
    async with session(node, "m01") as m01:
        assert (await post(m01, f"{path}/proxy", {"holder": "m01"})).status_code == 400
        response = await post(m01, f"{path}/proxy", {"holder": "nobody"})
        assert response.status_code == 400 and "No member has that username." in response.text
        assert (await post(m01, f"{path}/proxy", {"holder": "@m02"})).status_code == 303
        again = await post(m01, f"{path}/proxy", {"holder": "m03"})
        assert again.status_code == 409 and "You already gave your vote to m02" in again.text
    async with session(node, "m03") as m03:
        response = await post(m03, f"{path}/proxy", {"holder": "m02"})
        assert response.status_code == 409 and "m02 already holds the most proxies this vote allows (1)." in response.text
        response = await post(m03, f"{path}/proxy", {"holder": "m01"})  # m01 gave theirs: no chain
        assert response.status_code == 409 and "m01 gave their own vote to someone else" in response.text
    async with session(node, "m02") as m02:
        response = await post(m02, f"{path}/proxy", {"holder": "m04"})  # m02 holds m01's vote: no chain
        assert response.status_code == 409 and "cannot give their own vote in turn" in response.text
    async with session(node, "m01") as m01:
        response = await post(m01, f"{path}/ballot", {"choice": "0"})
        assert response.status_code == 409 and "revoke the proxy first" in response.text
        assert (await post(m01, f"{path}/proxy/revoke", {})).status_code == 303
        assert "Your proxy to m02 is revoked" in (await m01.get(path)).text
    async with session(node, "m02") as m02:
        response = await post(m02, f"{path}/ballot", {"choice": "1", "for": "m01"})
        assert response.status_code == 403 and "m01 has not given you their vote, or has revoked it." in response.text
    async with session(node, "m01") as m01:
        assert (await post(m01, f"{path}/ballot", {"choice": "0"})).status_code == 200
        response = await post(m01, f"{path}/proxy", {"holder": "m05"})
        assert response.status_code == 409 and "You have already voted" in response.text
    with node.ctx:
        statuses = await Proxy.filter(vote_id=vote.id).order_by("id").values_list("status", flat=True)
        assert statuses == ["revoked"]
        actions = await AuditEntry.filter(target=f"/votes/{vote.id}").order_by("id").values_list("action", flat=True)
        assert actions[-2:] == ["vote.proxy", "vote.proxy_revoke"]


async def test_only_the_members_of_the_snapshot_vote(node: Node) -> None:
    with node.ctx:
        await crowd(node, 3)
        await crowd(node, 1, prefix="editor", role="editor")
        await crowd(node, 1, prefix="gone")
        await User.filter(username="gone01").update(disabled=True)
    vote = await open_vote(node, roles=("member", "editor"))
    editors_only = await open_vote(node, title="Board budget", roles=("editor",))
    with node.ctx:
        await crowd(node, 1, prefix="late")  # joined after the vote opened
        await User.filter(username="gone01").update(disabled=False)
        names = await Voter.filter(vote_id=vote.id).prefetch_related("user")
        assert sorted(v.user.username for v in names) == ["editor01", "m01", "m02", "m03"]
    for name in ("late01", "gone01"):
        async with session(node, name) as late:
            page = (await late.get(f"/votes/{vote.id}")).text
            assert "You are not among the eligible voters of this vote" in page and 'name="choice"' not in page
            response = await post(late, f"/votes/{vote.id}/ballot", {"choice": "0"})
            assert response.status_code == 403 and "You are not among the eligible voters" in response.text
            response = await post(late, f"/votes/{vote.id}/proxy", {"holder": "m01"})
            assert response.status_code == 403
    async with session(node, "m01") as m01:
        assert (await post(m01, f"/votes/{editors_only.id}/ballot", {"choice": "0"})).status_code == 403
        response = await post(m01, f"/votes/{vote.id}/proxy", {"holder": "late01"})
        assert response.status_code == 403 and "late01 is not an eligible voter of this vote." in response.text
    async with session(node, "editor01") as editor:
        assert (await post(editor, f"/votes/{editors_only.id}/ballot", {"choice": "0"})).status_code == 200


async def test_the_job_closes_the_vote_at_its_closing_time_and_later_ballots_are_refused(node: Node) -> None:
    with node.ctx:
        await crowd(node, 3)
    vote = await open_vote(node, quorum_count=2)
    with node.ctx:
        job = await Job.get(kind=votes.CLOSE_JOB)
        assert job.run_at == vote.closes_at and job.payload == {"vote": vote.id}
    async with session(node, "m01") as m01:
        assert (await post(m01, f"/votes/{vote.id}/ballot", {"choice": "0"})).status_code == 200
    async with session(node, "m02") as m02:
        assert (await post(m02, f"/votes/{vote.id}/ballot", {"choice": "1"})).status_code == 200
    past = datetime.now(timezone.utc) - timedelta(seconds=1)
    with node.ctx:
        await Vote.filter(id=vote.id).update(closes_at=past)
        await Job.filter(id=job.id).update(run_at=past)
    await node.extra["worker"].drain()
    with node.ctx:
        vote = await Vote.get(id=vote.id)
        assert vote.status == "closed" and vote.result["outcome"] == "rejected"  # a tie decides nothing
        close = await AuditEntry.get(action="vote.close", target=f"/votes/{vote.id}")
        assert close.by == "system" and close.details["turnout_percent"] == 66.7
    async with session(node, "m03") as m03:
        response = await post(m03, f"/votes/{vote.id}/ballot", {"choice": "0"})
        assert response.status_code == 409 and "This vote is closed" in response.text
        page = (await m03.get(f"/votes/{vote.id}")).text
        assert "Rejected" in page and "66.7 %" in page


async def test_a_vote_past_its_closing_time_is_counted_when_its_page_is_read(node: Node) -> None:
    with node.ctx:
        await crowd(node, 2)
    vote = await open_vote(node)
    with node.ctx:
        await Vote.filter(id=vote.id).update(closes_at=datetime.now(timezone.utc) - timedelta(seconds=1))
    async with session(node, "m01") as m01:
        page = (await m01.get(f"/votes/{vote.id}")).text
        assert "Turnout" in page and "0.0 %" in page
        assert "Approve the accounts of 2026" in (await m01.get("/votes")).text


async def test_an_open_ballot_names_who_voted_what_and_for_whom(node: Node) -> None:
    with node.ctx:
        await crowd(node, 3)
    vote = await open_vote(node, options=("Alice", "Bashir", "Chen"), max_choices=2, secret=False, max_proxies=2)
    path = f"/votes/{vote.id}"
    async with session(node, "m01") as m01:
        assert (await post(m01, f"{path}/proxy", {"holder": "m02"})).status_code == 303
    async with session(node, "m02") as m02:
        too_many = await post(m02, f"{path}/ballot", {"choice": ["0", "1", "2"]})
        assert too_many.status_code == 400 and "Choose at most 2 options." in too_many.text
        assert (await post(m02, f"{path}/ballot", {"choice": ["1", "2"]})).status_code == 200
        assert (await post(m02, f"{path}/ballot", {"choice": ["0"], "for": "m01"})).status_code == 200
    async with session(node, "m03") as m03:
        assert (await post(m03, f"{path}/ballot", {"choice": ["2", "0"]})).status_code == 200
    with node.ctx:
        await votes.close_vote(None, await Vote.get(id=vote.id))
    async with session(node, "m03") as m03:
        page = (await m03.get(path)).text
    assert "Who voted what (open ballot)" in page
    assert "<bdi>m02</bdi></td>" in page and "<bdi>m01</bdi> (by proxy: m02)" in page
    assert "Decided" in page and "<bdi>Chen</bdi>" in page


async def test_drafts_are_for_admins_and_change_only_before_opening(node: Node) -> None:
    with node.ctx:
        await crowd(node, 2)
        await crowd(node, 1, prefix="boss", role="admin")
    async with session(node, "boss01") as boss:
        base = {"action": "create", "title": "New statutes", "roles": ["member"], "ballot": "open", "majority": "two-thirds",
                "closes_at": soon().strftime("%Y-%m-%dT%H:%M")}
        response = await post(boss, "/admin/votes", {**base, "quorum": "half"})
        assert response.status_code == 400 and "neither a share like 50% nor a number" in response.text
        assert 'value="New statutes"' in response.text  # the form again, with what was typed
        response = await post(boss, "/admin/votes", {**base, "closes_at": "2001-01-01T10:00"})
        assert response.status_code == 400 and "The closing time must be in the future." in response.text
        response = await post(boss, "/admin/votes", {**base, "roles": []})
        assert response.status_code == 400 and "Choose at least one role" in response.text
        response = await post(boss, "/admin/votes", base)
        assert response.status_code == 303
        vote_id = int(response.headers["location"].rsplit("/", 1)[1])
        async with session(node, "m01") as m01:
            assert (await m01.get(f"/votes/{vote_id}")).status_code == 404  # a draft
            assert "New statutes" not in (await m01.get("/votes")).text
            assert (await post(m01, f"/votes/{vote_id}/proxy", {"holder": "m02"})).status_code == 404
            assert (await post(m01, f"/admin/votes/{vote_id}", {"action": "open"})).status_code == 403
            assert (await m01.get("/admin/votes")).status_code == 403
        response = await post(boss, f"/admin/votes/{vote_id}", {**base, "action": "edit", "title": "New statutes (v2)",
                                                                "quorum": "30%"})
        assert response.status_code == 303, response.text
        assert (await post(boss, f"/admin/votes/{vote_id}", {"action": "open"})).status_code == 303
        response = await post(boss, f"/admin/votes/{vote_id}", {**base, "action": "edit", "title": "Sneaky"})
        assert response.status_code == 409 and "Only a draft can be changed" in response.text
        response = await post(boss, f"/admin/votes/{vote_id}", {"action": "open"})
        assert response.status_code == 409
        assert "vote.edit" in (await boss.get(f"/admin/votes/{vote_id}")).text
    with node.ctx:
        vote = await Vote.get(id=vote_id)
        assert (vote.title, vote.quorum_percent, vote.majority, vote.status) == ("New statutes (v2)", 30, "two-thirds", "open")
        edit = await AuditEntry.get(action="vote.edit", target=f"/votes/{vote_id}")
        assert edit.details["changed"]["title"] == "New statutes (v2)" and edit.details["changed"]["quorum_percent"] == 30
        assert await Voter.filter(vote_id=vote_id).count() == 2  # members only: not the admin


async def test_a_proxy_given_before_opening_is_void_when_its_giver_is_not_in_the_snapshot(node: Node) -> None:
    with node.ctx:
        await crowd(node, 3)
        hidden = await votes.create_vote(None, VoteInput(title="Not announced", closes_at=soon(), roles=("member",)))
        vote = await votes.create_vote(None, VoteInput(title="Move the office", closes_at=soon(), roles=("member",),
                                                       opens_at=soon(1), max_proxies=2))
    async with session(node, "m01") as m01:
        assert (await post(m01, f"/votes/{hidden.id}/proxy", {"holder": "m02"})).status_code == 404
        assert "Move the office" in (await m01.get("/votes")).text  # announced: it opens at a set time
        page = (await m01.get(f"/votes/{vote.id}")).text
        assert "The vote is not open yet. You can already give your vote to another member." in page
        assert (await post(m01, f"/votes/{vote.id}/proxy", {"holder": "m02"})).status_code == 303
        response = await post(m01, f"/votes/{vote.id}/ballot", {"choice": "0"})
        assert response.status_code == 409 and "not open yet" in response.text
    async with session(node, "m03") as m03:
        assert (await post(m03, f"/votes/{vote.id}/proxy", {"holder": "m02"})).status_code == 303
    with node.ctx:
        job = await Job.get(kind=votes.OPEN_JOB)
        assert job.payload == {"vote": vote.id} and job.run_at == vote.opens_at
        await User.filter(username="m03").update(role="editor")
        await votes.open_due(now=soon(1) + timedelta(seconds=1))
        assert (await Vote.get(id=vote.id)).status == "open"
        statuses = dict(await Proxy.filter(vote_id=vote.id).values_list("giver__username", "status"))
        assert statuses == {"m01": "active", "m03": "void"}
        opened = await AuditEntry.get(action="vote.open", target=f"/votes/{vote.id}")
        assert (opened.by, opened.details["eligible"], opened.details["void_proxies"]) == ("system", 2, 1)


async def test_refused_forms_get_clear_4xx_pages(node: Node) -> None:
    with node.ctx:
        await crowd(node, 2)
    vote = await open_vote(node, abstain=False, max_proxies=0)
    path = f"/votes/{vote.id}"
    async with session(node, "m01") as m01:
        response = await post(m01, f"{path}/proxy", {"holder": "m02"})
        assert response.status_code == 403 and "This vote allows no proxies." in response.text
        for data, status, text in (({"choice": "7"}, 400, "That choice is not one of this"),
                                   ({"choice": "x"}, 400, "That choice is not one of this"),
                                   ({}, 400, "Choose an option"),
                                   ({"choice": "blank"}, 400, "this vote has no blank ballot"),
                                   ({"choice": ["0", "1"]}, 400, "Choose at most 1 options."),
                                   ({"choice": "0", "for": "nobody"}, 400, "No member has that username.")):
            response = await post(m01, f"{path}/ballot", data)
            assert (response.status_code, text in response.text) == (status, True), (data, response.text[-800:])
        assert (await m01.post(f"{path}/ballot", data={"choice": "0", "csrf": "wrong"})).status_code == 403
        for missing in ("/votes/999999", "/votes/abc", "/votes/99999999999999999999999"):
            assert (await m01.get(missing)).status_code == 404
        assert (await post(m01, "/votes/999999/ballot", {"choice": "0"})).status_code == 404
    async with client_for(node) as visitor:
        assert (await visitor.post(f"{path}/ballot", data={"choice": "0"})).status_code == 404


async def test_a_vote_in_another_language_is_shown_in_the_readers_language(node: Node) -> None:
    with node.ctx:
        await crowd(node, 1)
        await crowd(node, 1, prefix="boss", role="admin")
    form = {"action": "create", "title": "Approve the accounts", "text": "The *accounts*.", "roles": ["member"],
            "ballot": "secret", "majority": "simple", "closes_at": soon().strftime("%Y-%m-%dT%H:%M")}
    async with session(node, "boss01") as boss:
        response = await post(boss, "/admin/votes", {**form, "tr0_language": "ar", "tr0_title": ""})
        assert response.status_code == 400 and "needs its language tag" in response.text
        response = await post(boss, "/admin/votes", {**form, "tr0_language": "AR", "tr0_title": "الموافقة على الحسابات",
                                                     "tr0_text": "*الحسابات*."})
        assert response.status_code == 303, response.text
        vote_id = int(response.headers["location"].rsplit("/", 1)[1])
        assert 'value="الموافقة على الحسابات"' in (await boss.get(f"/admin/votes/{vote_id}")).text  # the draft's form
        assert (await post(boss, f"/admin/votes/{vote_id}", {"action": "open"})).status_code == 303
    with node.ctx:
        assert (await Vote.get(id=vote_id)).translations == {"ar": {"title": "الموافقة على الحسابات", "text": "*الحسابات*."}}
    async with session(node, "m01") as m01:
        page = (await m01.get(f"/votes/{vote_id}")).text
        assert "<h1><span dir=\"auto\">Approve the accounts</span></h1>" in page and "<em>accounts</em>" in page
        m01.cookies.set("lang", "ar")
        page = (await m01.get(f"/votes/{vote_id}")).text
        assert 'dir="rtl"' in page and "الموافقة على الحسابات</span></h1>" in page and "<em>الحسابات</em>" in page


async def test_a_member_who_deletes_their_account_after_voting_stays_counted_as_eligible(node: Node) -> None:
    with node.ctx:
        await crowd(node, 4)
    vote = await open_vote(node, quorum_percent=60)
    async with session(node, "m01") as m01:
        assert (await post(m01, f"/votes/{vote.id}/ballot", {"choice": "0"})).status_code == 200
    async with session(node, "m02") as m02:
        assert (await post(m02, f"/votes/{vote.id}/ballot", {"choice": "0"})).status_code == 200
    with node.ctx:
        await delete_account(node, await User.get(username="m01"), PASSWORD)
        assert await Voter.filter(vote_id=vote.id).count() == 3  # their row went with the account
        closed = await votes.close_vote(None, await Vote.get(id=vote.id))
    # 2 ballots of the 4 members of the snapshot: 50 %, under the quorum (not 2 of 3, 66.7 %, over it).
    assert closed.result["eligible"] == 4 and closed.result["ballots"] == 2
    assert closed.result["turnout_percent"] == 50.0 and not closed.result["quorum_met"]
