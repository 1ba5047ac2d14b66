"""One pricing everywhere: the cycle's amounts (Ibis, written to the warehouse's decisions and
the work orders) and the workbench's (the case ledger behind the case page, the API and the
scripts: ``owed_breakdown`` on the store's rows) agree to the cent, on the real UCI book and on
a generated one with itemised statements. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from arrears.cases import service as case_service
from arrears.cases.models import WorkOrder, WorkOrderAccount
from arrears.config import get_settings
from arrears.kit.clock import clock
from arrears.portfolio import warehouse
from arrears.workbench.case_view import build_case_view
from arrears.workbench.script import case_script
from tests.conftest import UCI_AS_OF as CYCLED_AS_OF
from tests.conftest import UciBook

UCI_AS_OF = date.fromisoformat(CYCLED_AS_OF)
SYNTH_AS_OF = date(2026, 11, 1)


def _decisions(as_of: date) -> dict[str, tuple[Any, ...]]:
    con = warehouse.connect(get_settings().warehouse, read_only=True)
    try:
        rows = con.execute(
            "SELECT account_id, dpd, amount_due, fees, interest, total_due FROM decisions "
            "WHERE as_of = $as_of",
            {"as_of": as_of},
        ).fetchall()
    finally:
        con.close()
    return {r[0]: tuple(r[1:]) for r in rows}


def _assert_agree(engine: Engine, as_of: date, *, pages: int) -> dict[str, int]:
    """Every case's accounts: the ledger (workbench) against the cycle's decisions and the
    work order's account rows; the first ``pages`` cases through the case page and script."""
    decided = _decisions(as_of)
    seen = {"cases": 0, "accounts": 0, "charged": 0, "itemised": 0}
    with Session(engine) as session:
        orders = session.scalars(sa.select(WorkOrder).order_by(WorkOrder.id)).all()
        links = {
            (a.work_order_id, a.account_ref): a
            for a in session.scalars(sa.select(WorkOrderAccount)).all()
        }
        mismatches = []
        for wo in orders:
            ledger = case_service.ledger(session=session, work_order_id=wo.id, as_of=as_of)
            for part in ledger.breakdowns:
                b = part.breakdown
                mine = (b.aging.dpd, b.aging.amount_past_due, b.fees, b.interest, b.total_due)
                link = links[(wo.id, part.account_ref)]
                theirs = decided[part.account_ref]
                if mine != theirs or (link.fees, link.interest) != (b.fees, b.interest):
                    mismatches.append((part.account_ref, mine, theirs))
                seen["accounts"] += 1
                seen["charged"] += b.fees + b.interest > 0
                seen["itemised"] += b.statement is not None and b.statement.itemised
                assert b.total_due == b.itemization_amount + b.interest + b.fees + b.payments
            seen["cases"] += 1
        assert not mismatches, mismatches[:5]
        # The case page and the script quote the same figure, as of the same day.
        with clock.frozen(datetime.combine(as_of, time(4), tzinfo=UTC)):
            for wo in orders[:pages]:
                ledger = case_service.ledger(session=session, work_order_id=wo.id, as_of=as_of)
                total = sum((p.breakdown.total_due for p in ledger.breakdowns), Decimal(0))
                page = build_case_view(session=session, work_order=wo)
                assert page.total_due == total
                script = case_script(
                    session=session, work_order_id=wo.id, locale="en", collector_name="Lee"
                )
                assert sum((Decimal(i["amount"]) for i in script["items"]), Decimal(0)) == total
                assert f"{total:,.2f}" in script["text"]  # amounts read grouped (Babel)
    return seen


def test_uci_cycle_and_workbench_agree_to_the_cent(uci_cycled: UciBook, engine: Engine) -> None:
    # The book imported and cycled as of UCI_AS_OF (tests/conftest.py, once per store).
    assert uci_cycled.cycle is not None
    assert json.loads(uci_cycled.cycle.stdout)["buckets"]["M1"] == 3688  # aging is not pricing
    seen = _assert_agree(engine, UCI_AS_OF, pages=20)
    assert seen["cases"] == 5124
    assert seen["charged"] > 4000


def test_a_generated_book_with_itemised_statements_agrees(
    cli: Any, tmp_path: Path, engine: Engine
) -> None:
    out = tmp_path / "book"
    made = cli("portfolio", "synth", "--accounts", "1500", "--seed", "19", "--out", str(out),
               "--as-of", str(SYNTH_AS_OF), "--json")  # fmt: skip
    assert made.exit_code == 0, made.stderr
    assert cli("import", "portfolio", str(out), "--json").exit_code == 0
    res = cli("cycle", "run", "--as-of", str(SYNTH_AS_OF), "--json")
    assert res.exit_code == 0, res.stderr
    seen = _assert_agree(engine, SYNTH_AS_OF, pages=20)
    assert seen["cases"] > 100
    assert seen["itemised"] == seen["accounts"]  # the latest statement is itemised
    assert seen["charged"] > 50


@pytest.fixture(autouse=True)
def _unfrozen() -> Any:
    yield
    clock.unfreeze()
