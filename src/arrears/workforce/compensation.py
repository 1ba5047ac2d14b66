"""Pay: base salary, tiered performance pay adjusted by quality, a year-end bonus; line by line.

By regulation (商业银行信用卡业务监督管理办法, art. 66) collectors may not be assessed on the
amount recovered alone, so a plan without a quality component is refused at load time.
Every line is rounded to the cent (half-even) and totals are sums of the printed lines, so a
statement always adds up.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from arrears.kit.errors import BadInput
from arrears.kit.money import ZERO, fmt, round_money
from arrears.workforce.allocation import Grade
from arrears.workforce.metrics import MonthMetrics

EmploymentType = Literal["labor_dispatch", "establishment", "agency"]
REGULATION = "商业银行信用卡业务监督管理办法 art. 66"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Tier(_Strict):
    """Marginal tier: ``rate`` applies to the part of the month's recovery up to ``up_to``."""

    up_to: Decimal | None = Field(None, gt=0, description="Upper bound; null for the top tier.")
    rate: Decimal = Field(ge=0, le=1)


def check_tiers(tiers: Sequence[Tier]) -> None:
    """Only the last tier may be open-ended and the bounds must increase (ValueError if not)."""
    bounds = [t.up_to for t in tiers]
    if any(b is None for b in bounds[:-1]):
        raise ValueError("tiers: only the last tier may be open-ended (up_to: null)")
    finite = [b for b in bounds if b is not None]
    if finite != sorted(finite) or len(set(finite)) != len(finite):
        raise ValueError("tiers: up_to must increase")


class QaStep(_Strict):
    """QA score at or above ``min_score`` multiplies the pay by ``multiplier``."""

    min_score: Decimal = Field(ge=0, le=100)
    multiplier: Decimal = Field(ge=0, le=2)


class Quality(_Strict):
    qa_steps: tuple[QaStep, ...] = ()
    qa_missing_multiplier: Decimal = Field(
        Decimal("1"), ge=0, le=2, description="Multiplier when no QA score was recorded."
    )
    per_violation: Decimal = Field(Decimal("0"), ge=0)
    per_complaint: Decimal = Field(Decimal("0"), ge=0)
    per_override: Decimal = Field(Decimal("0"), ge=0)

    def is_effective(self) -> bool:
        """Does quality actually move the pay? (art. 66: never on the amount alone)"""
        multipliers = {s.multiplier for s in self.qa_steps}
        qa_moves = len(multipliers) > 1 or (bool(multipliers) and multipliers != {Decimal(1)})
        return qa_moves or any(
            v > 0 for v in (self.per_violation, self.per_complaint, self.per_override)
        )

    def multiplier(self, score: Decimal | None) -> Decimal:
        if score is None:
            return self.qa_missing_multiplier
        for step in sorted(self.qa_steps, key=lambda s: s.min_score, reverse=True):
            if score >= step.min_score:
                return step.multiplier
        return Decimal(0)


class Performance(_Strict):
    tiers: tuple[Tier, ...] = Field(min_length=1)
    monthly_cap: Decimal | None = Field(None, gt=0)
    quality: Quality

    @model_validator(mode="after")
    def _tiers_ascend(self) -> Performance:
        check_tiers(self.tiers)
        return self


class YearEnd(_Strict):
    target: dict[Grade, Decimal] = Field(description="Year-end bonus for a full year, by grade.")
    quality: Quality


class PayPlan(_Strict):
    """A bonus plan (YAML in ``workforce/plans``)."""

    name: str
    currency: str = Field("CNY", min_length=3, max_length=3)
    base_monthly: dict[Grade, dict[EmploymentType, Decimal]]
    performance: Performance
    year_end: YearEnd

    @model_validator(mode="after")
    def _quality_required(self) -> PayPlan:
        if not self.performance.quality.is_effective():
            raise ValueError(
                "performance.quality: the plan pays on the amount recovered alone; add QA "
                f"multipliers or compliance/complaint deductions ({REGULATION})"
            )
        if not self.year_end.quality.is_effective():
            raise ValueError(
                f"year_end.quality: the bonus needs a quality component ({REGULATION})"
            )
        return self


class PayLine(BaseModel):
    """One line of the calculation; ``amount`` None is information only (not added)."""

    label: str
    amount: Decimal | None
    note: str = ""


class PayStatement(BaseModel):
    """One person's pay for a month or a year, with the calculation shown line by line."""

    staff_id: int
    staff_name: str
    period: str
    plan: str
    currency: str
    lines: list[PayLine]
    total: Decimal


class Payee(BaseModel):
    """Who is being paid, as pay needs them."""

    id: int
    name: str
    grade: Grade
    employment_type: EmploymentType
    hire_date: date
    left_on: date | None = None


def employed_days(payee: Payee, first: date, last: date) -> int:
    start = max(first, payee.hire_date)
    end = min(last, payee.left_on) if payee.left_on else last
    return max((end - start).days + 1, 0)


def _base(plan: PayPlan, payee: Payee) -> Decimal:
    by_type = plan.base_monthly.get(payee.grade, {})
    if payee.employment_type not in by_type:
        raise BadInput(
            f"plan {plan.name!r} has no base salary for {payee.grade} / {payee.employment_type}"
            + (
                " (agency staff are paid by their agency)"
                if payee.employment_type == "agency"
                else ""
            )
        )
    return by_type[payee.employment_type]


def _quality_lines(
    quality: Quality,
    amount: Decimal,
    *,
    qa_score: Decimal | None,
    violations: int,
    complaints: int,
    overrides: int,
    currency: str,
    what: str,
) -> tuple[list[PayLine], Decimal]:
    """Apply QA multiplier then deductions; never below zero. Returns the lines and the result."""
    lines: list[PayLine] = []
    multiplier = quality.multiplier(qa_score)
    adjusted = round_money(amount * multiplier, currency)
    if quality.qa_steps or qa_score is None:
        score = "no QA score" if qa_score is None else f"QA score {qa_score}"
        lines.append(
            PayLine(
                label=f"{what}: quality multiplier",
                amount=adjusted - amount,
                note=f"{score} -> x{multiplier}",
            )
        )
    result = adjusted
    for count, unit, label in (
        (violations, quality.per_violation, "compliance violations"),
        (complaints, quality.per_complaint, "complaints"),
        (overrides, quality.per_override, "compliance overrides"),
    ):
        if count and unit:
            wanted = round_money(unit * count, currency)
            taken = min(wanted, result)  # never below zero
            note = f"{count} x {fmt(unit, currency)}"
            if taken < wanted:
                note += f" (limited to the remaining {fmt(result, currency)})"
            lines.append(PayLine(label=f"{what}: {label}", amount=ZERO - taken, note=note))
            result -= taken
    return lines, result


def tiered(
    tiers: Sequence[Tier],
    amount: Decimal,
    *,
    cap: Decimal | None,
    currency: str,
    what: str,
) -> tuple[list[PayLine], Decimal]:
    """Marginal tiers on ``amount``, each line rounded to the cent, then the cap (staff pay and
    agency commission share it)."""
    cur = currency
    lines: list[PayLine] = []
    total = ZERO
    lower = ZERO
    for tier in tiers:
        upper = tier.up_to
        portion = (min(amount, upper) if upper is not None else amount) - lower
        if portion <= 0:
            break
        earned = round_money(portion * tier.rate, cur)
        bound = (
            f"{fmt(lower, cur)}-{fmt(upper, cur)}"
            if upper is not None
            else f"over {fmt(lower, cur)}"
        )
        lines.append(
            PayLine(
                label=f"{what} tier {bound}",
                amount=earned,
                note=f"{fmt(portion, cur)} x {tier.rate * 100:f}%",
            )
        )
        total += earned
        if upper is None:
            break
        lower = upper
    if cap is not None and total > cap:
        lines.append(
            PayLine(label=f"{what} cap", amount=cap - total, note=f"capped at {fmt(cap, cur)}")
        )
        total = cap
    return lines, total


def performance_pay(plan: PayPlan, recovered: Decimal) -> tuple[list[PayLine], Decimal]:
    """Marginal tiers on the month's recovery, then the cap."""
    return tiered(
        plan.performance.tiers,
        recovered,
        cap=plan.performance.monthly_cap,
        currency=plan.currency,
        what="performance",
    )


def month_statement(
    plan: PayPlan, *, payee: Payee, month: date, metrics: MonthMetrics | None
) -> PayStatement:
    """Base (pro-rated by days employed) + performance pay after quality."""
    cur = plan.currency
    first = month.replace(day=1)
    days_in_month = calendar.monthrange(first.year, first.month)[1]
    last = first.replace(day=days_in_month)
    days = employed_days(payee, first, last)
    if days == 0:
        raise BadInput(f"{payee.name} was not employed in {first:%Y-%m}")
    base_full = _base(plan, payee)
    base = round_money(base_full * days / days_in_month, cur)
    note = f"{payee.grade}, {payee.employment_type}"
    if days < days_in_month:
        note += f"; {days}/{days_in_month} days of {fmt(base_full, cur)}"
    lines = [PayLine(label="base salary", amount=base, note=note)]
    m = metrics or MonthMetrics(month=first)
    tier_lines, perf = performance_pay(plan, m.recovered)
    lines.append(
        PayLine(
            label="recovered this month", amount=ZERO, note=f"{fmt(m.recovered, cur)} recovered"
        )
    )
    lines += tier_lines
    quality_lines, perf_after = _quality_lines(
        plan.performance.quality,
        perf,
        qa_score=m.qa_score,
        violations=m.violations,
        complaints=m.complaints,
        overrides=m.overrides,
        currency=cur,
        what="performance",
    )
    lines += quality_lines
    lines.append(
        PayLine(label="performance pay", amount=None, note=f"{fmt(perf_after, cur)} after quality")
    )
    total = sum((line.amount for line in lines if line.amount is not None), ZERO)
    return PayStatement(
        staff_id=payee.id,
        staff_name=payee.name,
        period=f"{first:%Y-%m}",
        plan=plan.name,
        currency=cur,
        lines=lines,
        total=round_money(total, cur),
    )


def year_statement(
    plan: PayPlan,
    *,
    payee: Payee,
    year: int,
    metrics: Sequence[MonthMetrics],
    through: date | None = None,
) -> PayStatement:
    """The monthly totals (months employed, up to the month of ``through``: the last closed
    one of a year in progress) plus the year-end bonus after quality, pro rata."""
    cur = plan.currency
    last_month = through.month if through is not None and through.year == year else 12
    by_month = {
        m.month.replace(day=1): m
        for m in metrics
        if m.month.year == year and m.month.month <= last_month
    }
    lines: list[PayLine] = []
    months_worked = 0
    for month in range(1, last_month + 1):
        first = date(year, month, 1)
        last = first.replace(day=calendar.monthrange(year, month)[1])
        if employed_days(payee, first, last) == 0:
            continue
        months_worked += 1
        statement = month_statement(plan, payee=payee, month=first, metrics=by_month.get(first))
        lines.append(
            PayLine(label=f"{first:%Y-%m} pay", amount=statement.total, note="base + performance")
        )
    if not months_worked:
        raise BadInput(f"{payee.name} was not employed in {year}")
    target = plan.year_end.target.get(payee.grade, ZERO)
    bonus = round_money(target * months_worked / 12, cur)
    lines.append(
        PayLine(
            label="year-end bonus target",
            amount=bonus,
            note=f"{fmt(target, cur)} x {months_worked}/12 months",
        )
    )
    scores = [m.qa_score for m in by_month.values() if m.qa_score is not None]
    average = round_money(sum(scores, ZERO) / len(scores), cur) if scores else None
    quality_lines, _ = _quality_lines(
        plan.year_end.quality,
        bonus,
        qa_score=average,
        violations=sum(m.violations for m in by_month.values()),
        complaints=sum(m.complaints for m in by_month.values()),
        overrides=sum(m.overrides for m in by_month.values()),
        currency=cur,
        what="year-end bonus",
    )
    lines += quality_lines
    total = sum((line.amount for line in lines if line.amount is not None), ZERO)
    return PayStatement(
        staff_id=payee.id,
        staff_name=payee.name,
        period=str(year) if last_month == 12 else f"{year}-01 to {year}-{last_month:02d}",
        plan=plan.name,
        currency=cur,
        lines=lines,
        total=round_money(total, cur),
    )
