"""The cycle's plan is compiled once per strategy and fee schedule, not once per night: the as-of
date is a bound value (docs/cycle.md, "The compiled plan"). The cached plan decides exactly what a
plan compiled fresh for each date decides."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pytest

from arrears.delinquency.fees import load_fee_schedule
from arrears.engine import backends, stages
from arrears.engine.backends import DuckDBBackend
from arrears.strategy.loader import load_strategy
from tests.integration.test_cycle_sync import write_warehouse
from tests.unit.test_cycle_aging_equivalence import AS_OF, LATER
from tests.unit.test_cycle_aging_equivalence import portfolio as aging_portfolio

# Two nights far apart: dpd, buckets, fees, interest, the 12-month window and ages all move.
NIGHTS = (AS_OF, LATER)


def book() -> dict[str, list[dict[str, object]]]:
    rows = aging_portfolio(600, seed=7)
    rng = random.Random(7)
    for a in rows["accounts"]:
        a.update(product="classic", credit_limit=Decimal("50000"), statement_day=5, due_days=20,
                 min_payment_ratio=Decimal("0.1"))  # fmt: skip
    customers = sorted({str(a["customer_id"]) for a in rows["accounts"]})
    # Birthdays on both sides of each night, so the age expression is exercised at its edge.
    rows["cardholders"] = [
        {"customer_id": c, "name": c, "identity_category": "private_employee",
         "birth_date": date(1960 + i % 40, 3, 15) + timedelta(days=rng.choice([-1, 0, 1, 90])),
         "city": "Shanghai", "flags": None}
        for i, c in enumerate(customers)
    ]  # fmt: skip
    return rows


def test_one_compiled_plan_decides_every_night_as_a_fresh_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backends, "_SQL_CACHE", {})
    warehouse = tmp_path / "w.duckdb"
    write_warehouse(warehouse, book())
    loaded = load_strategy()
    schedule = load_fee_schedule("cn-card")
    backend = DuckDBBackend(warehouse)
    try:
        snap = backend.snapshot()
        live = backend.live_cases(stages.LIVE_CASES.empty_table())
        builds: list[ir.DateValue] = []

        def build(day: ir.DateValue) -> ir.Table:
            builds.append(day)
            return stages.decisions(snap, live, as_of=day, strategy=loaded.strategy,
                                    strategy_hash=loaded.sha256, schedule=schedule)  # fmt: skip

        cols = ", ".join(stages.DECISION_COLUMNS)
        for night in NIGHTS:
            assert backend.materialize(build, as_of=night, key="plan") == 600
        assert len(builds) == 1  # compiled for the first night, reused for the second
        for night in NIGHTS:
            cached = backend.con.execute(
                f"SELECT {cols} FROM decisions WHERE as_of = ? ORDER BY account_id", [night]
            ).fetchall()
            fresh_sql = ibis.to_sql(
                stages.decisions(snap, live, as_of=night, strategy=loaded.strategy,
                                 strategy_hash=loaded.sha256, schedule=schedule),
                dialect="duckdb",
            )  # fmt: skip
            fresh = backend.con.execute(
                f"SELECT {cols} FROM ({fresh_sql}) ORDER BY account_id"
            ).fetchall()
            assert cached == fresh
            assert {r[0] for r in cached} == {night}
        # The nights really differ: the test would see a plan that kept the first date.
        first, second = (
            backend.con.execute(
                "SELECT sum(dpd), sum(interest) FROM decisions WHERE as_of = ?", [n]
            ).fetchone()
            for n in NIGHTS
        )
        assert first != second
    finally:
        backend.close()
