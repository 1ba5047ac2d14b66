"""Pay statements to the cent, quality deductions, and the art. 66 rule on plans."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from arrears.kit.config_file import parse
from arrears.kit.errors import BadInput
from arrears.workforce.compensation import Payee, PayPlan, month_statement, year_statement
from arrears.workforce.metrics import MonthMetrics
from arrears.workforce.policies import load

PLAN = load(PayPlan, "plans", "default")
D = Decimal
SENIOR = Payee(
    id=1,
    name="Wang Fang",
    grade="senior_collection_specialist",
    employment_type="establishment",
    hire_date=date(2019, 3, 1),
)
OFFICER = Payee(
    id=2,
    name="Li Lei",
    grade="collection_officer",
    employment_type="labor_dispatch",
    hire_date=date(2025, 1, 1),
)


def lines(statement: object) -> dict[str, Decimal | None]:
    return {line.label: line.amount for line in statement.lines}  # type: ignore[attr-defined]


def test_senior_month_with_quality_deductions_to_the_cent() -> None:
    metrics = MonthMetrics(
        month=date(2026, 10, 1),
        recovered=D("260000.00"),
        qa_score=D("85"),
        violations=1,
        complaints=2,
    )
    s = month_statement(PLAN, payee=SENIOR, month=date(2026, 10, 1), metrics=metrics)
    got = lines(s)
    assert got["base salary"] == D("4600.00")
    assert got["performance tier 0.00-50000.00"] == D("200.00")
    assert got["performance tier 50000.00-200000.00"] == D("900.00")
    assert got["performance tier over 200000.00"] == D("480.00")
    assert got["performance: quality multiplier"] == D("0.00")
    assert got["performance: compliance violations"] == D("-300.00")
    assert got["performance: complaints"] == D("-200.00")
    assert s.total == D("5680.00")
    assert s.period == "2026-10"


def test_officer_month_qa_multiplier_rounds_half_even() -> None:
    metrics = MonthMetrics(
        month=date(2026, 10, 1), recovered=D("33333.33"), qa_score=D("72"), complaints=1
    )
    s = month_statement(PLAN, payee=OFFICER, month=date(2026, 10, 1), metrics=metrics)
    got = lines(s)
    assert got["performance tier 0.00-50000.00"] == D("133.33")
    assert got["performance: quality multiplier"] == D("-26.67")  # 133.33 x 0.80 = 106.66
    assert got["performance: complaints"] == D("-100.00")
    assert s.total == D("3206.66")


def test_same_recovery_pays_less_with_poor_quality() -> None:
    good = MonthMetrics(month=date(2026, 10, 1), recovered=D("100000"), qa_score=D("95"))
    poor = good.model_copy(update={"qa_score": D("65"), "violations": 2})
    pay_good = month_statement(PLAN, payee=OFFICER, month=good.month, metrics=good).total
    pay_poor = month_statement(PLAN, payee=OFFICER, month=poor.month, metrics=poor).total
    # tiers: 200 + 300 = 500; x1.10 = 550 vs x0.50 = 250, then 2 x 300 limited to 250.
    assert pay_good == D("3750.00")
    assert pay_poor == D("3200.00")


def test_deductions_never_take_performance_below_zero_and_cap_applies() -> None:
    metrics = MonthMetrics(month=date(2026, 10, 1), recovered=D("900000"), qa_score=D("80"))
    s = month_statement(PLAN, payee=SENIOR, month=metrics.month, metrics=metrics)
    assert lines(s)["performance cap"] == D("-3700.00")  # 200 + 900 + 5600 = 6700 -> 3000
    assert s.total == D("7600.00")
    poor = metrics.model_copy(update={"qa_score": D("55"), "violations": 1})
    s = month_statement(PLAN, payee=SENIOR, month=poor.month, metrics=poor)
    assert lines(s)["performance: quality multiplier"] == D("-3000.00")
    assert lines(s)["performance: compliance violations"] == D("0.00")
    assert s.total == D("4600.00")  # the base is never touched by a deduction


def test_base_is_prorated_for_a_mid_month_hire() -> None:
    payee = OFFICER.model_copy(update={"hire_date": date(2026, 10, 16)})
    s = month_statement(PLAN, payee=payee, month=date(2026, 10, 1), metrics=None)
    assert lines(s)["base salary"] == D("1651.61")  # 3200 x 16/31
    # No QA recorded: the plan's missing-score multiplier applies to zero performance.
    assert s.total == D("1651.61")


def test_year_statement_with_year_end_bonus() -> None:
    metrics = [
        MonthMetrics(
            month=date(2025, m, 1),
            recovered=D("50000"),
            qa_score=D("92"),
            violations=1 if m == 6 else 0,
        )
        for m in range(1, 13)
    ]
    s = year_statement(PLAN, payee=SENIOR, year=2025, metrics=metrics)
    got = lines(s)
    # Monthly: 4600 + 200 x 1.10 = 4820.00; June loses 220 of its 220 -> 4600.00.
    assert got["2025-01 pay"] == D("4820.00")
    assert got["2025-06 pay"] == D("4600.00")
    assert got["year-end bonus target"] == D("6500.00")
    assert got["year-end bonus: quality multiplier"] == D("1300.00")  # average QA 92 -> x1.20
    assert got["year-end bonus: compliance violations"] == D("-500.00")
    assert s.total == D("4820.00") * 11 + D("4600.00") + D("7300.00")


def test_default_plan_reproduces_the_product_figures() -> None:
    senior_base = PLAN.base_monthly["senior_collection_specialist"]["establishment"] * 12
    officer_base = PLAN.base_monthly["collection_officer"]["labor_dispatch"] * 12
    assert D("50000") <= senior_base <= D("60000")
    assert D("5000") <= PLAN.year_end.target["senior_collection_specialist"] <= D("8000")
    assert officer_base < senior_base
    assert (
        PLAN.year_end.target["collection_officer"]
        < PLAN.year_end.target["senior_collection_specialist"]
    )


def test_a_plan_on_amount_alone_is_refused() -> None:
    raw = PLAN.model_dump(mode="json")
    raw["performance"]["quality"] = {"qa_steps": [], "per_violation": "0", "per_complaint": "0"}
    with pytest.raises(BadInput, match="art. 66"):
        parse(PayPlan, raw)
    raw = PLAN.model_dump(mode="json")
    raw["performance"]["quality"]["qa_steps"] = [{"min_score": 0, "multiplier": "1"}]
    raw["performance"]["quality"]["per_violation"] = "0"
    raw["performance"]["quality"]["per_complaint"] = "0"
    with pytest.raises(BadInput, match="performance.quality"):
        parse(PayPlan, raw)


def test_plan_errors_name_the_field() -> None:
    raw = PLAN.model_dump(mode="json")
    raw["performance"]["tiers"] = [{"up_to": None, "rate": "0.01"}, {"up_to": "5", "rate": "0"}]
    with pytest.raises(BadInput, match="performance"):
        parse(PayPlan, raw)
    raw = PLAN.model_dump(mode="json")
    raw["base_monthly"]["intern"] = {"establishment": "1"}
    with pytest.raises(BadInput, match="base_monthly.intern"):
        parse(PayPlan, raw)


def test_agency_staff_are_not_on_the_bank_payroll() -> None:
    payee = OFFICER.model_copy(update={"employment_type": "agency"})
    with pytest.raises(BadInput, match="paid by their agency"):
        month_statement(PLAN, payee=payee, month=date(2026, 10, 1), metrics=None)
