"""Agency commission statements on the real stores (SQLite and PostgreSQL): payments made while
the agency held the case, tiers and cap, clawback of a payment reversed the next month, and the
refusals (a month not over, a bad month) through the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from arrears.cases.models import WorkOrder, WorkOrderAccount
from arrears.kit.clock import clock
from arrears.kit.money import round_money
from arrears.portfolio.models import CardAccount, Payment
from arrears.workforce import agency_service, allocation_service, schemas
from arrears.workforce.models import PaymentReversal
from tests.integration.test_workforce_store import AS_OF, make_work_orders
from tests.integration.test_workforce_store import world as world  # noqa: F401 (fixture)

D = Decimal


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 4, 0, tzinfo=UTC)  # noon in Shanghai


@pytest.fixture(autouse=True)
def _december() -> Iterator[None]:
    with clock.frozen(at(date(2026, 12, 15))):
        yield


def account_for(session: Session, wo_id: int, ref: str) -> int:
    wo = session.get(WorkOrder, wo_id)
    assert wo is not None
    acc = CardAccount(
        external_ref=ref,
        cardholder_id=wo.cardholder_id,
        product="classic",
        credit_limit=D("20000.00"),
        currency="CNY",
        statement_day=5,
        due_days=20,
        min_payment_ratio=D("0.1000"),
    )
    session.add(acc)
    session.flush()
    session.add(
        WorkOrderAccount(work_order_id=wo_id, account_ref=ref, account_id=acc.id, bucket="M5")
    )
    session.flush()
    return acc.id


def pay(session: Session, account_id: int, day: date, amount: str, ref: str) -> None:
    session.add(Payment(account_id=account_id, paid_on=day, amount=D(amount), reference=ref))


@pytest.fixture
def placed(world: Session) -> Session:  # noqa: F811
    session = world
    wos = make_work_orders(session, ["outsource", "outsource", "junior"], bucket="M5")
    agency_service.add_agency(session=session, data=schemas.AgencyCreate(code="AG1", name="One"))
    agency_service.add_contract(
        session=session,
        data=schemas.AgencyContractCreate(
            agency="AG1",
            code="AG1-T",
            buckets=["M5"],
            levels=["outsource"],
            commission_pct=D("10"),
            commission_tiers=[
                {"up_to": D("5000"), "rate": D("0.10")},
                {"up_to": None, "rate": D("0.20")},
            ],
            commission_cap=D("2000"),
            start_date=date(2026, 1, 1),
        ),
    )
    session.commit()
    allocation_service.allocate(session=session, as_of=AS_OF)  # placed on 2026-11-29
    session.commit()
    a1, a2, own = (account_for(session, w, f"ACC{i}") for i, w in enumerate(wos))
    pay(session, a1, date(2026, 11, 28), "999.00", "BEFORE")  # before placement: not the agency's
    pay(session, a1, date(2026, 11, 29), "3000.00", "P1")  # the placement day counts
    pay(session, a2, date(2026, 11, 30), "4000.10", "P2")
    pay(session, own, date(2026, 11, 30), "777.00", "INHOUSE")  # a collector's case
    pay(session, a2, date(2026, 12, 3), "100.00", "P3")
    session.commit()
    return session


def test_statement_adds_up_and_clawback_follows_a_reversal(placed: Session, cli: Any) -> None:
    session = placed
    nov = agency_service.commission_statement(
        session=session, agency="AG1", month=date(2026, 11, 1)
    )
    assert nov.recovered == D("7000.10")
    # 5000 x 10% + 2000.10 x 20%, per tier to the cent; under the 2000 cap.
    assert nov.total == D("500.00") + round_money(D("2000.10") * D("0.20")) == D("900.02")
    assert nov.total == sum(line.amount for line in nov.lines if line.amount is not None)
    refs = [line.note.split("ref ")[-1] for line in nov.lines if "paid" in line.label]
    assert refs == ["P1", "P2"]

    # December is not over on the 15th: refused, one line, exit 2.
    res = cli("agencies", "statement", "AG1", "--month", "2026-12")
    assert res.exit_code == 2
    assert "not closed" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert cli("agencies", "statement", "AG1", "--month", "2026-13").exit_code == 2
    assert cli("agencies", "statement", "NOPE", "--month", "2026-11").exit_code == 1

    # P2 is taken back on 15 December: clawed back on December's statement at the base rate,
    # November's statement does not change.
    assert cli("users", "add", "ops", "admin").exit_code == 0
    res = cli("agencies", "reverse-payment", "ACC1", "P2", "--reason", "returned", "--as", "ops")
    assert res.exit_code == 0, res.stderr
    again = cli("agencies", "reverse-payment", "ACC1", "P2", "--reason", "twice", "--as", "ops")
    assert again.exit_code == 1
    with clock.frozen(at(date(2027, 1, 2))):
        res = cli("agencies", "statement", "AG1", "--month", "2026-12", "--json")
        assert res.exit_code == 0, res.stderr
        dec = json.loads(res.stdout)
        assert D(dec["recovered"]) == D("100.00")
        assert D(dec["total"]) == D("10.00") - D("400.01")  # P3 earned, P2 clawed back
        again_nov = cli("agencies", "statement", "AG1", "--month", "2026-11", "--json")
        assert D(json.loads(again_nov.stdout)["total"]) == nov.total
    # The refused second reversal wrote nothing.
    assert session.scalar(sa.select(sa.func.count()).select_from(PaymentReversal)) == 1


def test_agency_performance_in_the_report_and_the_dashboard(placed: Session) -> None:
    """The placed cases against the in-house M5 case; the M2 cases of the roster are not
    comparable. Only money paid while the group held the case counts."""
    from arrears.analytics import service
    from arrears.analytics.report import ReportData, render_html

    out = service.agency_performance(session=placed)
    rows = {r["group"]: r for r in out["groups"]}
    assert set(rows) == {"AG1", "in-house"}
    assert rows["AG1"]["cases"] == 2
    assert rows["AG1"]["recovered"] == D("7100.10")  # not the payment before placement
    assert rows["in-house"]["cases"] == 1
    assert rows["in-house"]["recovered"] == D("777.00")
    page = render_html(ReportData(agencies=out), generated_at=at(date(2026, 12, 15)))
    assert 'id="agencies" data-has-data="true"' in page
    assert "<td>7,100.10</td>" in page  # grouped, as the reader writes amounts


def test_a_generated_book_two_agencies_statements_and_comparison(world: Session) -> None:  # noqa: F811
    """60 placed cases split between two agencies (a placement cap), seeded random payments
    before and after placement: each statement is the agency's recovery while placed x its
    rate to the cent, and the comparison counts the same money."""
    import random

    session = world
    rng = random.Random(17)
    wos = make_work_orders(session, ["outsource"] * 60, bucket="M6")
    for code, pct, cap in (("AGA", "12.5", 30), ("AGB", "17", None)):
        agency_service.add_agency(session=session, data=schemas.AgencyCreate(code=code, name=code))
        agency_service.add_contract(
            session=session,
            data=schemas.AgencyContractCreate(
                agency=code,
                code=f"{code}-1",
                buckets=["M6"],
                levels=["outsource"],
                commission_pct=D(pct),
                start_date=date(2026, 1, 1),
                max_placements=cap,
            ),
        )
    session.commit()
    allocation_service.allocate(session=session, as_of=AS_OF)
    session.commit()
    from tests.integration.test_workforce_store import live

    agency_codes = {a.id: a.code for a in agency_service.list_agencies(session=session)}
    holder = {wo: agency_codes[row.agency_id] for wo, row in live(session).items() if wo in wos}
    assert sorted(set(holder.values())) == ["AGA", "AGB"]
    expected = {"AGA": D("0.00"), "AGB": D("0.00")}
    for i, wo_id in enumerate(wos):
        acc = account_for(session, wo_id, f"GEN{i}")
        for j in range(rng.randint(0, 3)):
            day = date(2026, 11, rng.randint(25, 30))
            amount = D(rng.randint(1, 500_000)) / 100
            pay(session, acc, day, f"{amount}", f"G{i}-{j}")
            if day >= AS_OF:
                expected[holder[wo_id]] += amount
    session.commit()
    rates = {"AGA": D("0.125"), "AGB": D("0.17")}
    for code in ("AGA", "AGB"):
        s = agency_service.commission_statement(
            session=session, agency=code, month=date(2026, 11, 1)
        )
        assert s.recovered == expected[code]
        assert s.total == round_money(expected[code] * rates[code])
    from arrears.analytics import service

    out = service.agency_performance(session=session)
    rows = {r["group"]: r for r in out["groups"]}
    assert {code: rows[code]["recovered"] for code in expected} == expected
    assert rows["AGA"]["cases"] == 30
    (comparison,) = out["champion_challenger"]["comparisons"]
    assert {comparison["champion"], comparison["challenger"]} == {"AGA", "AGB"}
    assert 0 <= comparison["p_value"] <= 1
