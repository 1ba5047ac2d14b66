"""Reading dates typed by people: one parser, one message, for every command and form."""

from __future__ import annotations

from datetime import date

from arrears.kit.clock import center_today
from arrears.kit.errors import ArrearsError, BadInput, RuleRefused


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


def not_after_today(day: date, what: str, *, refusal: type[ArrearsError] = RuleRefused) -> date:
    """Refuse a day after the center's today: the server owns time, whoever asks (a cycle,
    a reconciliation or an allocation for a future day would decide what has not happened).
    A typed date that is simply impossible (a course passed tomorrow) is ``refusal=BadInput``."""
    today = center_today()
    if day > today:
        raise refusal(f"{what}: {day} is after today ({today}); nothing is dated in the future")
    return day
