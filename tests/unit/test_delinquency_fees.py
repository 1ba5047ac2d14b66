"""Fee schedules (YAML profiles) and the owed breakdown with its explanations."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from arrears.delinquency import (
    AccountTerms,
    PaymentFact,
    StatementFact,
    StatusReport,
    load_fee_schedule,
    owed_breakdown,
    shipped_schedules,
)
from arrears.kit.errors import BadInput

D = Decimal
CNY = AccountTerms(currency="CNY", min_payment_ratio=D("0.1"))


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "bank.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_shipped_schedules_load() -> None:
    assert set(shipped_schedules()) >= {"cn-card", "us-card", "generic"}
    cn = load_fee_schedule("cn-card")
    assert cn.late_fee.kind == "percent"
    assert cn.late_fee.rate == D("0.05")
    assert cn.interest.daily_rate == D("0.0005")
    assert load_fee_schedule("us-card").late_fee.kind == "fixed"


@pytest.mark.parametrize(
    ("unpaid", "floor", "cap", "fee"),
    [
        ("1000.00", "0", None, "50.00"),  # plain 5%
        ("100.00", "10.00", None, "10.00"),  # 5.00 raised to the floor
        ("100000.00", "0", "500.00", "500.00"),  # 5000.00 limited to the cap
        ("0.10", "0", None, "0.00"),  # 0.005 rounds half-even to 0.00
        ("0.30", "0", None, "0.02"),  # 0.015 rounds half-even to 0.02
    ],
)
def test_percent_fee_floor_and_cap(
    tmp_path: Path, unpaid: str, floor: str, cap: str | None, fee: str
) -> None:
    cap_yaml = "null" if cap is None else cap
    schedule = load_fee_schedule(
        write(tmp_path, f"extends: cn-card\nlate_fee:\n  floor: {floor}\n  cap: {cap_yaml}\n")
    )
    assert schedule.fee_for(D(unpaid), "CNY") == D(fee)


def test_no_fee_without_an_unpaid_part() -> None:
    assert load_fee_schedule("generic").fee_for(D("0"), "CNY") == 0


@pytest.mark.parametrize(("unpaid", "fee"), [("100.00", "30.00"), ("12.34", "12.34")])
def test_us_fixed_fee_never_exceeds_the_unpaid_minimum(unpaid: str, fee: str) -> None:
    assert load_fee_schedule("us-card").fee_for(D(unpaid), "USD") == D(fee)


def test_us_fixed_fee_is_capped(tmp_path: Path) -> None:
    schedule = load_fee_schedule(write(tmp_path, "extends: us-card\nlate_fee: {amount: 50}\n"))
    assert schedule.fee_for(D("100"), "USD") == D("41.00")


def test_annual_rate_is_applied_once() -> None:
    us = load_fee_schedule("us-card")
    # 1000 x 29.99% x 30 / 365 = 24.6493... -> 24.65
    assert us.interest_for(D("1000.00"), 30, "USD") == D("24.65")


def test_extends_can_switch_the_fee_kind(tmp_path: Path) -> None:
    text = (
        "extends: cn-card\nname: mine\n"
        "late_fee: {kind: fixed, label: {en: x, zh-CN: y}, amount: 20}\n"
    )
    schedule = load_fee_schedule(write(tmp_path, text))
    assert (schedule.name, schedule.late_fee.kind) == ("mine", "fixed")
    assert schedule.interest.daily_rate == D("0.0005")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("extends: cn-card\nlate_fee:\n  rate: 5\n", r"late_fee\.rate \(line 3\)"),
        ("extends: cn-card\nlate_fee:\n  rate: lots\n", r"late_fee\.rate \(line 3\)"),
        ("extends: cn-card\nsurprise: 1\n", r"surprise \(line 2\).*not permitted"),
        ("extends: cn-card\nlate_fee: {floor: 20, cap: 10}\n", r"late_fee.*floor .* above cap"),
        ("extends: cn-card\ninterest: {annual_rate: 0.2}\n", r"interest.*exactly one"),
        ("extends: cn-card\nlate_fee: {kind: weird}\n", r"late_fee"),
        ("name: x\n", r"late_fee.*Field required"),
        ("- a\n- b\n", r"mapping"),
        ("name: [unclosed\n", r"not valid YAML"),
        ("extends: nowhere\n", r"no fee schedule 'nowhere'"),
    ],
)
def test_bad_schedule_files_name_the_field(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        load_fee_schedule(write(tmp_path, text))


def test_unknown_schedule_name() -> None:
    with pytest.raises(BadInput, match="cn-card"):
        load_fee_schedule("xx-card")


def test_a_schedule_cannot_extend_itself(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text(f"extends: {path}\n", encoding="utf-8")
    with pytest.raises(BadInput, match="extends"):
        load_fee_schedule(str(path))


# --- the owed breakdown: the worked example of docs/delinquency.md ---------------------------

STATEMENTS = [
    StatementFact(date(2005, 7, 5), date(2005, 7, 25), D("9000.00"), D("900.00")),
    StatementFact(date(2005, 8, 5), date(2005, 8, 25), D("9500.00"), D("950.00")),
    StatementFact(date(2005, 9, 5), date(2005, 9, 25), D("10000.00"), D("1000.00")),
]
PAYMENTS = [
    PaymentFact(date(2005, 7, 20), D("900.00"), "P1"),
    PaymentFact(date(2005, 9, 1), D("500.00"), "P2"),
]


def test_worked_example() -> None:
    b = owed_breakdown(
        terms=CNY,
        statements=STATEMENTS,
        payments=PAYMENTS,
        as_of=date(2005, 10, 1),
        schedule=load_fee_schedule("cn-card"),
    )
    # Paid 1400 covers July (900) and 500 of August: 450 of August and all of September unpaid.
    assert [(p.due_date, p.unpaid) for p in b.aging.past_due] == [
        (date(2005, 8, 25), D("450.00")),
        (date(2005, 9, 25), D("1000.00")),
    ]
    assert (b.aging.dpd, b.aging.bucket) == (37, "M2")
    assert b.principal == D("10000.00")
    assert b.payments == D("0")  # P2 predates the September statement
    # Itemization date 2005-09-05: its closing balance 10,000.00 already holds August's breach
    # fee (due 08-25) and the interest billed through 09-05. Was 10,257.50 (interest for all 37
    # days past due and August's fee on top: both counted twice).
    assert (b.itemization_date, b.itemization_amount) == (date(2005, 9, 5), D("10000.00"))
    # Past due since 08-25, but only the 26 days after 09-05 are new: 10000 x 0.05% x 26.
    assert b.accrual.interest_days == 26
    assert b.interest == D("130.00")
    # One fee: September's minimum, due 09-25, after the itemization date (5% of 1,000.00).
    assert [i.amount for i in b.items if i.kind == "fee"] == [D("50.00")]
    assert b.total_due == D("10180.00")
    assert b.total_due == b.itemization_amount + b.interest + b.fees + b.payments + b.credits
    interest = next(i for i in b.items if i.kind == "interest")
    assert "0.05% a day" in interest.explanation["en"]
    assert "26 days past due after the itemization date 2005-09-05" in interest.explanation["en"]
    assert "10,000.00 CNY" in interest.explanation["en"]
    assert "逾期 26 天" in interest.explanation["zh-CN"]
    billed = next(i for i in b.items if i.kind == "billed")
    assert billed.amount == 0
    assert "already includes everything billed through 2005-09-05" in billed.explanation["en"]
    fee = [i for i in b.items if i.kind == "fee"][0]
    assert "2005-09-25" in fee.explanation["en"]
    assert "1,000.00" in fee.explanation["zh-CN"]
    assert "违约金" in fee.explanation["zh-CN"]


def test_payments_after_the_statement_reduce_principal_and_interest() -> None:
    payments = [*PAYMENTS, PaymentFact(date(2005, 9, 28), D("2000.00"), "P3")]
    b = owed_breakdown(
        terms=CNY,
        statements=STATEMENTS,
        payments=payments,
        as_of=date(2005, 10, 1),
        schedule=load_fee_schedule("cn-card"),
    )
    assert b.aging.dpd == 0  # 3400 paid covers every minimum due so far
    assert b.payments == D("-2000.00")
    assert b.interest == 0
    assert b.total_due == D("8000.00")
    pay = next(i for i in b.items if i.kind == "payment")
    assert "P3" in pay.explanation["en"]
    assert "-2,000.00 CNY" in pay.explanation["en"]


def test_breakdown_on_the_reported_path() -> None:
    b = owed_breakdown(
        terms=CNY,
        statements=STATEMENTS,
        payments=[],
        as_of=date(2005, 10, 1),
        reports=[StatusReport(date(2005, 10, 1), 2)],
        schedule=load_fee_schedule("cn-card"),
    )
    assert (b.aging.dpd, b.aging.bucket) == (60, "M2")
    assert b.aging.reported == StatusReport(date(2005, 10, 1), 2)
    # 60 days past due, 26 of them after 09-05: 10000 x 0.0005 x 26 (was 300.00, all 60 days).
    assert b.interest == D("130.00")
    interest = next(i for i in b.items if i.kind == "interest")
    assert "2 cycles late as reported on 2005-10-01" in interest.explanation["en"]
    assert "报告逾期 2 期" in interest.explanation["zh-CN"]
    # September's 5% of 1000 only; August's 47.50 is inside the 09-05 balance (was 97.50).
    assert b.fees == D("50.00")
    assert b.total_due == D("10180.00")  # was 10,397.50


@pytest.mark.parametrize(("bounds", "fee"), [("{floor: 60}", "60.00"), ("{cap: 40}", "40.00")])
def test_floor_and_cap_are_explained(tmp_path: Path, bounds: str, fee: str) -> None:
    schedule = load_fee_schedule(write(tmp_path, f"extends: cn-card\nlate_fee: {bounds}\n"))
    b = owed_breakdown(
        terms=CNY,
        statements=STATEMENTS,
        payments=PAYMENTS,
        as_of=date(2005, 10, 1),
        schedule=schedule,
    )
    # One fee since the itemization date: September's 5% of 1,000.00 = 50.00, clamped.
    (item,) = (i for i in b.items if i.kind == "fee")
    assert item.amount == D(fee)
    if "floor" in bounds:
        assert "floor" in item.explanation["en"]
        assert "最低" in item.explanation["zh-CN"]
    else:
        assert "cap" in item.explanation["en"]
        assert "封顶" in item.explanation["zh-CN"]


def test_no_statement_yet() -> None:
    b = owed_breakdown(
        terms=CNY,
        statements=[],
        payments=[],
        as_of=date(2005, 1, 1),
        schedule=load_fee_schedule("cn-card"),
    )
    assert b.total_due == 0
    assert [i.kind for i in b.items] == ["principal", "interest"]
