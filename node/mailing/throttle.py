"""How many messages this node hands to its mail server per minute (`[mail] per_minute`), every sender
and every process together: a moving window in the counter store the rate limits use
(node/core/counters.py: memory, or the Redis all processes share). A sender asks for its turn before
each message; when the window is full it learns how long to wait (and its job runs again then)."""

from __future__ import annotations

import time

from limits import RateLimitItemPerMinute
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError

from node.core.counters import Outage, open_storage
from node.core.runtime import Node

_EXTRA = "mail_throttle"
_outage = Outage("mail throttle")


def _limiter(node: Node) -> MovingWindowRateLimiter:
    found = node.extra.get(_EXTRA)
    if not isinstance(found, MovingWindowRateLimiter):
        found = node.extra[_EXTRA] = MovingWindowRateLimiter(open_storage(node.settings.limits))
    return found


async def turn(node: Node) -> float:
    """0.0 when a message may be sent now (it is counted), else the seconds until the window has room."""
    item = RateLimitItemPerMinute(node.settings.mail.per_minute)
    limiter = _limiter(node)
    try:
        if await limiter.hit(item, "mail", "send"):
            _outage.ok()
            return 0.0
        reset, _ = await limiter.get_window_stats(item, "mail", "send")
    except StorageError as exc:  # a counter store that does not answer does not stop the mail
        _outage.failed(exc)
        return 0.0
    return max(0.05, reset - time.time())
