"""The per-staff monthly performance record that pay and promotion read (plain data)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field


class MonthMetrics(BaseModel):
    """One collector's month: what was recovered, promises, the compliance record, QA."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    month: date = Field(description="First day of the month.")
    # A reversal is the payment's own business, never a negative month (it would cut pay).
    recovered: Decimal = Field(Decimal("0.00"), ge=0)
    promises_made: int = Field(0, ge=0)
    promises_kept: int = Field(0, ge=0)
    blocked_attempts: int = Field(0, ge=0, description="Contacts the compliance engine blocked.")
    overrides: int = Field(0, ge=0, description="Blocked contacts made under an override.")
    complaints: int = Field(0, ge=0)
    violations: int = Field(0, ge=0, description="Confirmed compliance violations (QA/audit).")
    qa_score: Decimal | None = Field(None, ge=0, le=100)


def parse_month(text: str) -> date:
    """``YYYY-MM`` to the first day of that month; ``ValueError`` otherwise."""
    try:
        year, month = text.split("-")
        return date(int(year), int(month), 1)
    except ValueError:
        raise ValueError(f"not a month (YYYY-MM): {text!r}") from None


Holder = TypeVar("Holder")


def holder_on(intervals: Iterable[tuple[date, date | None, Holder]], on: date) -> Holder | None:
    """Who held a work order on ``on``, from its assignments (start, end day, holder) in the
    order they were made. The day an assignment ends still counts for its holder unless a later
    one starts that day: the payment that cures (and closes) a case counts for its collector or
    agency."""
    found = None
    for start, ended, who in intervals:
        if start <= on and (ended is None or on <= ended):
            found = who  # the latest assignment that covers the day wins
    return found
