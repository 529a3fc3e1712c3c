"""The job that reads the bounce mailbox (`[mail] bounce_mailbox`)."""

from __future__ import annotations

from node.core import jobs
from node.core.runtime import Node


def job_handlers(node: Node) -> dict[str, jobs.JobHandler]:
    return {}
