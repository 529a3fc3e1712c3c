"""The worker's lasting name: a restart on the same data directory takes its previous run's name (and
hands back the leases that run left), a second live process never takes it; a claim whose answer was
lost is handed back instead of waiting for its lease."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from node.core import jobs, supervise, worker_identity
from node.core.models import Job
from node.core.runtime import Node
from tests.helpers import eventually

HOLD_A_SLOT = """
import sys, time
from pathlib import Path
from node.core import worker_identity
identity = worker_identity.claim(Path(sys.argv[1]))
print(identity.worker_id, flush=True)
time.sleep(60)
"""


def test_two_live_processes_get_two_names_and_a_restart_gets_the_first(tmp_path: Path) -> None:
    first = worker_identity.claim(tmp_path)
    second = worker_identity.claim(tmp_path)
    assert first.stable and second.stable
    assert first.worker_id.endswith("-0") and second.worker_id.endswith("-1")
    assert first.worker_id.rsplit("-", 1)[0] == second.worker_id.rsplit("-", 1)[0]  # one token per directory
    first.release()  # the first process ends
    again = worker_identity.claim(tmp_path)
    assert again.worker_id == first.worker_id
    again.release()
    second.release()


def test_a_slot_held_by_another_process_is_free_again_once_it_is_killed(tmp_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLD_A_SLOT, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        held = holder.stdout.readline().strip()
        mine = worker_identity.claim(tmp_path)
        assert held.endswith("-0") and mine.worker_id.endswith("-1")
        mine.release()
    finally:
        holder.kill()
        holder.wait(10)
    after = worker_identity.claim(tmp_path)
    assert after.worker_id == held  # SIGKILL dropped the lock: the restarted node is the dead one
    after.release()


def test_an_unusable_data_directory_gives_a_name_for_this_run_only(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    identity = worker_identity.claim(blocked / "data")
    assert not identity.stable and identity.worker_id.startswith("t-")


class Recorder:
    def __init__(self) -> None:
        self.seen: list[tuple[int, int]] = []

    async def work(self, payload: Mapping[str, Any], attempt: int) -> None:
        self.seen.append((payload["n"], attempt))


async def wait_for_count(recorder: Recorder, count: int) -> None:
    assert await eventually(lambda: len(recorder.seen) >= count), f"{len(recorder.seen)} of {count} jobs ran"


async def test_a_restarted_node_hands_back_its_own_leases_but_not_a_live_workers(node: Node) -> None:
    recorder = Recorder()
    data = Path(node.settings.data_dir)
    live = worker_identity.claim(data)  # slot 0: a live worker, busy with two jobs
    with node.ctx:
        for n in range(2):
            await jobs.enqueue("work", {"n": n})
        held = await jobs.claim(live.worker_id, 10, 3600)
        assert len(held) == 2
    node.extra["worker"] = jobs.Worker({"work": recorder.work}, ctx=node.ctx, poll_interval=0.02)
    stop = asyncio.Event()
    task = asyncio.create_task(supervise.run_worker(node, stop))  # slot 1
    await asyncio.sleep(0.3)
    stop.set()
    await asyncio.wait_for(task, 10)
    assert node.extra["worker"].worker_id.endswith("-1") and recorder.seen == []
    with node.ctx:
        assert {(j.status, j.locked_by) for j in await Job.all()} == {("running", live.worker_id)}
    live.release()  # the live worker is killed: its name is free, its leases remain
    stop = asyncio.Event()
    task = asyncio.create_task(supervise.run_worker(node, stop))  # slot 0 again: the restart
    try:
        await wait_for_count(recorder, 2)
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
    assert node.extra["worker"].worker_id == live.worker_id
    assert sorted(recorder.seen) == [(0, 2), (1, 2)]  # the interrupted attempt counts
    with node.ctx:
        assert {j.status for j in await Job.all()} == {"done"}


async def test_a_claim_whose_answer_was_lost_is_handed_back_at_once(node: Node, monkeypatch: Any) -> None:
    recorder = Recorder()
    worker = jobs.Worker({"work": recorder.work}, ctx=node.ctx, worker_id="W", poll_interval=0.02,
                         lease_seconds=3600)
    real_claim = jobs.claim
    lost: list[int] = []

    async def claim_then_lose_the_answer(worker_id: str, limit: int, lease: float) -> list[Job]:
        claimed = await real_claim(worker_id, limit, lease)
        if claimed and not lost:
            lost.extend(job.id for job in claimed)
            raise ConnectionResetError(104, "Connection reset by peer")  # committed, never answered
        return claimed

    monkeypatch.setattr(jobs, "claim", claim_then_lose_the_answer)
    with node.ctx:
        for n in range(3):
            await jobs.enqueue("work", {"n": n})
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run_forever(stop))
    try:
        await wait_for_count(recorder, 3)  # not after the hour-long lease
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
    assert len(lost) == 3 and sorted(recorder.seen) == [(0, 1), (1, 1), (2, 1)]  # never ran: not counted
    with node.ctx:
        assert {j.status for j in await Job.all()} == {"done"}
