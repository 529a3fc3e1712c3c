"""A node killed with SIGKILL in the middle of a fan-out (a real `agora serve` process, on SQLite or
PostgreSQL) and started again on the same data: it hands its previous run's leases back at once (the
lease here is an hour, so waiting them out would fail the test) and delivers the rest. Only the
deliveries under way at the kill can be sent twice (at most the worker's concurrency, 8: their answer
was never read), since every finished delivery is marked done at once: fewer than 1 % of the inboxes
of a 1,000-follower fan-out, whatever the machine's load (with 300 followers the same at most 8 would
be up to 2.7 %)."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from node.core.settings import load_settings
from tests.conftest import migrated_database
from tests.core.agora_process import (
    deliveries, free_port, prepare, start_agora, stop, wait_for, wait_settled, write_config,
)
from tests.core.inbox_sink import InboxCounter, served

INBOXES = 1000
KILL_AFTER = 300  # POSTs received when the node is killed
CONCURRENCY = 8  # the default of [worker] concurrency


async def test_a_node_killed_mid_fanout_delivers_the_rest_at_restart_with_few_duplicates(tmp_path: Path) -> None:
    sink = InboxCounter()
    data = tmp_path / "node"
    data.mkdir()
    log = tmp_path / "serve.log"
    async with served(sink.app) as sink_port:
        port = free_port()
        config = write_config(data, port, await migrated_database(data), "lease_seconds = 3600")
        settings = load_settings(config, env={})
        await prepare(settings, f"http://127.0.0.1:{sink_port}", INBOXES)
        first = start_agora(config, log, "serve", "--port", str(port))

        def kill(received: int) -> None:  # at the arrival of the KILL_AFTER-th POST, before answering it
            if received == KILL_AFTER:
                first.send_signal(signal.SIGKILL)

        sink.on_received = kill
        try:
            await wait_for(sink.when_received(KILL_AFTER), first, log, timeout=60)
        finally:
            sink.on_received = None
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        await asyncio.sleep(1.0)  # the POSTs the node wrote before it died are still in the sink's sockets
        at_kill = sink.received
        assert at_kill < INBOXES, "the fan-out ended before the kill: nothing was tested"
        done_at_kill = await deliveries(settings, "done")
        second = start_agora(config, log, "serve", "--port", str(port))
        try:
            await wait_for(sink.when_received(INBOXES), second, log, timeout=60)
            await sink.wait_inboxes(INBOXES, timeout=60)  # not after the hour-long lease
            await wait_settled(settings)
        finally:
            stop(second)
    rate = sink.twice / INBOXES
    print(f"\nkilled when {at_kill} POSTs had arrived ({done_at_kill} marked done); restarted: {sink.inboxes} "
          f"of {INBOXES} inboxes got the post, {sink.twice} twice ({rate:.1%})")
    assert sink.inboxes == INBOXES
    assert sink.twice == at_kill - done_at_kill  # exactly the deliveries whose end was not yet recorded
    assert sink.twice <= CONCURRENCY  # ... which were under way: no finished one waited for a batch
    assert rate < 0.01, f"{sink.twice} inboxes got the post twice"
    assert "handed back" in log.read_text()  # the restarted node said what it did
