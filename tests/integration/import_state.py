"""What an import or a cycle run leaves behind, as row counts and checksums, comparable between
two stores: the one helper of every kill -9 test (imports, the cycle).

Rows are taken by their natural keys (the card system's references, never surrogate ids, run ids
or load times), so a store that went through a crash and a rerun compares equal to one loaded
cleanly. Also a way to run the CLI as a separate process (the kill -9 tests need a process to
kill).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import sqlalchemy as sa

from arrears.kit.db import make_engine
from arrears.kit.faults import CRASH_AT

_HOLDER = "JOIN cardholder h ON h.id = t.cardholder_id"
_ACCOUNT = "JOIN card_account a ON a.id = t.account_id"
STORE_TABLES = {
    "cardholder": "SELECT external_ref, name, id_number, birth_date, sex, education, "
    "marital_status, occupation, employer, identity_category, province, city, address, "
    "language, time_zones, flags FROM cardholder",
    "phone": f"SELECT h.external_ref, t.number, t.type FROM phone t {_HOLDER}",
    "contact_person": "SELECT h.external_ref, t.name, t.relation, t.phone "
    f"FROM contact_person t {_HOLDER}",
    "card_account": "SELECT t.external_ref, h.external_ref, t.product, t.credit_limit, "
    "t.currency, t.open_date, t.statement_day, t.due_days, t.min_payment_ratio, t.status "
    f"FROM card_account t {_HOLDER}",
    "statement": "SELECT a.external_ref, t.cycle_date, t.due_date, t.closing_balance, "
    f"t.minimum_due FROM statement t {_ACCOUNT}",
    "payment": "SELECT a.external_ref, t.paid_on, t.amount, t.channel, t.reference "
    f"FROM payment t {_ACCOUNT}",
    "reported_delinquency": "SELECT a.external_ref, t.reported_on, t.status "
    f"FROM reported_delinquency t {_ACCOUNT}",
    "import_batch": "SELECT kind, sha256, state, counts, rejected FROM import_batch",
}


_CASE = "JOIN work_order w ON w.id = t.work_order_id"
# What the cycle writes to the store. Left out: ids, the runs' ids on the cases (a killed run used
# one), timestamps, and the killed run's own record and audit events (compared apart).
CYCLE_TABLES = {
    "work_order": "SELECT customer_ref, status, close_reason, hold_reason, bucket, dpd, "
    "amount_due, balance, fees, interest, currency, account_count, level, queue, priority, "
    "segment, tier, score, arm, treatments, strategy_hash, problem_customer, broken_promises, "
    "next_action_on, notes, extra, opened_on, closed_on, last_cycle_as_of FROM work_order",
    "work_order_account": "SELECT w.customer_ref, t.account_ref, t.bucket, t.dpd, "
    f"t.amount_due, t.fees, t.interest FROM work_order_account t {_CASE}",
    "cycle_run": "SELECT as_of, engine, strategy_name, strategy_hash, status, actor, counts "
    "FROM cycle_run WHERE status = 'succeeded'",
    "audit_event": "SELECT actor, action, entity FROM audit_event WHERE entity <> 'cycle_run'",
}


def _cell(value: Any) -> str:
    if isinstance(value, list | dict):
        return json.dumps(value, sort_keys=True)
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.dumps(json.loads(value), sort_keys=True)  # JSON as SQLite's text
        except ValueError:
            return value
    return str(value)


def _digest(rows: list[tuple[Any, ...]]) -> tuple[int, str]:
    lines = sorted("\x1f".join(_cell(v) for v in row) for row in rows)
    return len(lines), hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


def store_state(url: str, tables: dict[str, str] = STORE_TABLES) -> dict[str, tuple[int, str]]:
    """(row count, checksum) of every portfolio table and the import batches (or ``tables``)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {
                name: _digest([tuple(r) for r in conn.execute(sa.text(sql)).all()])
                for name, sql in tables.items()
            }
    finally:
        engine.dispose()


def end_state(url: str, warehouse: Path, out: Path | None = None) -> dict[str, Any]:
    """Everything a kill -9 test compares after the daily loop: the store's portfolio and cycle
    tables, the warehouse's tables and the Parquet files in ``out``."""
    return {
        "store": store_state(url, {**STORE_TABLES, **CYCLE_TABLES}),
        "warehouse": warehouse_state(warehouse),
        "parquet": parquet_state(out) if out is not None else {},
    }


def parquet_state(folder: Path) -> dict[str, tuple[int, str]]:
    """(row count, checksum) of every Parquet file in ``folder``."""
    con = duckdb.connect()
    try:
        return {
            f.name: _digest(con.execute("SELECT * FROM read_parquet(?)", [str(f)]).fetchall())
            for f in sorted(folder.glob("*.parquet"))
        }
    finally:
        con.close()


def audit_actions(url: str) -> list[str]:
    """The audit trail's actions on import batches, in order."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return list(
                conn.execute(
                    sa.text(
                        "SELECT action FROM audit_event WHERE entity = 'import_batch' ORDER BY id"
                    )
                ).scalars()
            )
    finally:
        engine.dispose()


def batch_states(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return list(
                conn.execute(sa.text("SELECT state FROM import_batch ORDER BY id")).scalars()
            )
    finally:
        engine.dispose()


def warehouse_state(path: Path) -> dict[str, tuple[int, str]]:
    """(row count, checksum) of every warehouse table; {} when there is no warehouse file."""
    if not path.exists():
        return {}
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = sorted(
            r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
        )
        return {t: _digest(con.execute(f"SELECT * FROM {t}").fetchall()) for t in names}
    finally:
        con.close()


def arrears(
    url: str,
    warehouse: Path,
    *args: str,
    crash_at: str | None = None,
    cwd: Path | None = None,
    hooks: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``arrears ARGS`` in a child process against ``url`` and ``warehouse``; ``crash_at`` names an
    import's kill point, ``hooks`` any other test hook's variables (the cycle's kill stage)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARREARS_")}
    env |= {"ARREARS_DATABASE_URL": url, "ARREARS_WAREHOUSE": str(warehouse)}
    if crash_at:
        env[CRASH_AT] = crash_at
    env |= hooks or {}
    return subprocess.run(
        [sys.executable, "-m", "arrears.cli.main", *args],
        env=env,
        cwd=cwd or warehouse.parent,  # away from any .env in the repository
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
