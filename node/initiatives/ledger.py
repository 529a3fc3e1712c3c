"""The transparency ledger: what one entry may say (money in a currency, or in kind) and the totals,
received and spent per currency, never mixed across currencies."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from federation import initiatives as wire
from federation import vocab
from node.initiatives.inputs import DIRECTIONS, NATURES, InitiativeError, checked_money
from node.initiatives.models import Initiative, LedgerEntry


async def ledger_totals(initiative: Initiative) -> list[wire.CurrencyTotal]:
    """Received and spent per currency, summed from the entries (never mixed across currencies). A
    network initiative has no entries here: its totals are the ones its node published."""
    if not initiative.local:
        return [wire.CurrencyTotal(c, int(t.get("received_minor", 0)), int(t.get("spent_minor", 0)))
                for c, t in sorted((initiative.totals or {}).items()) if isinstance(t, Mapping)]
    sums: dict[str, list[int]] = {}
    rows = await LedgerEntry.filter(initiative=initiative, nature="money").values_list("currency", "direction", "amount_minor")
    for currency, direction, amount in rows:
        if not currency or amount is None:
            continue
        pair = sums.setdefault(currency, [0, 0])
        pair[0 if direction == "received" else 1] += amount
    return [wire.CurrencyTotal(c, r, s) for c, (r, s) in sorted(sums.items())]


def ledger_values(direction: Any, nature: Any, description: Any, occurred_on: Any, amount: Any, currency: Any,
                   receipt_url: Any, prefix: str = "") -> dict[str, Any]:
    if direction not in DIRECTIONS:
        raise InitiativeError(f"{prefix}direction: must be one of {', '.join(DIRECTIONS)}")
    if nature not in NATURES:
        raise InitiativeError(f"{prefix}nature: must be one of {', '.join(NATURES)}")
    if not isinstance(description, str) or not description.strip():
        raise InitiativeError(f"{prefix}description: required")
    if len(description) > 2000:
        raise InitiativeError(f"{prefix}description: longer than 2000 characters")
    if isinstance(occurred_on, str):
        try:
            occurred_on = date.fromisoformat(occurred_on)
        except ValueError:
            raise InitiativeError(f"{prefix}occurred_on: not a date (YYYY-MM-DD)") from None
    if isinstance(occurred_on, datetime) or not isinstance(occurred_on, date):
        raise InitiativeError(f"{prefix}occurred_on: not a date (YYYY-MM-DD)")
    if occurred_on.year < 1900 or occurred_on > date.today().replace(year=date.today().year + 1):
        raise InitiativeError(f"{prefix}occurred_on: not a believable date")
    if receipt_url is not None and not vocab.is_http_url(receipt_url):
        raise InitiativeError(f"{prefix}receipt_url: must be an http(s) address")
    money = None
    if nature == "money":
        if amount is None:
            raise InitiativeError(f"{prefix}amount: required for money")
        money = checked_money(amount, currency, f"{prefix}amount")
    elif amount is not None or currency is not None:
        raise InitiativeError(f"{prefix}amount: an in-kind entry has no amount; describe it instead")
    return {
        "direction": direction, "nature": nature, "description": description.strip(), "occurred_on": occurred_on,
        "amount_minor": money.minor if money else None, "currency": money.currency if money else None,
        "receipt_url": receipt_url,
    }
