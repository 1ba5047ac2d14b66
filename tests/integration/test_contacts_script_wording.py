"""What the scripts and CLI messages say (issue 20, item 5), on SQLite and PostgreSQL: the
collector's name on every script (the CLI read "this is the Card Center from the Card Center"),
the charges as the fee profile makes them (interest daily, the fee once per statement), amounts
grouped with two decimals in both languages, and a rejected settlement called a settlement."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from arrears.kit.clock import clock
from arrears.promises.models import RepaymentPlan
from tests.web_seed import NOW, seed

GROUPED = r"\d{1,3}(?:,\d{3})*\.\d{2}"


def test_every_script_names_its_collector_and_explains_the_charges(
    cli: Any, session: Session
) -> None:
    seeded = seed(session, customers=3)
    session.commit()
    mine, placed, nobodys = (str(i) for i in seeded.work_orders)

    def script(*args: str) -> str:
        result = cli("cases", "script", *args, "--json")
        assert result.exit_code == 0, result.stderr
        return str(json.loads(result.stdout)["text"])

    # Case 3 has no holder (web_seed assigns the first two).
    with clock.frozen(NOW):
        own = script(mine, "--name", "credit_education", "--locale", "en")
        assert "this is collector from the Card Center" in own
        assert "the Card Center from the Card Center" not in own
        assert "overdraft interest (0.05% a day) accrues every day on the unpaid" in own
        assert "a breach fee (5% of that statement's unpaid minimum) is not daily" in own
        assert "Breach fees and overdraft interest accrue every day" not in own
        assert re.search(rf"Total due: {GROUPED} CNY", own), own.stdout
        assert re.search(rf"- statement balance: {GROUPED} CNY", own), own.stdout
        lead = script(mine, "--as", "team_lead", "--locale", "zh-CN")
        assert "我是信用卡中心的team_lead" in lead
        assert re.search(rf"合计应还：{GROUPED} CNY", lead), lead.stdout
        assert "透支利息按未还本金每天计收（日利率0.05%）" in lead
        assert "违约金不是每天收取，而是每期账单的最低还款额到期未还时收取一次" in lead
        agency = script(placed, "--locale", "en")
        assert "this is Agency 1 from the Card Center" in agency
        nobody = cli("cases", "script", nobodys, "--locale", "en")
        assert nobody.exit_code == 2
        assert nobody.stderr.strip().splitlines() == [
            f"error: case {nobodys} has no collector: say who speaks (--as USERNAME, or sign in)"
        ]
        for odd in ("fr", "!!"):  # refused as a language before any number is formatted
            refused = cli("cases", "script", mine, "--locale", odd, "--as", "team_lead")
            assert refused.exit_code == 2, (odd, refused.stderr)
            assert "locale must be one of: en, zh-CN" in refused.stderr
        head = script(nobodys, "--as", "head_of_collections", "--locale", "en")
        assert "this is head_of_collections from the Card Center" in head
    # Past the cn-card non-accrual day (90 days): the script says the charges have stopped.
    with clock.frozen(datetime(2027, 6, 1, 2, tzinfo=UTC)):
        late = script(mine, "--name", "credit_education", "--locale", "en")
        assert "accrues every day" not in late
        assert re.search(r"has been added since \d{4}-\d{2}-\d{2} \(non-accrual\)", late)


def test_a_rejected_settlement_is_reported_as_a_rejected_settlement(
    cli: Any, session: Session
) -> None:
    seeded = seed(session)
    offer = RepaymentPlan(
        work_order_id=seeded.work_orders[0],
        kind="settlement",
        balance=Decimal("12000.00"),
        discount=Decimal("0.2000"),
        total=Decimal("9600.00"),
        currency="CNY",
        frequency="monthly",
        instalment_count=1,
        first_due_on=NOW.date(),
        status="proposed",
        needs_checker=True,
        maker="user:senior_specialist",
        created_at=NOW,
        updated_at=NOW,
    )
    session.add(offer)
    session.commit()
    with clock.frozen(NOW):
        out = cli("cases", "approve", str(offer.id), "--reject", "--as", "team_lead")
    assert out.exit_code == 0, out.stderr
    assert out.stdout.strip() == f"settlement {offer.id}: rejected (pay 9,600.00 CNY once)"
