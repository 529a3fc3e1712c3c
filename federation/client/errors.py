"""The errors of outgoing requests: :class:`FetchError` and the two subclasses the delivery policy
(``federation.delivery``) classifies failures by."""

from __future__ import annotations


class FetchError(Exception):
    """An outgoing request failed; ``str(e)`` is the reason."""

    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class DestinationRefused(FetchError):
    """The URL was refused before any connection: bad scheme, private address, ..."""


class NetworkFailure(FetchError):
    """Connection-level failure: DNS, connect, TLS, protocol error or timeout."""
