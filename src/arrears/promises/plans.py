"""Repayment plans and settlements: schedules, approval (maker-checker), tracking. Pure."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from arrears.delinquency import PaymentFact
from arrears.kit import wording
from arrears.kit.errors import BadInput, NotPermitted
from arrears.kit.money import ZERO, quantum, round_money
from arrears.promises.policy import ApprovalRules, OfferRules, PlanRules, SettlementRules

FREQUENCIES = ("weekly", "biweekly", "monthly")
PLAN_STATES = ("proposed", "approved", "rejected", "active", "completed", "broken", "cancelled")
INSTALMENT_STATES = ("pending", "kept", "missed")


@dataclass(frozen=True)
class Instalment:
    seq: int
    due_on: date
    amount: Decimal


def add_months(start: date, months: int) -> date:
    """``start`` plus ``months``, clamped to the month's last day (31 Jan + 1 -> 28/29 Feb)."""
    month0 = start.month - 1 + months
    year, month = start.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def due_dates(first: date, n: int, frequency: str) -> list[date]:
    if frequency == "weekly":
        return [first + timedelta(weeks=i) for i in range(n)]
    if frequency == "biweekly":
        return [first + timedelta(weeks=2 * i) for i in range(n)]
    if frequency == "monthly":
        return [add_months(first, i) for i in range(n)]
    raise BadInput(f"frequency must be one of: {', '.join(FREQUENCIES)} (got {frequency!r})")


def schedule(
    *, total: Decimal, n: int, first_due: date, frequency: str, currency: str = "CNY"
) -> list[Instalment]:
    """``n`` instalments that sum exactly to ``total``; the odd cents go to the first ones."""
    if n < 1:
        raise BadInput(f"a plan needs at least one instalment (got {n})")
    q = quantum(currency)
    if total <= ZERO:
        raise BadInput(f"a plan's total must be positive (got {total})")
    if round_money(total, currency) != total:
        raise BadInput(f"a plan's total must be in whole {q} units (got {total})")
    base = (total / n).quantize(q, rounding=ROUND_DOWN)
    if base <= ZERO:
        raise BadInput(f"{total} cannot be split into {n} instalments of at least {q}")
    extra = int((total - base * n) / q)
    dates = due_dates(first_due, n, frequency)
    return [
        Instalment(seq=i + 1, due_on=dates[i], amount=base + (q if i < extra else ZERO))
        for i in range(n)
    ]


def check_instalments(
    *, total: Decimal, instalments: Sequence[Instalment], rules: PlanRules, today: date
) -> None:
    """Validate a collector-edited schedule: sums to the total, dates ascending, not past."""
    if not instalments:
        raise BadInput("a plan needs at least one instalment")
    if len(instalments) > rules.max_instalments:
        raise BadInput(
            f"a plan may have at most {rules.max_instalments} instalments (got {len(instalments)})"
        )
    if any(i.amount <= ZERO for i in instalments):
        raise BadInput("every instalment amount must be positive")
    got = sum((i.amount for i in instalments), ZERO)
    if got != total:
        raise BadInput(
            f"the instalments sum to {got} but the plan's total is {total}: "
            f"they must match to the cent (difference {total - got})"
        )
    dues = [i.due_on for i in instalments]
    if dues != sorted(dues) or len(set(dues)) != len(dues):
        raise BadInput("instalment due dates must be strictly increasing")
    if dues[0] < today:
        raise BadInput(f"the first instalment is due {dues[0]}, in the past (today is {today})")


def settlement_amount(
    *, balance: Decimal, discount: Decimal, rules: SettlementRules, currency: str = "CNY"
) -> Decimal:
    """What the customer pays to settle: the balance less the discount share."""
    if balance <= ZERO:
        raise BadInput(f"nothing to settle: the balance is {balance}")
    if discount < ZERO or discount > rules.max_discount:
        raise BadInput(
            f"a settlement discount must be between 0 and {rules.max_discount} (got {discount})"
        )
    return round_money(balance * (Decimal(1) - discount), currency)


def needs_checker(
    *,
    kind: str,
    at_stake: Decimal,
    rules: ApprovalRules,
    instalments: int = 1,
    covers_owed: bool = True,
) -> bool:
    """Whether a proposal must be approved by a checker before it binds: it is approved at once
    only inside every auto-approval bound of the policy (amount at stake, and for a plan the
    number of instalments and covering all that is owed)."""
    if kind == "settlement":
        return at_stake > rules.settlement_auto_approve_up_to
    return (
        at_stake > rules.plan_auto_approve_up_to
        or instalments > rules.plan_auto_approve_max_instalments
        or not covers_owed
    )


def check_approver(
    *, at_stake: Decimal, maker: str, checker: str, checker_role: str, rules: ApprovalRules
) -> None:
    """Refuse (``NotPermitted``) a checker who made it, or whose role's limit is below it."""
    if checker == maker:
        raise NotPermitted("the maker of a proposal cannot approve it: another person must check")
    in_chain, limit = rules.limit_of(checker_role)
    if not in_chain:
        raise NotPermitted(f"the role {checker_role} cannot approve plans or settlements")
    if limit is not None and at_stake > limit:
        above = next(lv.role for lv in rules.chain if lv.up_to is None or lv.up_to >= at_stake)
        raise NotPermitted(
            f"{at_stake} is above the {checker_role} approval limit of {limit}: "
            f"{above.replace('_', ' ')} must approve"
        )


@dataclass(frozen=True)
class InstalmentResult:
    seq: int
    status: str
    paid: Decimal


@dataclass(frozen=True)
class PlanTrack:
    status: str  # active, completed, broken
    instalments: tuple[InstalmentResult, ...]
    missed: int


def track(
    *,
    instalments: Sequence[Instalment],
    payments: Sequence[PaymentFact],
    started_on: date,
    as_of: date,
    rules: PlanRules,
) -> PlanTrack:
    """Each instalment kept or missed; the plan broken after ``max_missed`` misses.

    Payments since the plan started are applied oldest first to the instalments in order; an
    instalment is kept when the payments by its due date + grace cover it.
    """
    grace = timedelta(days=rules.grace_days)
    pays = sorted(
        (p for p in payments if started_on <= p.paid_on <= as_of), key=lambda p: p.paid_on
    )
    results: list[InstalmentResult] = []
    cumulative_due = ZERO
    for inst in sorted(instalments, key=lambda i: i.seq):
        cumulative_due += inst.amount
        closes = inst.due_on + grace
        paid_by_close = sum((p.amount for p in pays if p.paid_on <= closes), ZERO)
        covered_before = cumulative_due - inst.amount
        paid_here = min(max(paid_by_close - covered_before, ZERO), inst.amount)
        if paid_by_close >= cumulative_due:
            status = "kept"
        elif as_of > closes:
            status = "missed"
        else:
            status = "pending"
        results.append(InstalmentResult(inst.seq, status, paid_here))
    missed = sum(1 for r in results if r.status == "missed")
    if missed >= rules.max_missed:
        plan_status = "broken"
    elif results and all(r.status == "kept" for r in results):
        plan_status = "completed"
    else:
        plan_status = "active"
    return PlanTrack(plan_status, tuple(results), missed)


@dataclass(frozen=True)
class PlanOption:
    kind: str  # pay_now, instalments, settlement
    instalments: int
    amount: Decimal  # per instalment, or the one payment
    total: Decimal
    label_en: str
    label_zh: str


def plan_options(
    *,
    total_due: Decimal,
    amount_past_due: Decimal,
    dpd: int,
    offers: OfferRules,
    plan_rules: PlanRules,
    settlement_rules: SettlementRules,
    currency: str = "CNY",
) -> list[PlanOption]:
    """The options this account qualifies for, in the order a negotiator offers them."""

    def _en(value: Decimal) -> str:
        return wording.amount(value, currency, "en")

    def _zh(value: Decimal) -> str:
        return wording.amount(value, currency, "zh-CN")

    options: list[PlanOption] = []
    if amount_past_due > ZERO:
        options.append(
            PlanOption(
                "pay_now",
                1,
                amount_past_due,
                amount_past_due,
                f"pay the past-due amount of {_en(amount_past_due)} {currency} now",
                f"立即还清逾期金额{_zh(amount_past_due)} {currency}",
            )
        )
    for n in offers.instalment_counts:
        if n > plan_rules.max_instalments or total_due <= ZERO:
            continue
        first = schedule(
            total=total_due, n=n, first_due=date(2000, 1, 1), frequency="monthly", currency=currency
        )[0].amount
        if first < offers.min_instalment:
            continue
        options.append(
            PlanOption(
                "instalments",
                n,
                first,
                total_due,
                f"{wording.count_of(n, 'monthly instalment', 'monthly instalments')} of about "
                f"{_en(first)} {currency}",
                f"分{n}期按月还款，每期约{_zh(first)} {currency}",
            )
        )
    discount = min(offers.settlement_discount, settlement_rules.max_discount)
    if dpd >= offers.settlement_from_dpd and total_due > ZERO and discount > ZERO:
        pay = settlement_amount(
            balance=total_due, discount=discount, rules=settlement_rules, currency=currency
        )
        pct = wording.percent(discount)
        options.append(
            PlanOption(
                "settlement",
                1,
                pay,
                pay,
                f"settle in full for {_en(pay)} {currency} ({pct} discount, subject to approval)",
                f"一次性结清{_zh(pay)} {currency}（减免{pct}，需审批）",
            )
        )
    return options
