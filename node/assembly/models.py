"""The assembly tables (Tortoise models of the app "models", alongside node/core/models.py)."""

from __future__ import annotations
