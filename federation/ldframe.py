"""The frames between the node and its LD canonicalization worker (federation/ldworker.py): a 4-byte
big-endian length, then the payload; ``READY`` is the worker's first frame. A module of its own so
that the node's side (federation/ldguard.py) needs no JSON-LD processor in its process."""

from __future__ import annotations

import struct
from typing import Final

__all__ = ["HEADER", "READY"]

HEADER: Final = struct.Struct(">I")
READY: Final = b"r"
