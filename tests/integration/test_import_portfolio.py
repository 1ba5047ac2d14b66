"""`arrears import portfolio` on SQLite and PostgreSQL: atomic, idempotent, quarantine or reject."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from arrears.kit.db import make_engine
from arrears.portfolio import repository
from tests.integration.import_state import store_state, warehouse_state
from tests.unit.test_import_extract import ACCOUNT, PAYMENT, minimal, write_extract

TABLES = ("cardholder", "card_account", "statement", "payment", "reported_delinquency")


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}


def warehouse_counts(path: Path) -> dict[str, int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {
            t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # type: ignore[index]
            for t in ("cardholders", "accounts", "statements", "payments")
        }
    finally:
        con.close()


Cli = Callable[..., Any]


def test_import_twice_leaves_the_same_rows(cli: Cli, engine: Engine, env: Path) -> None:
    folder = write_extract(env / "extract", minimal())
    first = cli("import", "portfolio", str(folder))
    assert first.exit_code == 0, first.stderr
    after_first = counts(engine)
    assert after_first == {
        "cardholder": 2,
        "card_account": 2,
        "statement": 2,
        "payment": 2,
        "reported_delinquency": 0,
    }
    assert warehouse_counts(env / "warehouse.duckdb") == {
        "cardholders": 2,
        "accounts": 2,
        "statements": 2,
        "payments": 2,
    }
    second = cli("import", "portfolio", str(folder))
    assert second.exit_code == 0
    assert "already imported" in second.stdout
    forced = cli("import", "portfolio", str(folder), "--force")
    assert forced.exit_code == 0, forced.stderr
    assert counts(engine) == after_first
    assert warehouse_counts(env / "warehouse.duckdb")["payments"] == 2


def test_reimport_with_changes_upserts_and_keeps_payments(
    cli: Cli, engine: Engine, env: Path
) -> None:
    folder = write_extract(env / "a", minimal())
    assert cli("import", "portfolio", str(folder)).exit_code == 0
    changed = minimal(
        accounts=[
            {**ACCOUNT, "credit_limit": "30000.00"},
            {**ACCOUNT, "account_id": "A2", "customer_id": "C2"},
        ]
    )
    changed["payments"] = [{**PAYMENT, "amount": "999.00"}, {**PAYMENT, "reference": "P3"}]
    result = cli("import", "portfolio", str(write_extract(env / "b", changed)))
    assert result.exit_code == 0, result.stderr
    with engine.connect() as conn:
        limit = conn.execute(
            sa.text("SELECT credit_limit FROM card_account WHERE external_ref = 'A1'")
        ).scalar_one()
        amounts = conn.execute(sa.text("SELECT reference, amount FROM payment")).all()
    assert str(limit) in ("30000.00", "30000")
    # An existing payment is never rewritten; the new reference is added.
    assert sorted((r, float(a)) for r, a in amounts) == [
        ("P1", 100.0),
        ("P2", 100.0),
        ("P3", 100.0),
    ]


def test_reject_loads_nothing_and_names_row_and_column(cli: Cli, engine: Engine, env: Path) -> None:
    bad = {**PAYMENT, "reference": "P9", "paid_on": "2026-02-31"}
    folder = write_extract(env / "x", minimal(payments=[PAYMENT, bad]))
    report = env / "report.csv"
    result = cli("import", "portfolio", str(folder), "--report", str(report))
    assert result.exit_code == 1
    assert "payments row 2 column paid_on" in " ".join(result.stderr.split())
    assert all(n == 0 for n in counts(engine).values())
    assert not (env / "warehouse.duckdb").exists()
    rows = list(csv.DictReader(report.open()))
    assert [(r["file"], r["row"], r["column"]) for r in rows] == [("payments", "2", "paid_on")]


def test_quarantine_loads_good_rows_and_reports_bad_ones(
    cli: Cli, engine: Engine, env: Path
) -> None:
    tables = minimal(
        accounts=[
            {**ACCOUNT, "min_payment_ratio": "1.5"},
            {**ACCOUNT, "account_id": "A2", "customer_id": "C2"},
        ]
    )
    tables["payments"].append({**PAYMENT, "account_id": "A2", "reference": "P2", "amount": "1"})
    folder = write_extract(env / "x", tables)
    report = env / "quarantine.csv"
    result = cli(
        "import", "portfolio", str(folder), "--on-error", "quarantine", "--report", str(report)
    )
    assert result.exit_code == 0, result.stderr
    got = counts(engine)
    assert got["cardholder"] == 2
    assert got["card_account"] == 1  # A1 refused
    assert got["statement"] == 1  # A1's statement goes with it
    assert got["payment"] == 1  # A1's payment too; A2's duplicate reference refused
    rows = {(r["file"], r["row"], r["column"], r["reason"]) for r in csv.DictReader(report.open())}
    assert ("accounts", "1", "min_payment_ratio", "must be above 0 and at most 1") in rows
    assert ("statements", "1", "account_id", "depends on rejected accounts row 1") in rows
    assert ("payments", "3", "reference", "duplicate payment reference: same as row 2") in rows
    assert warehouse_counts(env / "warehouse.duckdb")["accounts"] == 1


def test_a_crash_mid_import_leaves_nothing(
    cli: Cli, engine: Engine, env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = repository.bulk_upsert
    calls = {"n": 0}

    def failing(*args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] > 2:  # cardholders and accounts are in; statements blow up
            raise RuntimeError("disk on fire")
        real(*args, **kwargs)

    monkeypatch.setattr(repository, "bulk_upsert", failing)
    folder = write_extract(env / "x", minimal())
    crashed = cli("import", "portfolio", str(folder))
    assert crashed.exit_code == 1
    assert "disk on fire" in crashed.stderr
    assert calls["n"] == 3
    assert all(n == 0 for n in counts(engine).values())
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM import_batch")).scalar_one() == 0
    assert not (env / "warehouse.duckdb").exists()
    monkeypatch.setattr(repository, "bulk_upsert", real)
    assert cli("import", "portfolio", str(folder)).exit_code == 0
    assert counts(engine)["payment"] == 2


def test_warehouse_only(cli: Cli, engine: Engine, env: Path) -> None:
    folder = write_extract(env / "x", minimal())
    result = cli("import", "portfolio", str(folder), "--warehouse-only", "--json")
    assert result.exit_code == 0, result.stderr
    assert all(n == 0 for n in counts(engine).values())
    assert warehouse_counts(env / "warehouse.duckdb")["statements"] == 2
    # An incremental file referring to accounts already in the warehouse is accepted.
    more = write_extract(env / "y", {"payments": [{**PAYMENT, "reference": "P5"}]})
    assert cli("import", "portfolio", str(more), "--warehouse-only").exit_code == 0
    assert warehouse_counts(env / "warehouse.duckdb")["payments"] == 3


def test_not_a_folder_is_a_clear_error(cli: Cli, env: Path) -> None:
    result = cli("import", "portfolio", str(env / "missing"))
    assert result.exit_code == 2
    assert "not a folder" in result.stderr
    assert "Traceback" not in result.stderr


def test_quarantine_always_writes_a_report(cli: Cli, env: Path) -> None:
    import json

    bad = {**PAYMENT, "reference": "P8", "amount": "0"}
    folder = write_extract(env / "x", minimal(payments=[PAYMENT, bad]))
    result = cli("import", "portfolio", str(folder), "--on-error", "quarantine", "--json")
    assert result.exit_code == 0, result.stderr
    outcome = json.loads(result.stdout)
    assert outcome["loaded"]["payments"] == 1
    assert outcome["rejected"] == 1
    rows = list(csv.DictReader(Path(outcome["report"]).read_text().splitlines()))
    assert [(r["row"], r["column"], r["reason"]) for r in rows] == [
        ("2", "amount", "must be greater than 0")
    ]


def test_the_quarantine_report_cannot_run_formulas(cli: Cli, env: Path) -> None:
    """Cells copied from a hostile file reach the report as text a spreadsheet will not run."""
    formula = "=cmd|' /C calc'!A0"
    payments = [
        PAYMENT,
        {**PAYMENT, "reference": "P2", "amount": formula},
        {**PAYMENT, "reference": "P3", "paid_on": "@SUM(A1:A9)"},
        {**PAYMENT, "reference": "P4", "amount": "-12.50"},
    ]
    folder = write_extract(env / "x", minimal(payments=payments))
    report = env / "quarantine.csv"
    result = cli(
        "import", "portfolio", str(folder), "--on-error", "quarantine", "--report", str(report)
    )
    assert result.exit_code == 0, result.stderr
    cells = [c for row in csv.reader(report.open(newline="")) for c in row]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
    values = {r["row"]: r["value"] for r in csv.DictReader(report.open(newline=""))}
    assert values == {"2": "'" + formula, "3": "'@SUM(A1:A9)", "4": "'-12.50"}


def test_a_hostile_column_name_is_reported_as_text(cli: Cli, env: Path) -> None:
    """A whole-file refusal names the unknown column; its name came from the file too."""
    folder = write_extract(env / "x", {"payments": [{**PAYMENT, "=HYPERLINK(1)": "x"}]})
    report = env / "report.csv"
    result = cli("import", "portfolio", str(folder), "--report", str(report))
    assert result.exit_code == 1
    rows = list(csv.DictReader(report.open(newline="")))
    assert ("0", "'=HYPERLINK(1)", "unknown column") in [
        (r["row"], r["column"], r["reason"]) for r in rows
    ]


HEADER = "account_id,paid_on,amount,reference\n"
GOOD = "A1,2026-09-21,5.00,P5\n"  # a good new payment: under reject it must not load either
BAD_EXTRACTS: dict[str, tuple[bytes, int, str]] = {
    # name: (payments.csv, exit code, what the error says)
    "ragged row": ((HEADER + GOOD + "A1,2026-09-22,5.00,P6,extra\n").encode(), 2, "Expected 4"),
    "not UTF-8": ((HEADER + GOOD).encode() + b"A1,2026-09-22,5.00,P\xff6\n", 2, "not UTF-8"),
    "empty file": (b"", 2, "empty file"),
    "unknown column": (
        b"account_id,paid_on,amount,reference,note\nA1,2026-09-21,5,P5,x\n",
        1,
        "unknown column",
    ),  # fmt: skip
    "missing column": (
        b"account_id,paid_on,reference\nA1,2026-09-21,P5\n",
        1,
        "required column missing",
    ),  # fmt: skip
    "bad date": ((HEADER + GOOD + "A1,2026-02-30,5.00,P6\n").encode(), 1, "not a date"),
    "negative amount": (
        (HEADER + GOOD + "A1,2026-09-22,-12.50,P6\n").encode(),
        1,
        "must be greater than 0",
    ),  # fmt: skip
    "unknown id": ((HEADER + GOOD + "NOPE,2026-09-22,5.00,P6\n").encode(), 1, "unknown account"),
    "duplicate rows": ((HEADER + GOOD + GOOD).encode(), 1, "duplicate payment reference"),
}
MALFORMED = ("ragged row", "not UTF-8", "empty file", "unknown column", "missing column")


def everything(db_url: str, env: Path) -> tuple[object, ...]:
    """The store's tables and batches, the warehouse and the audit trail's length."""
    engine = make_engine(db_url)
    with engine.connect() as conn:
        events = conn.execute(sa.text("SELECT count(*) FROM audit_event")).scalar_one()
    engine.dispose()
    return store_state(db_url), warehouse_state(env / "warehouse.duckdb"), events


@pytest.mark.parametrize(
    ("case", "policy"),
    [(c, "reject") for c in BAD_EXTRACTS] + [(c, "quarantine") for c in MALFORMED],
)
def test_bad_input_changes_nothing(
    case: str, policy: str, cli: Cli, env: Path, db_url: str
) -> None:
    """On a loaded store, a refused file leaves every table, the warehouse and the audit trail
    exactly as they were (a malformed file is refused under either policy)."""
    assert cli("import", "portfolio", str(write_extract(env / "day1", minimal()))).exit_code == 0
    before = everything(db_url, env)
    content, code, says = BAD_EXTRACTS[case]
    folder = env / "bad"
    folder.mkdir()
    (folder / "payments.csv").write_bytes(content)
    result = cli("import", "portfolio", str(folder), "--on-error", policy)
    assert result.exit_code == code, result.stdout + result.stderr
    assert says in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr
    assert everything(db_url, env) == before
