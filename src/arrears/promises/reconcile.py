"""Reconcile promises to pay against incoming payments. Pure.

Payments are applied to a case's promises oldest due date first. A payment counts for a promise
when it arrives on or after the day the promise was made and no later than due date + grace days;
what a payment leaves over after one promise is met flows on to the next (over-payment).
The payment fact is the delinquency rules' own (one shape for a payment everywhere).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from arrears.delinquency import PaymentFact
from arrears.kit.money import ZERO
from arrears.promises.policy import PromiseRules

PROMISE_STATES = ("pending", "kept", "partially_kept", "broken", "cancelled")


@dataclass(frozen=True)
class PromiseFact:
    id: int
    amount: Decimal
    due_on: date
    made_on: date


@dataclass(frozen=True)
class PromiseResult:
    id: int
    status: str
    paid: Decimal
    references: tuple[str, ...] = field(default=())
    settled_on: date | None = None


@dataclass
class _Left:
    """A payment and what is left of it after earlier promises took their share."""

    paid_on: date
    left: Decimal
    reference: str


def reconcile(
    *,
    promises: Sequence[PromiseFact],
    payments: Sequence[PaymentFact],
    as_of: date,
    rules: PromiseRules,
) -> list[PromiseResult]:
    """Mark each promise pending, kept, partially kept or broken as of ``as_of``."""
    grace = timedelta(days=rules.grace_days)
    pool = [
        _Left(p.paid_on, p.amount, p.reference)
        for p in sorted(payments, key=lambda p: (p.paid_on, p.reference))
        if p.paid_on <= as_of and p.amount > ZERO
    ]
    results: list[PromiseResult] = []
    for promise in sorted(promises, key=lambda p: (p.due_on, p.made_on, p.id)):
        closes_on = promise.due_on + grace
        paid = ZERO
        refs: list[str] = []
        last: date | None = None
        for entry in pool:
            if paid >= promise.amount:
                break
            if entry.left <= ZERO or not promise.made_on <= entry.paid_on <= closes_on:
                continue
            take = min(entry.left, promise.amount - paid)
            entry.left -= take
            paid += take
            refs.append(entry.reference)
            last = entry.paid_on
        # Over-payment: anything still left in the pool stays there for the next promise.
        target = promise.amount * rules.kept_ratio
        if paid >= target:
            status = "kept"
        elif as_of <= closes_on:
            status = "pending"
        elif paid >= promise.amount * rules.partial_ratio:
            status = "partially_kept"
        else:
            status = "broken"
        settled = last if status == "kept" else (closes_on if status != "pending" else None)
        results.append(PromiseResult(promise.id, status, paid, tuple(refs), settled))
    return results
