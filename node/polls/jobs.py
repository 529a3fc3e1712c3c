"""The polls jobs of the queue: the debounced Update of a poll's counts, and its closing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from node.core import jobs
from node.core.runtime import Node
from node.polls import polls


def job_handlers(node: Node) -> dict[str, jobs.JobHandler]:
    async def update(payload: Mapping[str, Any], attempt: int) -> None:
        await polls.send_update(node, int(payload["poll"]))

    async def close(payload: Mapping[str, Any], attempt: int) -> None:
        await polls.close(node, int(payload["poll"]))

    return {polls.UPDATE_JOB: update, polls.CLOSE_JOB: close}
