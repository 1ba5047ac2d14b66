"""Days past due, one account at a time (docs/delinquency.md is the spec).

Pure: plain data in, plain data out. The daily cycle re-implements the same rules in Ibis
(``arrears.engine``) and is tested to agree with this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from arrears.delinquency.buckets import DEFAULT_BUCKETS, BucketScheme, bucket_for

ZERO = Decimal("0")
# A reported status of k cycles late counts as 30 days per cycle (UCI: "delay of k months").
DAYS_PER_CYCLE = 30


@dataclass(frozen=True)
class StatementFact:
    """One billing cycle: the minimum due is an instalment falling due on ``due_date``.

    The itemisation (optional, all four or none): the balance brought forward and the
    principal, interest and fees billed in the cycle. The closing balance already holds them.
    """

    cycle_date: date
    due_date: date
    closing_balance: Decimal
    minimum_due: Decimal
    previous_balance: Decimal | None = None
    principal_billed: Decimal | None = None
    interest_billed: Decimal | None = None
    fees_billed: Decimal | None = None

    @property
    def itemised(self) -> bool:
        return None not in (
            self.previous_balance,
            self.principal_billed,
            self.interest_billed,
            self.fees_billed,
        )


@dataclass(frozen=True)
class PaymentFact:
    paid_on: date
    amount: Decimal
    reference: str = ""


@dataclass(frozen=True)
class StatusReport:
    """The card system's repayment status: -2/-1/0 current, k >= 1 k cycles late."""

    reported_on: date
    status: int


@dataclass(frozen=True)
class PastDue:
    cycle_date: date
    due_date: date
    unpaid: Decimal


@dataclass(frozen=True)
class Aging:
    """Where an account stands on ``as_of``.

    ``oldest_due_date`` is the date the account fell behind: ``as_of - dpd`` days, or None when
    current. On the computed path it is the due date of the oldest past-due statement.
    ``reported`` is the card-system report the DPD is counted from (k cycles late, not yet
    covered), or None when the DPD comes from the statements.
    """

    as_of: date
    dpd: int
    bucket: str
    amount_past_due: Decimal
    past_due: tuple[PastDue, ...]
    oldest_due_date: date | None
    reported: StatusReport | None = None


def _by_due(statements: Sequence[StatementFact]) -> list[StatementFact]:
    return sorted(statements, key=lambda s: (s.due_date, s.cycle_date))


def _computed(statements: Sequence[StatementFact], paid: Decimal, as_of: date) -> list[PastDue]:
    """Past-due instalments when ``paid`` covers minimum dues oldest-first."""
    past_due: list[PastDue] = []
    cum_min = ZERO
    for s in _by_due(statements):
        if s.due_date >= as_of:
            break  # sorted: nothing later is due yet
        cum_min += s.minimum_due
        if cum_min > paid:
            unpaid = min(s.minimum_due, cum_min - paid)
            if unpaid > 0:
                past_due.append(PastDue(s.cycle_date, s.due_date, unpaid))
    return past_due


def age(
    *,
    statements: Sequence[StatementFact],
    payments: Sequence[PaymentFact],
    as_of: date,
    reports: Sequence[StatusReport] = (),
    buckets: BucketScheme = DEFAULT_BUCKETS,
) -> Aging:
    """Age one account on ``as_of``: DPD, bucket and what is past due (oldest first)."""
    counted = [p for p in payments if p.paid_on <= as_of]
    effective = [r for r in reports if r.reported_on <= as_of]
    report = max(effective, key=lambda r: r.reported_on) if effective else None

    if report is None:
        past_due = _computed(statements, sum((p.amount for p in counted), ZERO), as_of)
        return _aging(as_of, past_due, None, buckets)

    cut = report.reported_on
    later_statements = [s for s in statements if s.due_date > cut]
    paid_after = sum((p.amount for p in counted if p.paid_on > cut), ZERO)
    if report.status <= 0:
        return _aging(as_of, _computed(later_statements, paid_after, as_of), None, buckets)

    # k cycles late at the report: the last k instalments due by then are what it says is owed.
    in_report = _by_due([s for s in statements if s.due_date <= cut])[-report.status :]
    owed = sum((s.minimum_due for s in in_report), ZERO)
    # "Covered" needs a payment after the report: a report whose instalments we don't know
    # (no statements, or zero minimums) stays in force until the cardholder pays something.
    if paid_after > 0 and paid_after >= owed:
        past_due = _computed(later_statements, paid_after - owed, as_of)
        return _aging(as_of, past_due, None, buckets)

    past_due = []
    left = paid_after
    for s in in_report:  # payments cover the oldest instalments first
        applied = min(left, s.minimum_due)
        left -= applied
        if s.minimum_due - applied > 0:
            past_due.append(PastDue(s.cycle_date, s.due_date, s.minimum_due - applied))
    past_due.extend(_computed(later_statements, ZERO, as_of))
    dpd = DAYS_PER_CYCLE * report.status + (as_of - cut).days
    return _aging(as_of, past_due, dpd, buckets, reported=report)


def _aging(
    as_of: date,
    past_due: list[PastDue],
    dpd: int | None,
    buckets: BucketScheme,
    *,
    reported: StatusReport | None = None,
) -> Aging:
    if dpd is None:
        dpd = (as_of - past_due[0].due_date).days if past_due else 0
    return Aging(
        as_of=as_of,
        dpd=dpd,
        bucket=bucket_for(dpd, buckets),
        amount_past_due=sum((p.unpaid for p in past_due), ZERO),
        past_due=tuple(past_due),
        oldest_due_date=as_of - timedelta(days=dpd) if dpd > 0 else None,
        reported=reported,
    )
