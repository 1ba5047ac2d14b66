"""Money: ``Decimal`` only, rounded half-even at the currency's precision."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

# ISO 4217 minor units for the currencies a card center is likely to hold.
_MINOR_UNITS = {"CNY": 2, "TWD": 2, "USD": 2, "GBP": 2, "EUR": 2, "HKD": 2, "JPY": 0, "KRW": 0}

ZERO = Decimal("0")
# Money columns are NUMERIC(18, 2) (kit.db.Money): 16 digits before the point.
MAX_WHOLE_DIGITS = 16


def quantum(currency: str = "CNY") -> Decimal:
    """The smallest unit of ``currency`` as a Decimal exponent (0.01 for CNY)."""
    return Decimal(1).scaleb(-_MINOR_UNITS.get(currency.upper(), 2))


def round_money(amount: Decimal | int | str, currency: str = "CNY") -> Decimal:
    """Round to the currency's minor unit, half-even (banker's rounding)."""
    return to_decimal(amount).quantize(quantum(currency), rounding=ROUND_HALF_EVEN)


def to_decimal(value: object) -> Decimal:
    """Parse a money value without passing through float. Raises ``ValueError``."""
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        raise ValueError("a boolean is not an amount")
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        # repr() keeps what the source wrote ("5e+05" -> 500000.0 -> "500000.0").
        result = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip().replace(",", ""))
        except InvalidOperation as exc:
            raise ValueError(f"not an amount: {value!r}") from exc
    else:
        raise ValueError(f"not an amount: {value!r}")
    if not result.is_finite():
        raise ValueError(f"not a finite amount: {value!r}")
    if result.adjusted() >= MAX_WHOLE_DIGITS:
        # The store's money columns are NUMERIC(18, 2): no amount has more whole digits, and
        # rounding one that has would overflow the decimal context (a 500, not an answer).
        raise ValueError(f"too large an amount: at most {MAX_WHOLE_DIGITS} digits before the point")
    return result


def fmt(amount: Decimal, currency: str = "CNY") -> str:
    """A plain string for JSON and reports: ``'1234.50'``."""
    return f"{round_money(amount, currency):f}"
