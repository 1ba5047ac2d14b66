"""Roll rates: the set-based DuckDB query against a Python loop per account, side by side.

The UCI portfolio (30,000 accounts x 6 monthly reports) is replicated ``COPIES`` times with new
account ids, loaded into an in-memory DuckDB, and the bucket-to-bucket matrix is computed both
ways; the two matrices must agree. Prints the time ratio and peak memory.
"""

from __future__ import annotations

import resource
import sys
import time
from bisect import bisect_right
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from arrears.analytics.repository import frames_as_tables, transitions
from arrears.analytics.rolls import roll_rates
from arrears.delinquency.buckets import bucket_for_status
from arrears.portfolio.uci import read_uci

CSV = Path(__file__).resolve().parents[2] / "shared" / "data" / "uci_credit_card_default.csv"
COPIES = int(sys.argv[1]) if len(sys.argv) > 1 else 10


def _replicate(table: pa.Table, copies: int) -> pa.Table:
    parts = []
    for k in range(copies):
        ids = pc.binary_join_element_wise(table["account_id"], pa.scalar(f"-{k}"), "")
        parts.append(
            table.set_column(table.schema.get_field_index("account_id"), "account_id", ids)
        )
    return pa.concat_tables(parts)


def loop_per_account(
    delinquency: pa.Table, statements: pa.Table
) -> tuple[Counter[tuple[str, str]], dict[tuple[str, str], Decimal]]:
    """The baseline: gather each account's history and walk it, computing the same two matrices
    (accounts, and balance of the latest statement on or before the from-report)."""
    bills: dict[str, list[tuple[date, Decimal]]] = {}
    for account, cycle_date, balance in zip(
        statements["account_id"].to_pylist(),
        statements["cycle_date"].to_pylist(),
        statements["closing_balance"].to_pylist(),
        strict=True,
    ):
        bills.setdefault(account, []).append((cycle_date, balance))
    history: dict[str, list[tuple[date, int]]] = {}
    for account, reported_on, status in zip(
        delinquency["account_id"].to_pylist(),
        delinquency["reported_on"].to_pylist(),
        delinquency["status"].to_pylist(),
        strict=True,
    ):
        history.setdefault(account, []).append((reported_on, status))
    pairs: Counter[tuple[str, str]] = Counter()
    money: dict[tuple[str, str], Decimal] = {}
    for account, reports in history.items():
        reports.sort()
        cycles = sorted(bills.get(account, []))
        dates = [c for c, _ in cycles]
        for (day, a), (nxt, b) in zip(reports, reports[1:], strict=False):
            if (nxt.year * 12 + nxt.month) - (day.year * 12 + day.month) != 1:
                continue
            key = (bucket_for_status(a), bucket_for_status(b))
            pairs[key] += 1
            i = bisect_right(dates, day)
            balance = max(cycles[i - 1][1], Decimal(0)) if i else Decimal(0)
            money[key] = money.get(key, Decimal(0)) + balance
    return pairs, money


def main() -> None:
    tables = read_uci(CSV)
    data = {
        "delinquency": _replicate(tables["delinquency"], COPIES),
        "statements": _replicate(tables["statements"], COPIES),
    }
    accounts = data["delinquency"].num_rows // 6
    with frames_as_tables(data) as con:
        start = time.perf_counter()
        result = roll_rates(transitions(con))
        set_based = time.perf_counter() - start
    start = time.perf_counter()
    pairs, money = loop_per_account(data["delinquency"], data["statements"])
    looped = time.perf_counter() - start
    matrix = {(f, t): n for f, row in result["matrix"].items() for t, n in row.items() if n}
    assert matrix == dict(pairs), "the two computations disagree"
    by_balance = {
        (f, t): v for f, row in result["matrix_by_balance"].items() for t, v in row.items() if v
    }
    assert by_balance == {k: v for k, v in money.items() if v}, "balances disagree"
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"accounts: {accounts:,} ({COPIES} x UCI), transitions: {sum(pairs.values()):,}")
    print(f"set-based (DuckDB query + shaping): {set_based:.2f} s")
    print(f"python loop per account (same two matrices): {looped:.2f} s")
    print(f"ratio set-based / loop: {set_based / looped:.2f}x")
    print(f"peak RSS: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
