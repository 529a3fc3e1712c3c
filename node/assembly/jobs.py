"""The assembly jobs of the queue: a vote opens at its opening time and closes at its closing time."""

from __future__ import annotations

from node.core import jobs
from node.core.runtime import Node
from node.assembly import votes


def job_handlers(node: Node) -> dict[str, jobs.JobHandler]:
    return votes.job_handlers(node)
