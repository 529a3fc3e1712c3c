"""Cells of the CSV files the node writes (policy lists, event registrations, initiative ledgers)."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: str) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas: a visitor's name must not."""
    return "'" + value if value[:1] in FORMULA_STARTS else value
