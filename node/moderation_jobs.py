"""STUB: background job kinds of this module (kind -> handler), registered by node.app."""

from __future__ import annotations

from node import jobs
from node.runtime import Node


def job_handlers(node: Node) -> dict[str, jobs.JobHandler]:
    return {}
