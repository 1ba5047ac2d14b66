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
    # 10000.00 x 0.05% x 37 days = 185.00; fees 5% of 450.00 and of 1000.00
    assert b.interest == D("185.00")
    assert [i.amount for i in b.items if i.kind == "fee"] == [D("22.50"), D("50.00")]
    assert b.total_due == D("10257.50")
    interest = next(i for i in b.items if i.kind == "interest")
    assert "0.05% a day" in interest.explanation["en"]
    assert "37 days" in interest.explanation["en"]
    assert "10,000.00 CNY" in interest.explanation["en"]
    assert "逾期 37 天" in interest.explanation["zh-CN"]
    fee = [i for i in b.items if i.kind == "fee"][0]
    assert "2005-08-25" in fee.explanation["en"]
    assert "450.00" in fee.explanation["zh-CN"]
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
    assert b.interest == D("300.00")  # 10000 x 0.0005 x 60
    interest = next(i for i in b.items if i.kind == "interest")
    assert "2 cycles late as reported on 2005-10-01" in interest.explanation["en"]
    assert "报告逾期 2 期" in interest.explanation["zh-CN"]
    assert b.fees == D("97.50")  # 5% of 950 + 5% of 1000
    assert b.total_due == D("10397.50")


def test_floor_and_cap_are_explained(tmp_path: Path) -> None:
    schedule = load_fee_schedule(
        write(tmp_path, "extends: cn-card\nlate_fee: {floor: 30, cap: 40}\n")
    )
    b = owed_breakdown(
        terms=CNY,
        statements=STATEMENTS,
        payments=PAYMENTS,
        as_of=date(2005, 10, 1),
        schedule=schedule,
    )
    first, second = (i for i in b.items if i.kind == "fee")
    assert (first.amount, second.amount) == (D("30.00"), D("40.00"))
    assert "floor" in first.explanation["en"]
    assert "最低" in first.explanation["zh-CN"]
    assert "cap" in second.explanation["en"]
    assert "封顶" in second.explanation["zh-CN"]


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
