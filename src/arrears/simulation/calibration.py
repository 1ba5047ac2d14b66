"""The behaviour model's figures from the real UCI data (pure: the CSV in, numbers out).

Monthly outcomes: for each client and each pair of consecutive months (April->May ...
August->September), the bucket before (status -2/-1/0 -> M0, k -> Mk, k >= 7 -> M7+) and what
happened: an M0 account *paid* (stayed M0) or *missed* (became delinquent); a delinquent one
*cured* (back to M0), *improved* (a lower bucket, not M0), *stayed* (same bucket) or *rolled*
(a higher bucket).

Payment ratios: the amount paid over the statement balance, ``PAY_AMT / BILL_AMT``. In the CSV
the payment that explains a status change is the one recorded in the *next* column (a client
who cures from status 2 in month m has ``PAY_AMT`` of month m+1 > 0 in 99.8% of cases, in month m
only 33%), so the ratio pairs the status change of months (m-1 -> m) with the bill of month m-1
and the payment recorded for month m+1. Quantiles (0, 10, ..., 100%) are kept per outcome.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np

# Oldest month first: April ... September 2005.
STATUS_COLUMNS = ("PAY_6", "PAY_5", "PAY_4", "PAY_3", "PAY_2", "PAY_0")
BILL_COLUMNS = ("BILL_AMT6", "BILL_AMT5", "BILL_AMT4", "BILL_AMT3", "BILL_AMT2", "BILL_AMT1")
PAID_COLUMNS = ("PAY_AMT6", "PAY_AMT5", "PAY_AMT4", "PAY_AMT3", "PAY_AMT2", "PAY_AMT1")
BUCKETS = ("M0", "M1", "M2", "M3", "M4", "M5", "M6", "M7+")
CURRENT_OUTCOMES = ("pay", "miss")
DELINQUENT_OUTCOMES = ("cure", "improve", "stay", "roll")
QUANTILES = tuple(q / 10 for q in range(11))
RATIO_CAP = 2.0  # a payment above twice the bill is a refund or a data error: clip


def bucket_of(status: int) -> int:
    return 0 if status <= 0 else min(status, 7)


def outcome_of(before: int, after: int) -> str:
    if before == 0:
        return "pay" if after == 0 else "miss"
    if after == 0:
        return "cure"
    if after < before:
        return "improve"
    return "stay" if after == before else "roll"


def _read(path: Path) -> dict[str, np.ndarray]:
    columns = STATUS_COLUMNS + BILL_COLUMNS + PAID_COLUMNS
    values: dict[str, list[float]] = {c: [] for c in columns}
    with path.open(newline="") as fh:
        for row in csv.DictReader(fh):
            for c in columns:
                values[c].append(float(row[c]))
    return {c: np.asarray(v) for c, v in values.items()}


def calibrate(path: Path) -> dict[str, Any]:
    """The ``uci`` section of ``behaviour.yaml``, computed from the CSV."""
    data = _read(path)
    outcome_counts: dict[str, dict[str, int]] = {
        b: dict.fromkeys(CURRENT_OUTCOMES if i == 0 else DELINQUENT_OUTCOMES, 0)
        for i, b in enumerate(BUCKETS)
    }
    ratios: dict[str, list[float]] = {o: [] for o in CURRENT_OUTCOMES + DELINQUENT_OUTCOMES}
    for m in range(1, len(STATUS_COLUMNS)):
        before = [bucket_of(int(s)) for s in data[STATUS_COLUMNS[m - 1]]]
        after = [bucket_of(int(s)) for s in data[STATUS_COLUMNS[m]]]
        bill = data[BILL_COLUMNS[m - 1]]
        paid = data[PAID_COLUMNS[m + 1]] if m + 1 < len(PAID_COLUMNS) else None
        for k, (b0, b1) in enumerate(zip(before, after, strict=True)):
            outcome = outcome_of(b0, b1)
            outcome_counts[BUCKETS[b0]][outcome] += 1
            if paid is not None and bill[k] > 0:
                ratios[outcome].append(min(paid[k] / bill[k], RATIO_CAP))
    quantiles = {
        o: [round(float(q), 4) for q in np.quantile(np.asarray(v), QUANTILES)]
        for o, v in ratios.items()
        if v
    }
    return {
        "outcomes": outcome_counts,
        "pay_ratio_quantiles": quantiles,
        "pay_ratio_samples": {o: len(v) for o, v in ratios.items()},
    }
