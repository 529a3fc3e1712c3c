"""Money on the wire: ``{"type": "MonetaryAmount", "amount": "1250.50", "currency": "EUR"}``, the amount a
decimal string with at most the currency's ISO 4217 minor digits, held as minor units (:class:`Money`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

from babel.numbers import format_currency, get_currency_precision, is_currency

from federation.fields import babel_locale
from federation.initiatives.model import MAX_UNITS, Money
from federation.vocab import VocabError

_AMOUNT: Final = re.compile(r"([0-9]{1,13})(?:\.([0-9]{1,6}))?")
_CURRENCY: Final = re.compile(r"[A-Za-z]{3}")


def currency_code(code: object) -> str:
    if not isinstance(code, str) or not _CURRENCY.fullmatch(code.strip()):
        raise VocabError(f"not an ISO 4217 currency code: {str(code)[:16]!r}")
    upper = code.strip().upper()
    if not is_currency(upper):
        raise VocabError(f"unknown currency {upper!r}")
    return upper


def parse_money(amount: str, currency: str) -> Money:
    """A decimal string and a currency code as Money: "1250.50", "EUR" -> Money(125050, "EUR")."""
    code = currency_code(currency)
    if not isinstance(amount, str):
        raise VocabError(f"amount must be a decimal string, not {type(amount).__name__}")
    raw = amount.strip()
    if raw.startswith("-"):
        raise VocabError(f"negative amount {raw[:40]!r}")
    match = _AMOUNT.fullmatch(raw)
    if match is None:
        raise VocabError(f"amount is not a plain decimal number: {raw[:40]!r}")
    units, fraction = match.group(1), match.group(2) or ""
    precision = get_currency_precision(code)
    if len(fraction) > precision:
        raise VocabError(f"{raw!r} has more decimals than {code} allows ({precision})")
    if int(units) > MAX_UNITS:
        raise VocabError(f"absurd amount {raw!r} {code} (more than {MAX_UNITS})")
    return Money(int(units) * 10**precision + int(fraction.ljust(precision, "0") or "0"), code)


def money_amount(money: Money) -> str:
    """The decimal string for the wire: Money(125050, "EUR") -> "1250.50"."""
    precision = get_currency_precision(money.currency)
    if precision == 0:
        return str(money.minor)
    units, cents = divmod(money.minor, 10**precision)
    return f"{units}.{cents:0{precision}d}"


def _decimal(money: Money) -> Decimal:
    return Decimal(money.minor).scaleb(-get_currency_precision(money.currency))


def format_money(m: Money, locale: str | None) -> str:
    """Money for people, e.g. "1 250,50 €" in French (babel)."""
    return str(format_currency(_decimal(m), m.currency, locale=babel_locale(locale)))


def money_document(m: Money) -> dict[str, Any]:
    return {"type": "MonetaryAmount", "amount": money_amount(m), "currency": m.currency}


def money_of(value: Any, where: str) -> Money:
    if not isinstance(value, Mapping):
        raise VocabError(f"{where} is not a MonetaryAmount object")
    amount = value.get("amount", value.get("value"))  # schema.org says `value`; accept it
    if isinstance(amount, int) and not isinstance(amount, bool):
        amount = str(amount)
    if not isinstance(amount, str):
        raise VocabError(f"{where} amount must be a decimal string")
    try:
        return parse_money(amount, str(value.get("currency", "")))
    except VocabError as exc:
        raise VocabError(f"{where}: {exc}") from None
