"""Delivery health in the admin console: a parked host, and "retry now" that delivers what waited."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta, timezone

from node.accounts.actors import fetch_actor
from node.posts.content import Draft, create_post
from node.social.delivery import DELIVER
from node.core.models import AuditEntry, Host, Job, Post
from node.social.social import follow
from node.web.pages import association_actor
from tests import helpers
from tests.conftest import Federation, member
from tests.helpers import CSRF


# The staff in these tests have replaced their one-time password.
logged_in = functools.partial(helpers.logged_in, password_changed=True)


async def test_retry_now_revives_a_parked_host_and_delivers_its_dead_deliveries(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    bob, _ = await member(b, "bob")
    with b.ctx:
        await follow(b, bob, await fetch_actor(b, a.urls.actor("asso")))
    await federation.settle()

    federation.network.down.add("b.test")  # b stops answering
    with a.ctx:
        asso = await association_actor(a)
        assert asso is not None
        post = await create_post(a, asso, Draft(text="Assembly moved to Sunday"))
    await federation.settle()  # fan-out, then one failed delivery attempt (retried later)
    with a.ctx:
        job = await Job.get(kind=DELIVER, status="queued")
        assert job.last_error and "b.test" in job.payload["inbox"]
        host = await Host.get(domain="b.test")
        assert host.failures == 1
        # As after days of failures: the delivery was given up and the host is parked.
        await Job.filter(id=job.id).update(status="dead", attempts=18, finished_at=datetime.now(timezone.utc))
        await Host.filter(id=host.id).update(failures=9, first_failure_at=datetime.now(timezone.utc) - timedelta(days=3),
                                             next_probe_at=datetime.now(timezone.utc) + timedelta(hours=6))
    a.extra.get("host_health", {}).clear()

    federation.network.down.discard("b.test")  # b is back, but nothing would be sent to it any more
    await federation.settle()
    with b.ctx:
        assert not await Post.filter(uri=post.uri).exists()

    async with logged_in(a, "root", "admin") as http:
        page = await http.get("/admin/delivery")
        assert page.status_code == 200
        row = page.text[page.text.index("<td>b.test</td>"):]
        assert "parked" in row[:600] and "1 given up" in row[:1500] and "no route to b.test" in row[:1500]
        token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
        response = await http.post("/admin/delivery", data={"csrf": token, "host": "b.test"})
        assert response.status_code == 303
        assert "1 deliveries will be tried now" in (await http.get("/admin/delivery")).text
        nothing = await http.post("/admin/delivery", data={"csrf": token, "host": "unknown.test"})
        assert nothing.status_code == 303
    with a.ctx:
        job = await Job.get(id=job.id)
        assert job.status == "queued" and job.attempts == 0
        host = await Host.get(domain="b.test")
        assert host.failures == 0 and host.first_failure_at is None and host.next_probe_at is None

    await federation.settle()
    with a.ctx:
        assert (await Job.get(id=job.id)).status == "done"
        assert [e.action for e in await AuditEntry.all()] == ["delivery.retry"]
    with b.ctx:
        assert await Post.filter(uri=post.uri).exists()  # delivered at last


async def test_delivery_page_lists_hosts_with_waiting_deliveries_and_is_calm_when_all_is_well(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with logged_in(a, "root", "admin") as http:
        calm = await http.get("/admin/delivery")
        assert "Every server receives its deliveries" in calm.text
        with a.ctx:
            await Job.create(kind=DELIVER, payload={"activity": "x", "actor": 1, "inbox": "https://c.test/inbox"},
                             run_at=datetime.now(timezone.utc) + timedelta(minutes=5),
                             dedupe_key="deliver http://a.test/activities/x https://c.test/inbox")
            await Job.create(kind=DELIVER, payload={"activity": "y", "actor": 1, "inbox": "https://d.test:8443/inbox"},
                             run_at=datetime.now(timezone.utc), status="dead")
        page = await http.get("/admin/delivery")
    assert "<td>c.test</td>" in page.text and "1 waiting" in page.text
    assert "<td>d.test:8443</td>" in page.text and "1 given up" in page.text
