"""The notifications of inbound activities written together (node/social/notify.py, NotificationWriter):
rows gathered while one write is under way go in the next, an existing dedupe key adds nothing, and a
failed write fails only the job whose write it was."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from node.accounts.actors import local_actor
from node.core.models import Actor, Notification
from node.core.runtime import Node
from node.social import notify
from node.social.notify import NotificationWriter
from tests.conftest import Federation, member


@pytest.fixture
async def a(federation: Federation) -> Node:
    node = await federation.add_node("a.test")
    await member(node, "amal")
    return node


async def remote(n: int) -> Actor:
    return await Actor.create(uri=f"http://b.test/users/u{n}", local=False, kind="Person", username=f"u{n}",
                              domain="b.test", inbox=f"http://b.test/users/u{n}/inbox")


async def rows_for(recipient: Actor, source: Actor, cause: str) -> list[Notification]:
    rows: list[Notification] = []
    token = notify._GATHERED.set(rows)
    try:
        assert await notify.notify(recipient, "like", source, cause, "http://a.test/p/1", "text") is not None
    finally:
        notify._GATHERED.reset(token)
    return rows


async def test_rows_gathered_during_a_write_go_together_and_duplicates_add_nothing(a: Node) -> None:
    writer = NotificationWriter()
    with a.ctx:
        amal = await local_actor("amal")
        assert amal is not None
        sources = [await remote(n) for n in range(12)]
        jobs = [await rows_for(amal, s, f"http://b.test/likes/{n}") for n, s in enumerate(sources)]
        jobs.append(await rows_for(amal, sources[0], "http://b.test/likes/0"))  # the same activity again
        assert await Notification.all().count() == 0  # gathered, not written
        await asyncio.gather(*(writer.write(rows) for rows in jobs))
        assert writer.writes == 2  # the first job's row, then all that arrived meanwhile
        causes = await Notification.filter(recipient=amal).values_list("source_id", flat=True)
        assert sorted(causes) == sorted(s.id for s in sources)
        await writer.write(await rows_for(amal, sources[3], "http://b.test/likes/3"))  # a replay, later
        assert await Notification.filter(recipient=amal).count() == 12


async def test_a_failed_write_fails_its_own_job_only(a: Node, monkeypatch: pytest.MonkeyPatch) -> None:
    writer = NotificationWriter()
    calls: list[int] = []
    real = Notification.bulk_create

    async def flaky(rows: list[Notification], **kwargs: Any) -> Any:
        calls.append(len(rows))
        if len(calls) == 1:
            raise ConnectionError("the database went away")
        return await real(rows, **kwargs)

    with a.ctx:
        amal = await local_actor("amal")
        assert amal is not None
        sources = [await remote(n) for n in range(4)]
        jobs = [await rows_for(amal, s, f"http://b.test/likes/{n}") for n, s in enumerate(sources)]
        monkeypatch.setattr(Notification, "bulk_create", flaky)
        results = await asyncio.gather(*(writer.write(rows) for rows in jobs), return_exceptions=True)
        assert isinstance(results[0], ConnectionError) and results[1:] == [None, None, None]
        stored = await Notification.filter(recipient=amal).values_list("source_id", flat=True)
        assert sorted(stored) == sorted(s.id for s in sources[1:])
