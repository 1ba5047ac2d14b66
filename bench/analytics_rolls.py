"""Roll rates: the set-based DuckDB query against a Python loop per account, side by side.

The UCI portfolio (30,000 accounts x 6 monthly reports) is replicated ``COPIES`` times with new
account ids, loaded into an in-memory DuckDB, and the bucket-to-bucket matrix is computed both
ways; the two matrices must agree. Prints the time ratio and peak memory.
"""

from __future__ import annotations

import resource
import sys
import time
from collections import Counter
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


def loop_per_account(delinquency: pa.Table) -> Counter[tuple[str, str]]:
    """The baseline a spreadsheet analyst would write: gather each account's history, walk it."""
    history: dict[str, list[tuple[object, int]]] = {}
    for account, reported_on, status in zip(
        delinquency["account_id"].to_pylist(),
        delinquency["reported_on"].to_pylist(),
        delinquency["status"].to_pylist(),
        strict=True,
    ):
        history.setdefault(account, []).append((reported_on, status))
    pairs: Counter[tuple[str, str]] = Counter()
    for reports in history.values():
        reports.sort()
        for (_, a), (_, b) in zip(reports, reports[1:], strict=False):
            pairs[(bucket_for_status(a), bucket_for_status(b))] += 1
    return pairs


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
    pairs = loop_per_account(data["delinquency"])
    looped = time.perf_counter() - start
    matrix = {(f, t): n for f, row in result["matrix"].items() for t, n in row.items() if n}
    assert matrix == dict(pairs), "the two computations disagree"
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"accounts: {accounts:,} ({COPIES} x UCI), transitions: {sum(pairs.values()):,}")
    print(f"set-based (DuckDB, incl. balance view): {set_based:.2f} s")
    print(f"python loop per account (accounts only): {looped:.2f} s")
    print(f"ratio set-based / loop: {set_based / looped:.2f}x")
    print(f"peak RSS: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
