"""The cycle hands its cases to the sync in one order whatever DuckDB's threads do.

The sync opens work orders in the order it receives them, so that order decides the case ids
and, through them, every later tie (queues, allocation): an unordered read made long
simulations with the same seed differ (docs/simulation.md, "Determinism").
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from arrears.engine.backends import ensure_decisions
from arrears.engine.service import customer_cases

AS_OF = date(2026, 3, 5)


def _warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    ensure_decisions(con)
    # 60 nights x 3,000 accounts, as a long simulation leaves the table: several row groups,
    # scanned by several threads; every fourth account delinquent, two accounts per customer.
    con.execute(
        """
        INSERT INTO decisions (as_of, account_id, customer_id, dpd, bucket, amount_due, balance,
                               fees, interest, total_due, level, queue, priority, treatments)
        SELECT DATE '2026-01-05' + CAST(d AS INTEGER), printf('A%06d', a), printf('C%06d', a // 2),
               35, 'M2', 100, 1000, 0, 0, 1100,
               CASE WHEN a % 4 < 2 THEN 'junior' END, 'q', 1, 'call'
        FROM range(60) t(d), range(3000) u(a)
        """
    )
    return con


def test_cases_and_their_accounts_come_in_customer_order(tmp_path: Path) -> None:
    con = _warehouse(tmp_path / "w.duckdb")
    try:
        for _ in range(3):
            cases, accounts = customer_cases(con, AS_OF)
            refs = cases.column("customer_ref").to_pylist()
            assert len(refs) == 750
            assert refs == sorted(refs)
            pairs = list(
                zip(
                    accounts.column("customer_ref").to_pylist(),
                    accounts.column("account_ref").to_pylist(),
                    strict=True,
                )
            )
            assert len(pairs) == 1500
            assert pairs == sorted(pairs)
    finally:
        con.close()
