"""Benchmark ``portfolio synth`` against plain numpy + pyarrow writing the same columns.

Usage: ``python bench/synth.py [ACCOUNTS]`` (default 1,000,000; the docs quote 10,000,000).
The baseline draws uniform random values for the same tables, row counts and types, in the same
250k-account chunks, and writes them with the same Parquet writer: the cost of the file format
without the realism (calibrated status chain, ID numbers, names, phones). Both run in this process;
the ratio is synth time / baseline time. Peak RSS is the process high-water mark after each run
(``ru_maxrss`` only grows, so the synth figure covers both).
"""

from __future__ import annotations

import resource
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from arrears.portfolio.layout import ORDER, arrow_schema
from arrears.portfolio.synth import CHUNK, synth

ROWS_PER_ACCOUNT = {
    "cardholders": 1.0,
    "phones": 1.3,
    "contact_persons": 1.85,
    "accounts": 1.0,
    "statements": 6.0,
    "payments": 5.0,
    "delinquency": 6.0,
}


def _column(rng: np.random.Generator, field: pa.Field, n: int) -> pa.Array:
    if pa.types.is_string(field.type):
        return pa.array(rng.integers(0, 10**10, n)).cast(pa.string())
    if pa.types.is_date32(field.type):
        return pa.array(rng.integers(19000, 20500, n).astype("datetime64[D]"))
    if pa.types.is_decimal(field.type):
        raw = np.zeros((n, 2), np.int64)  # unscaled 128-bit values, as synth builds them
        raw[:, 0] = rng.integers(0, 10**4, n)
        return pa.Array.from_buffers(field.type, n, [None, pa.py_buffer(raw)])
    return pa.array(rng.integers(-2, 9, n).astype(np.int16))


def baseline(accounts: int, out: Path) -> None:
    """Random columns of the extract's tables, same sizes and types, no realism."""
    out.mkdir(parents=True, exist_ok=True)
    writers: dict[str, pq.ParquetWriter] = {}
    try:
        for start in range(0, accounts, CHUNK):
            n = min(CHUNK, accounts - start)
            rng = np.random.default_rng([1, start])
            for name in ORDER:
                schema = arrow_schema(name)
                rows = int(n * ROWS_PER_ACCOUNT[name])
                table = pa.table([_column(rng, f, rows) for f in schema], schema=schema)
                if name not in writers:
                    writers[name] = pq.ParquetWriter(
                        out / f"{name}.parquet", schema, compression="zstd"
                    )
                writers[name].write_table(table)
    finally:
        for w in writers.values():
            w.close()


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    accounts = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    work = Path(tempfile.mkdtemp(prefix="bench_synth_"))
    try:
        t0 = time.perf_counter()
        baseline(accounts, work / "baseline")
        base_s = time.perf_counter() - t0
        base_peak = _peak_mb()
        shutil.rmtree(work / "baseline")
        t0 = time.perf_counter()
        result = synth(accounts=accounts, seed=1, out=work / "synth", as_of=date(2026, 11, 1))
        synth_s = time.perf_counter() - t0
        synth_peak = _peak_mb()
        size = sum(f.stat().st_size for f in (work / "synth").iterdir()) / 2**20
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows = sum(result.rows.values())
    print(f"synth {accounts:,} accounts ({rows:,} rows, {size:,.0f} MiB Parquet)")
    print(
        f"  baseline (numpy + pyarrow, no realism): {base_s:8.1f} s  peak RSS {base_peak:,.0f} MB"
    )
    print(
        f"  synth:                                  {synth_s:8.1f} s  peak RSS {synth_peak:,.0f} MB"
    )
    print(f"  ratio synth / baseline: {synth_s / base_s:.2f}x")


if __name__ == "__main__":
    main()
