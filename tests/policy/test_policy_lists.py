"""Block and allow lists: Mastodon CSV import and export (round trip, formula-safe cells), plain and JSON
lists, all-or-nothing refusal of a bad file with its line number, and subscriptions to remote lists
(drafts approved or rejected, entries leaving the list, auto-approve, the self-rescheduling job)."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import timedelta
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from node.core import jobs
from node.policy import policy, jobs as policy_jobs, rules, subscriptions, transfer
from node.core.models import AuditEntry, Job
from node.policy.models import DomainPolicy, PolicySubscription
from node.policy.domains import PolicyError
from node.policy.lists import ListError, parse
from node.core.runtime import Node
from tests.conftest import Federation

HEADER = "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate"
MASTODON_CSV = f"""{HEADER}
hate.example,suspend,false,false,"hate speech, harassment",false
loud.example,silence,true,false,,false
pics.example,noop,true,true,=HYPERLINK("http://evil.example"),false
secret.example,suspend,false,false,-spam,true
"""


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


async def test_a_mastodon_csv_imports_and_exports_back_the_same(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    with a.ctx:
        result = await transfer.import_list(a, MASTODON_CSV, "block", source="blocks.csv", by="cli")
        assert sorted(result.created) == ["hate.example", "loud.example", "pics.example", "secret.example"]
        rule = await DomainPolicy.get(domain="pics.example")
        assert (rule.action, rule.reject_media, rule.reject_reports) == ("noop", True, True)
        assert rule.public_comment == '=HYPERLINK("http://evil.example")'
        assert "blocks.csv" in rule.private_comment
        assert await policy.is_blocked(a, "https://hate.example/users/x")
        assert await policy.is_silenced(a, "https://loud.example/users/x")
        exported = await transfer.export_csv("block")
        assert (await AuditEntry.get(action="domain.import_block")).details["created"] == 4
    rows = rows_of(exported)
    assert rows[0] == HEADER.split(",")
    assert ["hate.example", "suspend", "false", "false", "hate speech, harassment", "false"] in rows
    formula = next(r for r in rows if r[0] == "pics.example")
    assert formula[4] == "'=HYPERLINK(\"http://evil.example\")"  # a spreadsheet shows it, never runs it
    assert next(r for r in rows if r[0] == "secret.example")[4] == "'-spam"
    with b.ctx:
        await transfer.import_list(b, exported, "block", source="a.test export", by="cli")
        again = await transfer.export_csv("block")
        comments = {r.domain: r.public_comment for r in await DomainPolicy.all()}
    assert rows_of(again) == rows  # the round trip changes nothing
    assert comments["pics.example"] == '=HYPERLINK("http://evil.example")' and comments["secret.example"] == "-spam"


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (f"{HEADER}\ngood.example,suspend,false,false,,false\nbad.example,banish,false,false,,false\n", "line 3"),
        (f"{HEADER}\ngood.example,suspend,false,false,,false\n\nbad.example,suspend,maybe,false,,false\n", "line 4"),
        (f"{HEADER}\ngood.example,suspend\nnot a domain,suspend\n", "line 3"),
        (f"{HEADER}\ngood.example,suspend,false,false,,false,extra\n", "line 2"),
        (f'{HEADER}\ngood.example,suspend,false,false,"open quote,false\n', "line"),
        ("good.example\nother.example\nbad domain here\n", "line 3"),
        ('[{"domain": "good.example"}, {"severity": "suspend"}]', "entry 2"),
    ],
)
async def test_a_bad_list_is_refused_with_its_line_and_nothing_applied(node: Node, text: str, where: str) -> None:
    with node.ctx:
        with pytest.raises(ListError) as refused:
            await transfer.import_list(node, text, "block", source="bad.csv", by="cli")
        assert where in str(refused.value)
        assert await DomainPolicy.all().count() == 0
        assert not await policy.is_blocked(node, "good.example")


def test_plain_and_json_lists_are_read_and_obfuscated_entries_skipped() -> None:
    plain = parse("# a comment\nOne.example\n\n*.two.example\n")
    assert [e.domain for e in plain.entries] == ["one.example", "two.example"] and plain.format == "plain"
    mastodon_api = parse('[{"domain": "spam.example", "digest": "x", "severity": "silence", "comment": "spam"},'
                         ' {"domain": "ev**.example", "severity": "suspend"}]', "application/json")
    assert [(e.domain, e.severity, e.public_comment) for e in mastodon_api.entries] == [("spam.example", "silence", "spam")]
    assert mastodon_api.skipped == 1
    gotosocial = parse('[{"domain": "a.example", "public_comment": "x", "obfuscate": true}]')
    assert gotosocial.entries[0].obfuscate
    headerless = parse("c.example,silence,true\n")
    assert (headerless.entries[0].severity, headerless.entries[0].reject_media) == ("silence", True)
    reordered = parse("#severity,#domain\nsilence,d.example\n")
    assert (reordered.entries[0].domain, reordered.entries[0].severity) == ("d.example", "silence")


async def test_allow_lists_and_existing_rules(node: Node) -> None:
    with node.ctx:
        await rules.save_rule(node, "kept.example", "silence", public_comment="ours", by="cli")
        result = await transfer.import_list(node, f"{HEADER}\nkept.example,suspend,,,theirs,\n", "block", by="cli")
        assert result.created == [] and result.existing == 1
        assert (await DomainPolicy.get(domain="kept.example")).action == "silence"  # the admin's rule stays
        await transfer.import_list(node, "#domain\nfriends.example\nneighbours.example\n", "allow", by="cli")
        exported = await transfer.export_csv("allow")
    assert rows_of(exported) == [["#domain"], ["friends.example"], ["neighbours.example"]]


class ListServer:
    """A remote list with an ETag, answering If-None-Match with 304."""

    def __init__(self) -> None:
        self.text = ""
        self.status = 200
        self.requests: list[dict[str, str]] = []
        self.app = Starlette(routes=[Route("/list.csv", self.serve)])

    async def serve(self, request: Request) -> Response:
        self.requests.append(dict(request.headers))
        if self.status != 200:
            return PlainTextResponse("gone", status_code=self.status)
        etag = '"' + hashlib.sha256(self.text.encode()).hexdigest()[:16] + '"'
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers={"ETag": etag})
        return PlainTextResponse(self.text, media_type="text/csv", headers={"ETag": etag})


@pytest.fixture
def lists(federation: Federation) -> ListServer:
    server = ListServer()
    federation.network.add("lists.test", server.app)
    return server


def csv_list(*rows: str) -> str:
    return HEADER + "\n" + "\n".join(rows) + "\n"


async def test_a_subscription_brings_drafts_that_an_admin_decides(federation: Federation, lists: ListServer) -> None:
    a = await federation.add_node("a.test")
    lists.text = csv_list("one.example,suspend,false,false,spam,false", "two.example,silence,false,false,,false",
                          "three.example,suspend,false,false,,false")
    with a.ctx:
        sub = await subscriptions.add_subscription(a, "http://lists.test/list.csv", "block", refresh_hours=6, by="cli")
    await federation.settle()
    with a.ctx:
        drafts = {r.domain: r for r in await DomainPolicy.filter(state="draft")}
        assert sorted(drafts) == ["one.example", "three.example", "two.example"]
        assert not await policy.is_blocked(a, "one.example")  # drafts do not apply
        # The job rescheduled itself, refresh_hours later:
        nxt = [j for j in await Job.filter(kind=subscriptions.SUBSCRIPTION_JOB, status="queued")]
        assert len(nxt) == 1 and nxt[0].run_at > jobs.utcnow() + timedelta(hours=5, minutes=59)
        await rules.decide_draft(a, drafts["one.example"].id, True, by="cli")
        await rules.decide_draft(a, drafts["two.example"].id, False, by="cli")
        assert await policy.is_blocked(a, "https://one.example/users/x")
        assert not await policy.is_silenced(a, "https://two.example/users/x")
        sub = await PolicySubscription.get(id=sub.id)
        assert sub.last_error is None and sub.last_fetched_at is not None

        # Unchanged list: nothing to do (a 304 when the client sends If-None-Match, else the same hash).
        outcome = await policy_jobs.refresh(a, sub)
        assert outcome.ok and not outcome.changed

        # The list changes: one.example and three.example leave it, four.example comes; the rejected
        # two.example is not proposed again.
        lists.text = csv_list("two.example,silence,false,false,,false", "four.example,suspend,false,false,,false")
        outcome = await policy_jobs.refresh(a, sub)
        assert outcome.changed, outcome.message
        states = {(r.domain, r.state) for r in await DomainPolicy.all()}
        assert states == {("two.example", "rejected"), ("four.example", "draft")}
        assert not await policy.is_blocked(a, "one.example")  # left the list, never edited: removed


async def test_an_edited_rule_stays_when_its_list_drops_it(federation: Federation, lists: ListServer) -> None:
    a = await federation.add_node("a.test")
    lists.text = csv_list("one.example,suspend,false,false,,false")
    with a.ctx:
        sub = await subscriptions.add_subscription(a, "http://lists.test/list.csv", "block", auto_approve=True, by="cli")
        outcome = await policy_jobs.refresh(a, sub)
        assert outcome.result and outcome.result.created == 1
        assert await policy.is_blocked(a, "one.example")  # auto-approved
        await rules.save_rule(a, "one.example", "suspend", public_comment="confirmed by us", by="cli")
        lists.text = csv_list("other.example,silence,false,false,,false")
        await policy_jobs.refresh(a, sub)
        assert await policy.is_blocked(a, "one.example")
        assert await policy.is_silenced(a, "https://other.example/users/x")
        await subscriptions.remove_subscription(a, sub.id, by="cli")
        assert not await policy.is_silenced(a, "https://other.example/users/x")  # its rules went with it
        assert await policy.is_blocked(a, "one.example")  # the edited one is ours now


async def test_a_list_that_fails_changes_nothing_and_stays_scheduled(federation: Federation, lists: ListServer) -> None:
    a = await federation.add_node("a.test")
    lists.text = csv_list("one.example,suspend,false,false,,false", "bad domain,suspend,false,false,,false")
    with a.ctx:
        await subscriptions.add_subscription(a, "http://lists.test/list.csv", "block", auto_approve=True, by="cli")
    await federation.settle()
    with a.ctx:
        sub = await PolicySubscription.get(url="http://lists.test/list.csv")
        assert sub.last_error and "line 3" in sub.last_error
        assert await DomainPolicy.all().count() == 0
        lists.status = 404
        outcome = await policy_jobs.refresh(a, sub)
        assert not outcome.ok and "404" in outcome.message
        assert await Job.filter(kind=subscriptions.SUBSCRIPTION_JOB, status="queued").count() == 1


async def test_refresh_jobs_are_restored_at_start(federation: Federation, lists: ListServer) -> None:
    a = await federation.add_node("a.test")
    with a.ctx:
        sub = await subscriptions.add_subscription(a, "http://lists.test/list.csv", "allow", by="cli")
        await Job.filter(kind=subscriptions.SUBSCRIPTION_JOB).delete()
        assert await policy_jobs.ensure_refresh_jobs(a) == 1
        assert await policy_jobs.ensure_refresh_jobs(a) == 0
        await subscriptions.remove_subscription(a, sub.id, by="cli")
    await federation.settle()  # the job of a removed subscription ends the chain
    with a.ctx:
        assert await Job.filter(kind=subscriptions.SUBSCRIPTION_JOB, status="queued").count() == 0


async def test_subscriptions_are_validated(node: Node) -> None:
    with node.ctx:
        for url, kind, hours in (("ftp://x.example/l", "block", 24), ("http://x.example/l", "mute", 24),
                                 ("http://x.example/l", "block", 0)):
            with pytest.raises(PolicyError):
                await subscriptions.add_subscription(node, url, kind, refresh_hours=hours, by="cli")
        await subscriptions.add_subscription(node, "http://x.example/l", "block", by="cli")
        with pytest.raises(PolicyError):
            await subscriptions.add_subscription(node, "http://x.example/l", "block", by="cli")


