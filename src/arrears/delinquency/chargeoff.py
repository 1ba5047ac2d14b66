"""Charge-off on the fee profile's day (pure): the ``accrual.stop`` of kind ``charge_off``.

The policy is the profile's (docs/delinquency.md, "Charge-off and write-off"): an account
``after_dpd`` days past due is charged off on the day it reached that count. A ``non_accrual``
stop only stops accrual: the receivable stays on the books, nothing is charged off.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from arrears.delinquency.fees import FeeSchedule

# Where a charged-off account's case is worked: the level and queue of the vocabulary.
REVIEW_LEVEL = "write_off_review"
REVIEW_QUEUE = "write_off_review"


def charge_off_dpd(schedule: FeeSchedule) -> int | None:
    """The day count past due at which the profile charges off, or None (no charge-off)."""
    stop = schedule.accrual.stop
    return stop.after_dpd if stop is not None and stop.kind == "charge_off" else None


def charged_off_on(schedule: FeeSchedule, *, as_of: date, dpd: int) -> date | None:
    """The day the account was charged off (it reached the policy's day count), or None."""
    if charge_off_dpd(schedule) is None:
        return None
    return schedule.stopped_on(as_of, dpd)


@dataclass(frozen=True)
class ChargeOffBalance:
    """What is moved off the active book: principal, interest and fees at charge-off."""

    principal: Decimal
    interest: Decimal
    fees: Decimal

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.fees
