"""Issue 13's invariants 2 and 8 through the whole cycle, on the real UCI data, SQLite and
PostgreSQL: no case is open with nothing past due after the cycle, and interest and fees stop
where the fee profile says."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from arrears.cases.models import WorkOrder, WorkOrderAccount
from arrears.config import get_settings
from arrears.delinquency import load_fee_schedule
from arrears.engine import service
from arrears.engine.backends import SNAPSHOT_TABLES
from arrears.portfolio.models import Cardholder
from arrears.portfolio.uci import read_uci
from arrears.portfolio.warehouse import ensure_tables

pytestmark = [pytest.mark.realdata, pytest.mark.slow]
SNAPSHOT = date(2005, 10, 1)
# PAY_0 >= 1 (the buckets keep the card system's status) ...
DELINQUENT = 6818
# ... of which 1,689 are PAY_0 = 1 on a September statement with a zero or credit balance:
# one cycle late, nothing owed. 5 more owe TWD 10 or less (cn-card's small balance).
COLLECTIBLE_CN = 5124


@pytest.fixture(scope="module")
def uci_tables(uci_csv: Path) -> dict[str, object]:
    return read_uci(uci_csv)


@pytest.fixture(scope="module")
def uci_warehouse(uci_tables: dict[str, object], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("uci-invariants") / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    ensure_tables(con)
    for name in SNAPSHOT_TABLES:
        con.register("incoming", uci_tables[name])
        con.execute(f"INSERT INTO {name} SELECT * FROM incoming")
        con.unregister("incoming")
    con.close()
    return path


@pytest.fixture
def uci_store(
    env: Path, engine: Engine, uci_warehouse: Path, uci_tables: dict[str, object]
) -> Engine:
    """The store with the UCI cardholders and the warehouse with their accounts."""
    shutil.copy(uci_warehouse, get_settings().warehouse)
    holders = uci_tables["cardholders"].column("customer_id").to_pylist()  # type: ignore[attr-defined]
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(Cardholder),
            [{"external_ref": r, "name": f"UCI client {r}", "identity_category": "unknown",
              "language": "zh-TW", "time_zones": [], "flags": [], "created_at": now}
             for r in holders],
        )  # fmt: skip
    return engine


def _open_cases(engine: Engine) -> list[WorkOrder]:
    with sa.orm.Session(engine) as s:
        return list(s.scalars(sa.select(WorkOrder).where(WorkOrder.status != "closed")))


def _open_accounts(engine: Engine) -> list[WorkOrderAccount]:
    with sa.orm.Session(engine) as s:
        return list(
            s.scalars(
                sa.select(WorkOrderAccount)
                .join(WorkOrder, WorkOrder.id == WorkOrderAccount.work_order_id)
                .where(WorkOrder.status != "closed")
            )
        )


def test_no_case_is_open_with_nothing_past_due_after_the_cycle(uci_store: Engine) -> None:
    """Invariant 2. Before the fix 1,689 of 6,818 cases (24.8%) opened with nothing past due."""
    small = load_fee_schedule(get_settings().fee_schedule).small_balance
    result = service.run_cycle(as_of=SNAPSHOT, settings=get_settings(), store=uci_store)
    # The buckets still follow the card system's reported status ...
    assert sum(v for k, v in result.buckets.items() if k != "M0") == DELINQUENT
    # ... but only accounts with more than the small balance past due are worked.
    assert result.cases["opened"] == COLLECTIBLE_CN
    cases = _open_cases(uci_store)
    assert len(cases) == COLLECTIBLE_CN
    assert all(c.amount_due > small for c in cases)
    assert all(a.amount_due > small for a in _open_accounts(uci_store))


def test_a_case_with_nothing_past_due_closes_as_cured_at_the_next_cycle(
    uci_store: Engine,
) -> None:
    """A case the cycle opened before the fix (reported one cycle late, nothing owed) is closed
    as cured by the next run: sync closes every live case whose customer is not worked."""
    service.run_cycle(as_of=SNAPSHOT, settings=get_settings(), store=uci_store)
    con = duckdb.connect(str(get_settings().warehouse), read_only=True)
    try:
        row = con.execute(
            "SELECT customer_id FROM decisions WHERE dpd > 0 AND amount_due = 0 "
            "AND level IS NULL ORDER BY account_id LIMIT 1"
        ).fetchone()
    finally:
        con.close()
    assert row is not None
    with sa.orm.Session(uci_store) as s:
        holder = s.scalars(sa.select(Cardholder).where(Cardholder.external_ref == row[0])).one()
        now = datetime.now(UTC)
        # What the cycle used to open for such a customer: M1, dpd 30, nothing past due.
        s.add(
            WorkOrder(
                cardholder_id=holder.id, customer_ref=holder.external_ref, status="assigned",
                bucket="M1", dpd=30, amount_due=Decimal("0.00"), balance=Decimal("0.00"),
                currency="TWD", level="junior", queue="early_call", priority=50,
                treatments=["call"], opened_on=SNAPSHOT, created_at=now, updated_at=now,
            )
        )  # fmt: skip
        s.commit()
        stale = holder.external_ref
    result = service.run_cycle(as_of=SNAPSHOT, settings=get_settings(), store=uci_store)
    assert result.cases["closed"] == 1
    assert result.cases["unchanged"] == COLLECTIBLE_CN
    with sa.orm.Session(uci_store) as s:
        case = s.scalars(sa.select(WorkOrder).where(WorkOrder.customer_ref == stale)).one()
        assert (case.status, case.close_reason, case.closed_on) == ("closed", "cured", SNAPSHOT)


@pytest.mark.parametrize("profile", ["cn-card", "us-card"])
def test_interest_and_fees_stop_where_the_profile_says(
    uci_store: Engine, profile: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Invariant 8: seen 20 years after the snapshot, nothing has accrued past the stop."""
    monkeypatch.setenv("ARREARS_FEE_SCHEDULE", profile)
    get_settings.cache_clear()
    schedule = load_fee_schedule(profile)
    stop = schedule.accrual.stop
    assert stop is not None
    rule = schedule.interest
    yearly = rule.annual_rate if rule.annual_rate is not None else None
    per_day = yearly / rule.days_in_year if yearly is not None else rule.daily_rate
    assert per_day is not None

    service.run_cycle(as_of=date(2025, 12, 1), settings=get_settings(), store=uci_store)
    cases = _open_cases(uci_store)
    assert len(cases) > 5000
    assert max(c.dpd for c in cases) > 7000
    cent = Decimal("0.01")
    for c in cases:  # one account per UCI customer: the case's balance is the account's
        assert c.interest <= (c.balance * per_day * stop.after_dpd).quantize(cent), c.customer_ref
        if schedule.accrual.cap_ratio is not None:
            assert c.interest + c.fees <= (c.balance * schedule.accrual.cap_ratio).quantize(cent)
    # Before the fix the owed total reached 5x (cn-card) and 7.6x (us-card) the unpaid
    # principal on accounts of TWD 1,000 or more; now charges stay a fraction of it.
    worst = max((c.interest + c.fees) / c.balance for c in cases if c.balance >= Decimal("1000"))
    assert worst < Decimal("0.5")
