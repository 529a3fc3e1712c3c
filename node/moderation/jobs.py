"""Background job kinds of the moderation area (kind -> handler), registered by node.app.

Moderation needs none of its own: a forwarded report is an ordinary outgoing activity (node/reports.py
publishes the `Flag`, and delivery's fan-out and delivery jobs send and retry it), and received Flags
arrive through the inbox job like every activity."""

from __future__ import annotations

from node.core import jobs
from node.core.runtime import Node


def job_handlers(node: Node) -> dict[str, jobs.JobHandler]:
    return {}
