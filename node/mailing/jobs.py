"""The mailing jobs of the queue: confirmation requests (subscribers.py), items as they are published
and digests (digests.py), members' notifications by email (notify_mail.py). `ensure_jobs` restores
the periodic chains."""

from __future__ import annotations

from node.core import jobs
from node.core.runtime import Node
from node.mailing import digests, notify_mail, subscribers

ensure_jobs = digests.ensure_jobs


def job_handlers(node: Node) -> dict[str, jobs.JobHandler]:
    return {**subscribers.job_handlers(node), **digests.job_handlers(node), **notify_mail.job_handlers(node)}
