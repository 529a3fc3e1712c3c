"""`agora bounces`."""

from __future__ import annotations

from node.cli.common import Subparsers


def register(sub: Subparsers) -> None:
    return None
