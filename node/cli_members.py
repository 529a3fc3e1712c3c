"""STUB: `agora` subcommands registered by this module."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    """Add subcommands to the `agora` parser's subparsers (argparse._SubParsersAction)."""
    return None
