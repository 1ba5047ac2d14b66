"""Roll rates: bucket-to-bucket migration between consecutive months, by accounts and by balance.

Pure: takes transition counts already grouped by (month, from status, to status) by the
repository (a set-based query), maps statuses to buckets and shapes matrices and rates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from arrears.delinquency.buckets import BUCKET_NAMES, bucket_for_status

ZERO = Decimal("0")


@dataclass(frozen=True)
class TransitionCount:
    """Accounts (and their balance at the from-month) moving from one status to the next month's."""

    from_month: date
    from_status: int
    to_status: int
    accounts: int
    balance: Decimal


@dataclass(frozen=True)
class BucketCount:
    """Accounts and balance in one status in one month (the bucket mix)."""

    month: date
    status: int
    accounts: int
    balance: Decimal


def _grid(value: Any) -> dict[str, dict[str, Any]]:
    return {f: {t: value for t in BUCKET_NAMES} for f in BUCKET_NAMES}


def _shares(matrix: dict[str, dict[str, Any]]) -> dict[str, dict[str, float | None]]:
    out: dict[str, dict[str, float | None]] = {}
    for f, row in matrix.items():
        total = sum(row.values())
        out[f] = {t: (round(float(v / total), 4) if total else None) for t, v in row.items()}
    return out


def _ratio(part: Any, whole: Any) -> float | None:
    return round(float(part / whole), 4) if whole else None


def _summary(
    accounts: dict[str, dict[str, int]], balance: dict[str, dict[str, Decimal]]
) -> dict[str, Any]:
    order = {b: i for i, b in enumerate(BUCKET_NAMES)}
    cure, cure_bal, forward, forward_bal = {}, {}, {}, {}
    for f in BUCKET_NAMES:
        n, bal = sum(accounts[f].values()), sum(balance[f].values(), ZERO)
        worse = [t for t in BUCKET_NAMES if order[t] > order[f]]
        forward[f] = _ratio(sum(accounts[f][t] for t in worse), n)
        forward_bal[f] = _ratio(sum((balance[f][t] for t in worse), ZERO), bal)
        if f != BUCKET_NAMES[0]:
            cure[f] = _ratio(accounts[f][BUCKET_NAMES[0]], n)
            cure_bal[f] = _ratio(balance[f][BUCKET_NAMES[0]], bal)
    return {
        "roll_forward_rate": forward,
        "roll_forward_rate_by_balance": forward_bal,
        "cure_rate": cure,
        "cure_rate_by_balance": cure_bal,
    }


def roll_rates(transitions: Iterable[TransitionCount]) -> dict[str, Any]:
    """Matrices summed over every month-to-month transition, their rates, and per-month figures."""
    accounts: dict[str, dict[str, int]] = _grid(0)
    balance: dict[str, dict[str, Decimal]] = _grid(ZERO)
    by_month_acc: dict[date, dict[str, dict[str, int]]] = defaultdict(lambda: _grid(0))
    by_month_bal: dict[date, dict[str, dict[str, Decimal]]] = defaultdict(lambda: _grid(ZERO))
    for t in transitions:
        f, to = bucket_for_status(t.from_status), bucket_for_status(t.to_status)
        accounts[f][to] += t.accounts
        balance[f][to] += t.balance
        by_month_acc[t.from_month][f][to] += t.accounts
        by_month_bal[t.from_month][f][to] += t.balance
    months = sorted(by_month_acc)
    return {
        "buckets": list(BUCKET_NAMES),
        "transitions": len(months),
        "matrix": accounts,
        "matrix_by_balance": balance,
        "rates": _shares(accounts),
        "rates_by_balance": _shares(balance),
        **_summary(accounts, balance),
        "by_month": [
            {
                "from_month": m.isoformat(),
                "matrix": by_month_acc[m],
                **_summary(by_month_acc[m], by_month_bal[m]),
            }
            for m in months
        ],
    }


def bucket_mix(counts: Iterable[BucketCount]) -> list[dict[str, Any]]:
    """Per month: accounts and balance in each bucket (bucket migration over time)."""
    acc: dict[date, dict[str, int]] = defaultdict(lambda: dict.fromkeys(BUCKET_NAMES, 0))
    bal: dict[date, dict[str, Decimal]] = defaultdict(lambda: dict.fromkeys(BUCKET_NAMES, ZERO))
    for c in counts:
        b = bucket_for_status(c.status)
        acc[c.month][b] += c.accounts
        bal[c.month][b] += c.balance
    return [{"month": m.isoformat(), "accounts": acc[m], "balance": bal[m]} for m in sorted(acc)]
