"""The itemization-date model on real and itemised statements (docs/delinquency.md)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from arrears.delinquency import (
    AccountTerms,
    PaymentFact,
    StatementFact,
    StatusReport,
    load_fee_schedule,
    owed_breakdown,
)
from arrears.portfolio.uci import read_uci

D = Decimal


def _uci_account(path: Path, ref: str) -> tuple[list[StatementFact], list[PaymentFact],
                                                list[StatusReport]]:  # fmt: skip
    tables = {k: v.to_pylist() for k, v in read_uci(path).items()}
    mine = {k: [r for r in v if r.get("account_id") == ref] for k, v in tables.items()}
    return (
        [StatementFact(r["cycle_date"], r["due_date"], r["closing_balance"], r["minimum_due"])
         for r in mine["statements"]],
        [PaymentFact(r["paid_on"], r["amount"], r["reference"]) for r in mine["payments"]],
        [StatusReport(r["reported_on"], r["status"]) for r in mine["delinquency"]],
    )  # fmt: skip


def test_uci_account_1_owes_the_september_balance_plus_what_came_after(uci_csv: Path) -> None:
    """UCI client 1 as of 2005-10-01 (cn-card): PAY_0 = 2, two months late.

    Itemization date 2005-09-05, amount on it 3,913.00 (BILL_AMT1). After it: interest for the
    26 days 09-05 -> 10-01 (3,913.00 x 0.05% x 26 = 50.869 -> 50.87) and one breach fee on
    September's minimum 391.30, due 09-25 (5% = 19.565 -> 19.56, half-even); no payment since
    (PAY_AMT1 = 0). Total 3,983.43. It was 4,065.46: 60 days of interest (117.39) counted back
    from early August and August's fee (15.51), both already inside the 09-05 balance.
    """
    statements, payments, reports = _uci_account(uci_csv, "1")
    b = owed_breakdown(
        terms=AccountTerms("TWD", D("0.10")),
        statements=statements,
        payments=payments,
        reports=reports,
        as_of=date(2005, 10, 1),
        schedule=load_fee_schedule("cn-card"),
    )
    assert (b.aging.dpd, b.aging.bucket) == (60, "M2")  # aging is not pricing: unchanged
    assert (b.itemization_date, b.itemization_amount) == (date(2005, 9, 5), D("3913.00"))
    assert b.accrual.interest_days == 26
    assert b.interest == D("50.87")
    fees = [(i.amount, i.explanation["en"]) for i in b.items if i.kind == "fee"]
    assert len(fees) == 1
    assert fees[0][0] == D("19.56")
    assert "2005-09-25" in fees[0][1]
    assert "391.30" in fees[0][1]
    assert (b.payments, b.credits) == (0, 0)
    assert b.total_due == D("3983.43")
    assert b.total_due == D("3913.00") + D("50.87") + D("19.56")
    billed = next(i for i in b.items if i.kind == "billed")
    assert "already includes everything billed through 2005-09-05" in billed.explanation["en"]


def test_an_itemised_statement_explains_the_interest_and_fees_it_billed() -> None:
    """Credit education: what the statement already charged, and why; nothing twice."""
    s = StatementFact(
        date(2026, 3, 5), date(2026, 3, 25), D("10250.00"), D("1025.00"),
        previous_balance=D("10000.00"), principal_billed=D("120.00"),
        interest_billed=D("150.00"), fees_billed=D("50.00"),
    )  # fmt: skip
    earlier = StatementFact(date(2026, 2, 5), date(2026, 2, 25), D("10000.00"), D("1000.00"))
    b = owed_breakdown(
        terms=AccountTerms("CNY", D("0.1")),
        statements=[earlier, s],
        payments=[PaymentFact(date(2026, 3, 10), D("200.00"), "R1")],
        as_of=date(2026, 3, 15),
        schedule=load_fee_schedule("cn-card"),
    )
    billed = next(i for i in b.items if i.kind == "billed")
    assert billed.amount == 0
    en, zh = billed.explanation["en"], billed.explanation["zh-CN"]
    assert "previous balance 10,000.00 CNY" in en
    assert "overdraft interest billed 150.00 CNY" in en
    assert "fees billed 50.00 CNY" in en
    assert "breach fee" in en
    # 10,000 + 120 + 150 + 50 - 10,250: the payments and credits of the cycle.
    assert "less payments and credits in the cycle 70.00 CNY" in en
    assert "违约金" in zh
    assert "透支利息" in zh
    # February's minimum is past due since 02-25, but its interest and fee up to 03-05 are the
    # 150.00 and 50.00 billed: only the 10 days after 03-05 are new, on 10,250 - 200.
    assert b.accrual.interest_days == 10
    assert b.interest == D("10050.00") * D("0.0005") * 10
    assert b.fees == 0  # March's minimum is not due yet
    assert b.total_due == D("10250.00") + D("50.25") - D("200.00")
