"""Acceptance on the real data (UCI, as of 2005-10-01): 5,124 work orders, idempotent reruns,
strategy edits change decisions with no code change. SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import ibis
import pyarrow as pa
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from arrears.cases.models import WorkOrder
from arrears.config import get_settings
from arrears.delinquency.fees import load_fee_schedule
from arrears.engine import service, stages
from arrears.engine.backends import SNAPSHOT_TABLES
from arrears.engine.columnar import Snapshot
from arrears.portfolio.models import Cardholder
from arrears.portfolio.uci import read_uci
from arrears.portfolio.warehouse import ensure_tables
from arrears.strategy.loader import SHIPPED, load_strategy, parse

pytestmark = pytest.mark.realdata
AS_OF = date(2005, 10, 1)
DELINQUENT = 6818  # PAY_0 >= 1 in the README's counts: 3688+2667+322+76+26+11+9+19
# Worked (a case): past due by more than cn-card's small balance (TWD 10). 1,689 PAY_0 = 1
# clients have a zero or credit September bill (nothing owed) and 5 owe TWD 10 or less.
CASES = 5124


@pytest.fixture(scope="module")
def uci_warehouse(uci_csv: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The UCI data parsed by the importer's reader, loaded into a DuckDB warehouse once."""
    tables = read_uci(uci_csv)
    path = tmp_path_factory.mktemp("uci") / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    ensure_tables(con)
    for name in SNAPSHOT_TABLES:
        con.register("incoming", tables[name])
        con.execute(f"INSERT INTO {name} SELECT * FROM incoming")
        con.unregister("incoming")
    con.close()
    return path


def _decide(warehouse: Path, strategy_text: str | None = None) -> pa.Table:
    loaded = parse(strategy_text) if strategy_text else load_strategy("default")
    con = ibis.duckdb.connect(str(warehouse), read_only=True)
    try:
        snap = Snapshot(*(con.table(t) for t in SNAPSHOT_TABLES))
        live = ibis.memtable(stages.LIVE_CASES.empty_table())
        expr = stages.decisions(
            snap,
            live,
            as_of=AS_OF,
            strategy=loaded.strategy,
            strategy_hash=loaded.sha256,
            schedule=load_fee_schedule("cn-card"),
        )
        return con.to_pyarrow(expr)
    finally:
        con.disconnect()


def _counts(table: pa.Table, column: str) -> dict[str, int]:
    return {
        str(r["values"]): int(r["counts"])
        for r in table.column(column).drop_null().value_counts().to_pylist()
    }


def test_cycle_on_the_real_data_opens_one_case_per_collectible_account(
    env: Path, engine: Engine, uci_warehouse: Path, uci_csv: Path
) -> None:
    shutil.copy(uci_warehouse, get_settings().warehouse)
    holders = read_uci(uci_csv)["cardholders"].column("customer_id").to_pylist()
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(Cardholder),
            [{"external_ref": r, "name": f"UCI client {r}", "identity_category": "unknown",
              "language": "zh-CN", "time_zones": [], "flags": [], "created_at": now}
             for r in holders],
        )  # fmt: skip
    first = service.run_cycle(as_of=AS_OF, settings=get_settings(), store=engine)
    assert first.cases["opened"] == CASES
    assert first.accounts == 30_000
    assert sum(v for k, v in first.buckets.items() if k != "M0") == DELINQUENT
    assert sum(first.levels.values()) == CASES
    with sa.orm.Session(engine) as s:
        missing = s.scalar(
            sa.select(sa.func.count())
            .select_from(WorkOrder)
            .where((WorkOrder.level.is_(None)) | (WorkOrder.queue.is_(None)))
        )
        assert missing == 0
        assert s.scalar(sa.select(sa.func.count(sa.distinct(WorkOrder.queue)))) >= 4
    second = service.run_cycle(as_of=AS_OF, settings=get_settings(), store=engine)
    assert second.cases == {
        "opened": 0,
        "updated": 0,
        "closed": 0,
        "unchanged": CASES,
        "level_raised": 0,
        "skipped": 0,
    }


def test_editing_the_strategy_changes_decisions_without_code(uci_warehouse: Path) -> None:
    text = (SHIPPED / "default.yaml").read_text(encoding="utf-8")
    base = _decide(uci_warehouse)

    def worked_m2(t: pa.Table) -> pa.Table:
        # M2 accounts with more than the small balance past due (a few owe TWD 10 or less).
        m2 = t.filter(pa.compute.equal(t.column("bucket"), "M2"))
        return m2.filter(pa.compute.is_valid(m2.column("level")))

    m2 = worked_m2(base)
    assert len(m2) > 2600
    assert set(m2.column("level").to_pylist()) == {"intermediate"}

    # Move M2 to advanced: one edited line in the file.
    edited = text.replace(
        "  - name: m2\n    when: {bucket: [M2]}\n    level: intermediate",
        "  - name: m2\n    when: {bucket: [M2]}\n    level: advanced",
    )
    assert edited != text
    moved = _decide(uci_warehouse, edited)
    m2_moved = worked_m2(moved)
    assert len(m2_moved) == len(m2)
    assert set(m2_moved.column("level").to_pylist()) == {"advanced"}
    assert _counts(moved, "level")["advanced"] == _counts(base, "level")["advanced"] + len(m2)

    # Add a challenger arm at 10% that calls M1 customers instead of texting them.
    challenger = text.replace(
        "rules:\n  - name: deceased",
        "experiment:\n  test: m1-call-first\n  arms:\n"
        "    - {name: champion, percent: 90}\n    - {name: call_first, percent: 10}\n\n"
        "rules:\n  - name: call-first\n    when: {bucket: [M1], arm: [call_first]}\n"
        "    level: junior\n    treatments: [call]\n    queue: early_call\n    priority: 60\n"
        "  - name: deceased",
    )
    tested = _decide(uci_warehouse, challenger)
    arms = _counts(tested, "arm")
    assert set(arms) == {"champion", "call_first"}
    assert 0.08 < arms["call_first"] / 30_000 < 0.12
    rows = tested.to_pylist()
    # M1 accounts worked (1,689 PAY_0 = 1 clients owe nothing and get no case).
    called = [r for r in rows if r["arm"] == "call_first" and r["bucket"] == "M1" and r["level"]]
    assert called
    assert {r["rule"] for r in called} == {"call-first"}
    assert {r["treatments"] for r in called} == {"call"}
    # Stable: the same accounts land in the same arm on every run.
    again = _decide(uci_warehouse, challenger)

    def by_account(t: pa.Table) -> dict[str, str]:
        return dict(
            zip(t.column("account_id").to_pylist(), t.column("arm").to_pylist(), strict=True)
        )

    assert by_account(again) == by_account(tested)


def test_cli_on_real_data_prints_the_acceptance_json(
    cli: Any, env: Path, uci_warehouse: Path, engine: Engine
) -> None:
    import json

    if engine.dialect.name != "sqlite":
        pytest.skip("the store side is covered on both backends above; this checks the CLI")
    shutil.copy(uci_warehouse, get_settings().warehouse)
    res = cli("cycle", "run", "--as-of", "2005-10-01", "--json", "--out", str(env / "out"))
    assert res.exit_code == 0, res.stderr
    payload = json.loads(res.stdout)
    for key in ("as_of", "engine", "buckets", "levels", "arms", "cases"):
        assert key in payload
    assert payload["buckets"]["M1"] == 3688
    # No cardholders in this store: every customer to work is reported, none opened.
    assert payload["cases"]["skipped"] == CASES
    assert (env / "out" / "decisions.parquet").exists()
