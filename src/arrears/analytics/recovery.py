"""Recovery curves by month of entry into delinquency (pure shaping of grouped rows)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

ZERO = Decimal("0")


def recovery_curves(
    cohorts: Iterable[tuple[date, int, Decimal]],
    payments: Iterable[tuple[date, int, Decimal]],
    status: Iterable[tuple[date, int, int, int]],
) -> list[dict[str, Any]]:
    """Per entry month: cumulative amount recovered (and its share of the balance at entry) and
    the share of the cohort current again, ``k`` months after entry.

    ``cohorts``: (entry month, accounts, balance at entry); ``payments``: (entry month, k, amount
    paid in the k-th month from entry); ``status``: (entry month, k, observed, current again).
    """
    paid: dict[date, dict[int, Decimal]] = defaultdict(dict)
    for month, k, amount in payments:
        paid[month][k] = paid[month].get(k, ZERO) + amount
    seen: dict[date, dict[int, tuple[int, int]]] = defaultdict(dict)
    for month, k, observed, cured in status:
        seen[month][k] = (observed, cured)
    curves = []
    for month, accounts, balance in sorted(cohorts):
        horizon = max([*paid[month], *seen[month], 0])
        points, cumulative = [], ZERO
        for k in range(1, horizon + 1):
            cumulative += paid[month].get(k, ZERO)
            observed, cured = seen[month].get(k, (0, 0))
            points.append(
                {
                    "month": k,
                    "recovered": cumulative,
                    "recovery_rate": round(float(cumulative / balance), 4) if balance else None,
                    "observed": observed,
                    "cure_rate": round(cured / observed, 4) if observed else None,
                }
            )
        curves.append(
            {
                "entry_month": month.isoformat(),
                "accounts": accounts,
                "balance": balance,
                "points": points,
            }
        )
    return curves


def after_write_off(
    *,
    written_off: Decimal,
    accounts: int,
    recovered: Decimal,
    agency_commission: Decimal = ZERO,
    legal_costs: Decimal = ZERO,
) -> dict[str, Any]:
    """Recoveries on written-off accounts, reported apart from cures: the gross amount, the
    recovery rate, and the net recovery after agency commission and legal costs."""
    net = recovered - agency_commission - legal_costs
    return {
        "accounts": accounts,
        "written_off": written_off,
        "recovered": recovered,
        "agency_commission": agency_commission,
        "legal_costs": legal_costs,
        "net_recovered": net,
        "recovery_rate": round(float(recovered / written_off), 4) if written_off else None,
        "net_recovery_rate": round(float(net / written_off), 4) if written_off else None,
    }
