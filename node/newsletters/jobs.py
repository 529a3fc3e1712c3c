"""The newsletters jobs of the queue: sending a mailing (node/newsletters/sending.py)."""

from __future__ import annotations

from node.core import jobs
from node.core.runtime import Node
from node.newsletters import sending


def job_handlers(node: Node) -> dict[str, jobs.JobHandler]:
    return sending.job_handlers(node)
