"""DuckDB and Spark give identical decisions on the real data, champion/challenger arms included,
and where interest and fees stop (a profile whose stop, cap and small balance all bite)."""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from arrears.delinquency.fees import FeeSchedule, load_fee_schedule
from arrears.engine import stages
from arrears.engine.backends import SNAPSHOT_TABLES, DuckDBBackend, SparkBackend
from arrears.portfolio.uci import read_uci
from arrears.portfolio.warehouse import ensure_tables
from arrears.strategy.loader import SHIPPED, parse

pytestmark = [pytest.mark.spark, pytest.mark.realdata, pytest.mark.slow]
AS_OF = date(2005, 10, 1)
LATER = date(2006, 6, 1)  # eight months on: every delinquent account is past the stops below
COLUMNS = [c for c in stages.DECISION_COLUMNS if c != "as_of"]


@pytest.fixture(scope="module")
def spark(spark_local: object) -> object:
    """The worker's local SparkSession (tests/conftest.py), the one the backend below uses."""
    return spark_local


def _warehouse(uci_csv: Path, path: Path) -> Path:
    tables = read_uci(uci_csv)
    con = duckdb.connect(str(path))
    ensure_tables(con)
    for name in SNAPSHOT_TABLES:
        con.register("incoming", tables[name])
        con.execute(f"INSERT INTO {name} SELECT * FROM incoming")
        con.unregister("incoming")
    # Payments on the nights priced (UCI pays on the 15th): the start-of-day position the
    # charges come from then differs from the end-of-day one the aging reports.
    for day, mod, rest in ((AS_OF, 7, 3), (LATER, 11, 5)):
        con.execute(
            "INSERT INTO payments SELECT account_id, ?, 100.00, 'other', 'T-' || account_id "
            f"FROM accounts WHERE CAST(account_id AS INTEGER) % {mod} = {rest}",
            [day],
        )
    con.close()
    return path


def _decisions(path: Path) -> pa.Table:
    con = duckdb.connect(str(path), read_only=True)
    try:
        cols = ", ".join(COLUMNS)
        return con.execute(
            f"SELECT {cols} FROM decisions ORDER BY as_of, account_id"
        ).fetch_arrow_table()
    finally:
        con.close()


def test_duckdb_and_spark_decide_identically_on_the_real_data(
    spark: object, uci_csv: Path, tmp_path: Path
) -> None:
    text = (SHIPPED / "default.yaml").read_text(encoding="utf-8")
    # A challenger arm, so the md5-based assignment is compared across engines too.
    text = text.replace(
        "rules:\n  - name: deceased",
        "experiment:\n  test: spark-parity\n  population: book\n  arms:\n"
        "    - {name: champion, percent: 90}\n    - {name: challenger, percent: 10}\n\n"
        "rules:\n  - name: deceased",
    )
    loaded = parse(text)
    schedule = load_fee_schedule("cn-card")
    base = schedule.model_dump(by_alias=True)
    tight = FeeSchedule.model_validate(
        base
        | {
            "accrual": {
                # A charge-off stop: the routing to write-off review is compared across engines.
                "stop": {**base["accrual"]["stop"], "kind": "charge_off", "after_dpd": 45},
                "cap_ratio": "0.03",
            },
            "small_balance": "150.00",
        }
    )
    runs = ((AS_OF, schedule), (LATER, tight))
    live = stages.LIVE_CASES.empty_table()
    results = {}
    book = _warehouse(uci_csv, tmp_path / "book.duckdb")  # read once, the same input for both
    for name in ("duckdb", "spark"):
        path = Path(shutil.copy(book, tmp_path / f"{name}.duckdb"))
        backend: DuckDBBackend | SparkBackend = (
            DuckDBBackend(path) if name == "duckdb" else SparkBackend(path, master="local[2]")
        )
        try:
            snap, live_table = backend.snapshot(), backend.live_cases(live)
            for as_of, sched in runs:
                n = backend.materialize(
                    lambda day, s=snap, lt=live_table, f=sched: stages.decisions(
                        s, lt, as_of=day, strategy=loaded.strategy,
                        strategy_hash=loaded.sha256, schedule=f,
                    ),
                    as_of=as_of,
                )  # fmt: skip
                assert n == 30_000
        finally:
            backend.close()
        results[name] = _decisions(path)
    duck, spk = results["duckdb"], results["spark"]
    assert duck.schema == spk.schema
    mismatched = [(a, b) for a, b in zip(duck.to_pylist(), spk.to_pylist(), strict=True) if a != b]
    assert not mismatched, mismatched[:3]
    arms = duck.column("arm").value_counts().to_pylist()
    assert {a["values"] for a in arms} == {"champion", "challenger"}
    assert sum(duck.column("dpd").to_pylist()) > 0
    # The later run crossed the stop and the cap: interest and fees are bounded by them.
    later = duck.slice(30_000).to_pylist()
    cap = [(r["balance"] * Decimal("0.03")).quantize(Decimal("0.01")) for r in later]
    assert all(r["interest"] + r["fees"] <= c for r, c in zip(later, cap, strict=True))
    assert sum(1 for r in later if r["dpd"] > 45) > 6000
    charged = [r for r in later if r["dpd"] >= 45 and r["level"] is not None]
    assert charged
    assert all((r["level"], r["queue"], r["rule"]) == ("write_off_review", "write_off_review",
               "charge-off") for r in charged)  # fmt: skip
    # UCI client 1 on the itemization-date model (tests/unit/test_delinquency_itemization.py).
    (one,) = [r for r in duck.slice(0, 30_000).to_pylist() if r["account_id"] == "1"]
    assert (one["interest"], one["fees"], one["total_due"]) == (
        Decimal("50.87"), Decimal("19.56"), Decimal("3983.43"))  # fmt: skip
