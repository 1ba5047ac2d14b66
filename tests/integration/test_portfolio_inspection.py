"""`arrears portfolio summary` and `arrears account show` on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from arrears.delinquency import BUCKET_NAMES
from arrears.kit.db import default_engine
from arrears.portfolio.models import (
    CardAccount,
    Cardholder,
    Payment,
    ReportedDelinquency,
    Statement,
)

D = Decimal
AS_OF = "2005-10-01"
NOW = datetime(2005, 10, 1, tzinfo=UTC)


def add_account(
    session: Session,
    ref: str,
    *,
    minimums: list[str] = (),  # type: ignore[assignment]
    balance: str = "10000.00",
    paid: list[tuple[date, str]] = (),  # type: ignore[assignment]
    report: int | None = None,
    currency: str = "CNY",
) -> CardAccount:
    """An account with monthly statements from April 2005 (cycle day 5, due day 25)."""
    holder = Cardholder(external_ref=f"C{ref}", name=f"Holder {ref}", created_at=NOW)
    session.add(holder)
    session.flush()
    account = CardAccount(
        external_ref=ref,
        cardholder_id=holder.id,
        product="classic",
        credit_limit=D("50000.00"),
        currency=currency,
        statement_day=5,
        due_days=20,
        min_payment_ratio=D("0.1"),
    )
    session.add(account)
    session.flush()
    for i, minimum in enumerate(minimums):
        cycle = date(2005, 4 + i, 5)
        session.add(
            Statement(
                account_id=account.id,
                cycle_date=cycle,
                due_date=cycle + timedelta(days=20),
                closing_balance=D(balance),
                minimum_due=D(minimum),
            )
        )
    for n, (paid_on, amount) in enumerate(paid):
        session.add(
            Payment(account_id=account.id, paid_on=paid_on, amount=D(amount), reference=f"P{n}")
        )
    if report is not None:
        session.add(
            ReportedDelinquency(account_id=account.id, reported_on=date(2005, 10, 1), status=report)
        )
    session.flush()
    return account


def arrange_book(session: Session) -> None:
    six = ["1000.00"] * 6  # due 04-25 ... 09-25
    add_account(session, "100", minimums=six, paid=[(date(2005, 9, 20), "6000.00")])  # current
    # Paid April..July: August (due 08-25) is the oldest unpaid: 37 days on 10-01 -> M2.
    add_account(session, "200", minimums=six, paid=[(date(2005, 7, 20), "4000.00")])
    add_account(session, "300", minimums=six, report=1)  # the card system says 1 cycle late
    add_account(session, "400")  # no statement yet
    add_account(session, "500", minimums=six, report=8)  # M7+
    session.commit()


def run_json(cli: Any, *args: str) -> dict[str, Any]:
    result = cli(*args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_summary_counts_balances_and_past_due(cli: Any, session: Session) -> None:
    arrange_book(session)
    out = run_json(cli, "portfolio", "summary", "--as-of", AS_OF)
    assert out["as_of"] == AS_OF
    assert out["accounts"] == 5
    assert out["currency"] == "CNY"
    assert list(out["buckets"]) == list(BUCKET_NAMES)  # every bucket, zeros included
    assert out["buckets"] == {
        "M0": 2, "M1": 1, "M2": 1, "M3": 0, "M4": 0, "M5": 0, "M6": 0, "M7+": 1,
    }  # fmt: skip
    assert out["balances"]["M0"] == "4000.00"  # 100: 10000 less 6000 paid since; 400: nothing
    assert out["balances"]["M2"] == "10000.00"
    assert out["balances"]["M3"] == "0.00"
    assert out["past_due"]["M2"] == "2000.00"  # August and September unpaid
    assert out["past_due"]["M1"] == "1000.00"  # the reported cycle's minimum
    assert out["past_due"]["M7+"] == "6000.00"  # 8 cycles reported, six statements known


def test_summary_ages_on_the_given_date(cli: Any, session: Session) -> None:
    arrange_book(session)
    out = run_json(cli, "portfolio", "summary", "--as-of", "2005-08-26")
    # Before the reports and 100's payment: 100, 300 and 500 owe since April 25 -> 123 days.
    assert out["buckets"]["M5"] == 3
    assert out["buckets"]["M1"] == 1  # 200: August due yesterday


def test_summary_with_several_currencies_keeps_money_apart(cli: Any, session: Session) -> None:
    add_account(session, "1", minimums=["10.00"], currency="CNY")
    add_account(session, "2", minimums=["10.00"], balance="300.00", currency="USD")
    session.commit()
    out = run_json(cli, "portfolio", "summary", "--as-of", AS_OF)
    assert out["currency"] == "mixed"
    assert "balances" not in out
    assert out["by_currency"]["USD"]["balances"]["M6"] == "300.00"
    assert out["by_currency"]["CNY"]["accounts"] == 1
    human = cli("portfolio", "summary", "--as-of", AS_OF)
    assert human.exit_code == 0
    assert "several currencies" in human.stdout


@contextmanager
def counting_queries() -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    engine = default_engine()
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def test_summary_query_count_does_not_grow_with_the_book(cli: Any, session: Session) -> None:
    add_account(session, "1", minimums=["10.00"])
    session.commit()
    with counting_queries() as small:
        run_json(cli, "portfolio", "summary", "--as-of", AS_OF)
    for n in range(2, 40):
        add_account(session, str(n), minimums=["10.00", "10.00"], paid=[(date(2005, 5, 1), "5")])
    session.commit()
    with counting_queries() as large:
        out = run_json(cli, "portfolio", "summary", "--as-of", AS_OF)
    assert out["accounts"] == 39
    selects = [s for s in large if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == len([s for s in small if s.lstrip().upper().startswith("SELECT")])
    assert len(selects) <= 6


def test_summary_human_output(cli: Any, session: Session) -> None:
    arrange_book(session)
    result = cli("portfolio", "summary", "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    assert "M7+" in result.stdout
    assert "5 accounts" in result.stdout


def test_summary_on_an_empty_store(cli: Any) -> None:
    out = run_json(cli, "portfolio", "summary", "--as-of", AS_OF)
    assert out["accounts"] == 0
    assert set(out["buckets"].values()) == {0}


def test_bad_as_of_is_a_clear_error(cli: Any) -> None:
    result = cli("portfolio", "summary", "--as-of", "2005-13-01")
    assert result.exit_code == 2
    assert "--as-of" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_account_show_json(cli: Any, session: Session) -> None:
    arrange_book(session)
    out = run_json(cli, "account", "show", "200", "--as-of", AS_OF, "--locale", "en")
    assert out["account"]["external_ref"] == "200"
    assert out["cardholder"]["name"] == "Holder 200"
    assert (out["dpd"], out["bucket"]) == (37, "M2")
    assert out["oldest_due_date"] == "2005-08-25"
    assert len(out["statements"]) == 6
    assert out["payments"][0]["amount"] == "4000.00"
    b = out["breakdown"]
    assert sum(D(i["amount"]) for i in b["items"]) == D(b["total_due"])
    # The itemization date 2005-09-05: its balance holds August's fee and the interest to then
    # (was 10,285.00: 37 days of interest and both fees on top of it).
    assert b["itemization_date"] == "2005-09-05"
    assert [i["kind"] for i in b["items"]] == ["principal", "billed", "interest", "fee"]
    assert b["interest"] == "130.00"  # 10000 x 0.05% x 26 days after 09-05
    assert b["fees"] == "50.00"  # 5% of September's 1000 (due 09-25)
    assert b["credits"] == "0.00"
    assert b["total_due"] == "10180.00"
    assert "26 days past due after the itemization date" in b["items"][2]["explanation"]


def test_account_show_reported_path_in_chinese(cli: Any, session: Session) -> None:
    arrange_book(session)
    out = run_json(cli, "account", "show", "300", "--as-of", "2005-10-11", "--locale", "zh-CN")
    assert (out["dpd"], out["bucket"]) == (40, "M2")
    assert out["reports"] == [{"reported_on": "2005-10-01", "status": 1}]
    # 40 days past due, 36 of them after the 09-05 statement.
    assert "逾期 36 天" in out["breakdown"]["items"][2]["explanation"]


def test_account_show_human_output(cli: Any, session: Session) -> None:
    arrange_book(session)
    result = cli("account", "show", "200", "--as-of", AS_OF, "--locale", "zh-CN")
    assert result.exit_code == 0, result.stderr
    assert "Holder 200" in result.stdout
    assert "违约金" in result.stdout
    assert "10,180.00" in result.stdout  # the total due


def test_account_show_other_fee_schedule(cli: Any, session: Session) -> None:
    arrange_book(session)
    out = run_json(cli, "account", "show", "200", "--as-of", AS_OF, "--fee-schedule", "us-card")
    assert out["fee_schedule"] == "us-card"
    assert out["breakdown"]["fees"] == "30.00"  # September's; August's is in the balance


def test_account_show_says_where_accrual_stopped(cli: Any, session: Session) -> None:
    """Invariant 8: 500 is 240 days late (8 cycles reported); us-card charges off at 180."""
    arrange_book(session)
    out = run_json(
        cli, "account", "show", "500", "--as-of", AS_OF, "--fee-schedule", "us-card",
        "--locale", "en",
    )  # fmt: skip
    b = out["breakdown"]
    assert out["dpd"] == 240
    assert b["accrual"]["stop"] == "charge_off"
    assert b["accrual"]["stopped_on"] == "2005-08-02"  # 2005-02-03 + 180 days
    # Charged off before the 09-05 statement: nothing accrues after it (the fees and interest
    # billed before are in that balance), and September, due after the charge-off, has no fee.
    assert b["accrual"]["interest_days"] == 0
    fees = [i["amount"] for i in b["items"] if i["kind"] == "fee"]
    assert fees == ["0.00"]
    assert b["total_due"] == "10000.00"
    (stop,) = [i for i in b["items"] if i["kind"] == "accrual_stop"]
    assert stop["amount"] == "0.00"
    assert "stopped on 2005-08-02" in stop["explanation"]
    assert "charge-off" in stop["explanation"]
    assert sum(D(i["amount"]) for i in b["items"]) == D(b["total_due"])
    human = cli("account", "show", "500", "--as-of", AS_OF, "--fee-schedule", "us-card",
                "--locale", "zh-CN")  # fmt: skip
    assert human.exit_code == 0, human.stderr
    assert "accrual_stop" in human.stdout
    assert "核销" in human.stdout


def test_account_show_unknown_id(cli: Any) -> None:
    result = cli("account", "show", "nope", "--as-of", AS_OF)
    assert result.exit_code == 1
    assert "no account 'nope'" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_account_show_bad_date_and_locale(cli: Any, session: Session) -> None:
    arrange_book(session)
    bad_date = cli("account", "show", "200", "--as-of", "yesterday")
    assert bad_date.exit_code == 2
    assert "--as-of" in bad_date.stderr
    bad_locale = cli("account", "show", "200", "--locale", "fr")
    assert bad_locale.exit_code == 2
    assert "--locale" in bad_locale.stderr
    bad_schedule = cli("account", "show", "200", "--fee-schedule", "/nowhere/fees.yaml")
    assert bad_schedule.exit_code == 2
    assert "no fee schedule" in bad_schedule.stderr
    assert "Traceback" not in bad_schedule.stderr + bad_schedule.stdout
