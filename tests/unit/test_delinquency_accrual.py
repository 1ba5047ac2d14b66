"""Where interest and fees stop (invariant 8) and which amounts open a case (invariant 2)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from arrears.delinquency import (
    AccountTerms,
    FeeSchedule,
    PaymentFact,
    StatementFact,
    StatusReport,
    load_fee_schedule,
    owed_breakdown,
)
from arrears.kit.errors import BadInput

D = Decimal
TWD = AccountTerms(currency="TWD", min_payment_ratio=D("0.1"))
# Nine monthly statements, cut on the 5th and due on the 25th (the UCI layout), never paid.
STATEMENTS = [
    StatementFact(date(2005, m, 5), date(2005, m, 25), D(10_000), D("1000.00"))
    for m in range(1, 10)
]
TODAY = date(2026, 11, 29)  # viewed today: 21 years after the UCI snapshot


def owed(
    schedule: FeeSchedule,
    as_of: date,
    statements: list[StatementFact] = STATEMENTS,
    payments: list[PaymentFact] | None = None,
    reports: list[StatusReport] | None = None,
) -> object:
    return owed_breakdown(
        terms=TWD,
        statements=statements,
        payments=payments or [],
        reports=reports or [],
        as_of=as_of,
        schedule=schedule,
    )


def write(tmp_path: Path, text: str) -> FeeSchedule:
    path = tmp_path / "bank.yaml"
    path.write_text(text, encoding="utf-8")
    return load_fee_schedule(str(path))


def test_the_shipped_profiles_say_where_accrual_stops() -> None:
    us, cn, generic = (load_fee_schedule(n) for n in ("us-card", "cn-card", "generic"))
    assert us.accrual.stop is not None
    assert (us.accrual.stop.kind, us.accrual.stop.after_dpd) == ("charge_off", 180)
    assert us.accrual.cap_ratio is None
    assert cn.accrual.stop is not None
    assert (cn.accrual.stop.kind, cn.accrual.stop.after_dpd) == ("non_accrual", 90)
    assert cn.accrual.cap_ratio == D("1")
    assert cn.small_balance == D("10")
    assert generic.accrual.stop is not None
    assert generic.accrual.cap_ratio is not None


# The same statements, the January to June minimums paid on the 20th: behind from 2005-07-25.
LATE_STARTER = [PaymentFact(date(2005, m, 20), D("1000.00"), f"P{m}") for m in range(1, 7)]
ITEMIZED_ON = date(2005, 9, 5)  # the September statement: 42 days after 2005-07-25


def test_us_card_charges_off_at_180_days_and_then_accrues_nothing() -> None:
    us = load_fee_schedule("us-card")
    b = owed(us, TODAY, payments=LATE_STARTER)
    assert b.itemization_date == ITEMIZED_ON
    # Oldest unpaid instalment due 2005-07-25: 180 days past due on 2006-01-21.
    assert b.aging.dpd == (TODAY - date(2005, 7, 25)).days
    assert b.accrual.stopped_on == date(2006, 1, 21)
    # Interest from the itemization date to the charge-off: 180 - 42 = 138 days.
    assert b.accrual.interest_days == 138 == (date(2006, 1, 21) - ITEMIZED_ON).days
    assert b.interest == (D(10_000) * D("0.2999") * 138 / 365).quantize(D("0.01"))
    assert b.interest == D("1133.87")
    # One late fee: September's (due 09-25, before the charge-off). July's and August's fell
    # due on or before 09-05 and are inside that statement's balance.
    assert [i.amount for i in b.items if i.kind == "fee"] == [D("30.00")]
    assert b.total_due == D(10_000) + D("1133.87") + D("30.00")
    # Seen on the day of the charge-off or 21 years later: the same figures.
    at_stop = owed(us, date(2006, 1, 21), payments=LATE_STARTER)
    assert (at_stop.interest, at_stop.fees, at_stop.total_due) == (b.interest, b.fees, b.total_due)


def test_charged_off_before_the_itemization_date_the_statement_balance_is_owed() -> None:
    """Never paid: charged off on 2005-07-24, before the 09-05 statement. Nothing accrues
    after it; the interest and fees billed before are in its balance, not added again."""
    b = owed(load_fee_schedule("us-card"), TODAY)
    assert b.accrual.stopped_on == date(2005, 7, 24)
    assert b.accrual.interest_days == 0
    assert (b.interest, b.fees) == (0, 0)
    assert b.total_due == D("10000.00")  # was 11,658.96: 180 days of interest and six fees on top
    interest = next(i for i in b.items if i.kind == "interest")
    assert "it stopped at the charge-off on 2005-07-24" in interest.explanation["en"]
    (late,) = [i for i in b.items if i.kind == "fee"]
    assert late.amount == 0
    assert "No late fee" in late.explanation["en"]
    assert "charge-off" in late.explanation["en"]
    assert "不收滞纳金" in late.explanation["zh-CN"]


def test_the_breakdown_says_where_and_why_accrual_stopped() -> None:
    b = owed(load_fee_schedule("us-card"), TODAY, payments=LATE_STARTER)
    stops = [i for i in b.items if i.kind == "accrual_stop"]
    assert len(stops) == 1
    assert stops[0].amount == 0
    en, zh = stops[0].explanation["en"], stops[0].explanation["zh-CN"]
    assert "2006-01-21" in en
    assert "180 days past due" in en
    assert "charge-off" in en
    assert "2006-01-21" in zh
    assert "180" in zh
    assert "核销" in zh
    interest = next(i for i in b.items if i.kind == "interest")
    assert "138 days past due after the itemization date 2005-09-05" in interest.explanation["en"]
    assert "; none after the charge-off on 2006-01-21)" in interest.explanation["en"]
    assert sum((i.amount for i in b.items), D(0)) == b.total_due


def test_cn_card_stops_penalty_interest_and_fees_at_the_non_accrual_day_count() -> None:
    cn = load_fee_schedule("cn-card")
    b = owed(cn, TODAY, payments=LATE_STARTER)
    assert b.accrual.stopped_on == date(2005, 7, 25) + timedelta(days=90)
    # 10,000 x 0.05% x 48 days (09-05 to the non-accrual on 10-23).
    assert b.interest == D("240.00")
    # September's breach fee (5% of 1,000): it fell due before the non-accrual.
    assert [i.amount for i in b.items if i.kind == "fee"] == [D("50.00")]
    assert b.total_due == D("10290.00")
    assert "停止计息" in next(i for i in b.items if i.kind == "accrual_stop").explanation["zh-CN"]


def test_the_reported_path_stops_from_the_reported_date() -> None:
    """UCI: status 8 reported on 2005-10-01 is 240 days late; the stop is 180 days after
    2005-02-03 (as_of - dpd), before the 09-05 statement: nothing accrues after it."""
    us = load_fee_schedule("us-card")
    six = STATEMENTS[3:]  # April to September
    b = owed(us, date(2005, 10, 1), six, reports=[StatusReport(date(2005, 10, 1), 8)])
    assert b.aging.dpd == 240
    assert b.accrual.stopped_on == date(2005, 8, 2)
    # September fell due after the charge-off: no fee; April-August are in the balance.
    assert [i.amount for i in b.items if i.kind == "fee"] == [D("0.00")]
    assert b.accrual.interest_days == 0
    assert b.total_due == D("10000.00")


def test_the_cap_limits_interest_and_fees_to_a_share_of_the_unpaid_principal(
    tmp_path: Path,
) -> None:
    capped = write(tmp_path, "extends: cn-card\naccrual: {stop: null, cap_ratio: 0.05}\n")
    b = owed(capped, TODAY, payments=[PaymentFact(date(2005, 9, 20), D("2000.00"), "P1")])
    # Unpaid principal 10,000 - 2,000 = 8,000 (paid after the last statement): cap 400.00.
    assert b.accrual.cap == D("400.00")
    assert b.interest + b.fees == D("400.00")
    assert b.accrual.capped > 0
    stop = next(i for i in b.items if i.kind == "accrual_stop")
    assert "5% of the unpaid principal 8,000.00 TWD = 400.00 TWD" in stop.explanation["en"]
    assert "上限" in stop.explanation["zh-CN"]
    # September's breach fee of 50.00 keeps its place; interest gets what is left of the cap.
    assert b.fees == D("50.00")
    assert b.interest == D("350.00")
    assert (
        "limited to 350.00 TWD by the cap"
        in next(i for i in b.items if i.kind == "interest").explanation["en"]
    )


def test_no_stop_line_while_the_account_is_accruing() -> None:
    b = owed(load_fee_schedule("us-card"), date(2005, 3, 1))
    assert b.accrual.stopped_on is None
    assert not [i for i in b.items if i.kind == "accrual_stop"]


@pytest.mark.parametrize(("past_due", "collectible"), [("10.00", False), ("10.01", True)])
def test_amounts_at_or_below_the_small_balance_open_no_case(
    past_due: str, collectible: bool
) -> None:
    cn = load_fee_schedule("cn-card")
    one = [StatementFact(date(2005, 9, 5), date(2005, 9, 25), D(past_due), D(past_due))]
    b = owed(cn, date(2005, 10, 1), one)
    assert b.aging.dpd == 6
    assert b.collectible is collectible


def test_a_late_report_with_nothing_owed_is_not_collectible() -> None:
    """The UCI pattern behind 24.8% of cases: PAY_0 = 1 on a statement with a credit balance."""
    credit = [StatementFact(date(2005, 9, 5), date(2005, 9, 25), D("-120.00"), D("0.00"))]
    b = owed(load_fee_schedule("us-card"), date(2005, 10, 1), credit,
             reports=[StatusReport(date(2005, 10, 1), 1)])  # fmt: skip
    assert (b.aging.dpd, b.aging.amount_past_due) == (30, 0)
    assert b.collectible is False


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "accrual: {stop: {kind: charge_off, after_dpd: 0, label: {en: a, zh-CN: b}}}",
            "after_dpd",
        ),
        ("accrual: {stop: {kind: write_off, after_dpd: 90, label: {en: a, zh-CN: b}}}", "kind"),
        ("accrual: {cap_ratio: -1}", "cap_ratio"),
        ("small_balance: -5", "small_balance"),
        ("accrual: {stop_after: 90}", "stop_after"),
    ],
)
def test_bad_accrual_fields_are_named(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        write(tmp_path, f"extends: us-card\n{text}\n")
