"""The simulated customers' money: their accounts, the statements the card system cuts, and the
payments they will make (pure Python; the simulator turns a day of it into an extract)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np

from arrears.simulation.behaviour import Behaviour, Figures, draw_outcome, monthly_amount

CENT = Decimal("0.01")


@dataclass
class Account:
    ref: str
    customer: str
    statement_day: int
    due_days: int
    min_ratio: Decimal
    credit_limit: int  # cents
    closing: int  # cents: the latest statement's closing balance
    minimum: int  # cents: the latest statement's minimum due
    paid_since: int = 0  # cents paid since the latest statement


@dataclass
class Scheduled:
    account: int
    cents: int
    why: str  # monthly, promise, plan, settlement


@dataclass
class PaymentBook:
    """What each customer will pay, and when. One monthly intent per account, which a promise,
    a plan or a settlement may replace."""

    by_day: dict[date, list[Scheduled]] = field(default_factory=lambda: defaultdict(list))
    intent: dict[int, tuple[str, date | None]] = field(default_factory=dict)

    def schedule(self, on: date, item: Scheduled) -> None:
        self.by_day[on].append(item)

    def cancel(self, account: int, after: date, whys: tuple[str, ...] = ("monthly",)) -> int:
        """Drop the account's scheduled payments of these kinds after ``after``; cents dropped."""
        dropped = 0
        for on, items in self.by_day.items():
            if on <= after:
                continue
            keep = []
            for item in items:
                if item.account == account and item.why in whys:
                    dropped += item.cents
                else:
                    keep.append(item)
            self.by_day[on] = keep
        return dropped

    def due(self, on: date) -> list[Scheduled]:
        return self.by_day.pop(on, [])

    def outcome(self, account: int) -> str:
        return self.intent.get(account, ("roll", None))[0]


def money(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(CENT)


def cents(value: Decimal) -> int:
    return int((value * 100).to_integral_value(ROUND_HALF_EVEN))


def cut_statement(
    account: Account,
    *,
    on: date,
    delinquent: bool,
    rng: np.random.Generator,
) -> tuple[date, int, int]:
    """The card system's statement of ``on``: (due date, closing balance, minimum due), in cents.

    A current customer spends again about what he repaid since the last statement (balances stay
    level, as the UCI bills do month to month: assumption); a delinquent account is blocked."""
    base = max(account.closing - account.paid_since, 0)
    spend = 0
    if not delinquent and account.paid_since > 0:
        spend = int(account.paid_since * float(rng.uniform(0.8, 1.2)))
    closing = min(base + spend, max(account.credit_limit, base))
    minimum = cents(money(closing) * account.min_ratio)
    account.closing, account.minimum, account.paid_since = closing, minimum, 0
    return on + timedelta(days=account.due_days), closing, minimum


def plan_month(
    behaviour: Behaviour,
    book: PaymentBook,
    *,
    index: int,
    account: Account,
    bucket: str,
    past_due: int,
    on: date,
    due_on: date,
    rng: np.random.Generator,
) -> None:
    """Draw this month's outcome for the account (UCI, by bucket) and schedule its payment."""
    outcome = draw_outcome(behaviour, bucket, rng)
    amount = monthly_amount(
        behaviour,
        outcome,
        Figures(balance=account.closing, past_due=past_due, minimum=account.minimum),
        rng,
    )
    book.cancel(index, on)
    if amount <= 0:
        book.intent[index] = (outcome, None)
        return
    if bucket == "M0":
        last = max((due_on - on).days, 1)
        pay_on = on + timedelta(days=int(rng.integers(1, last + 1)))
        if outcome == "miss":
            pay_on = min(pay_on, due_on)  # a part of the minimum, before the date
    else:
        pay_on = on + timedelta(days=int(rng.integers(1, 31)))
    book.intent[index] = (outcome, pay_on)
    book.schedule(pay_on, Scheduled(index, amount, "monthly"))
