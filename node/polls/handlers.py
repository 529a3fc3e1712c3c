"""Inbound activities of polls: votes, and other servers' questions and their counts."""

from __future__ import annotations
