"""Reading dates typed by people: one parser, one message, for every command and form."""

from __future__ import annotations

from datetime import date

from arrears.kit.errors import BadInput


def parse_day(value: str | None, option: str) -> date | None:
    """``YYYY-MM-DD`` to a date; ``None`` or blank stays ``None``; anything else is ``BadInput``
    naming the option (``--as-of: not a date (YYYY-MM-DD): '2026-02-30'``)."""
    if value is None or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise BadInput(f"{option}: not a date (YYYY-MM-DD): {value!r}") from None


def require_day(value: str, option: str) -> date:
    """Like ``parse_day`` for an option that must be given."""
    day = parse_day(value, option)
    if day is None:
        raise BadInput(f"{option}: a date (YYYY-MM-DD) is required")
    return day
