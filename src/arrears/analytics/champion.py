"""Champion/challenger results per arm: pay rate (Wilson interval), amount recovered per account
(normal interval), and a plain verdict for each challenger against the champion."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from arrears.analytics.stats import mean_interval, two_proportion_p, welch_p, wilson

ALPHA = 0.05
CHAMPION_NAMES = ("champion", "control")
ZERO = Decimal("0")


def _champion(arms: list[str]) -> str:
    for name in arms:
        if name.lower() in CHAMPION_NAMES or name.lower().startswith("champion"):
            return name
    return arms[0]


def verdict(p_value: float, challenger_better: bool, *, alpha: float = ALPHA) -> str:
    """The sentence a manager reads."""
    if p_value >= alpha:
        return "not yet significant"
    return "challenger better" if challenger_better else "champion better"


def arm_results(
    outcomes: Iterable[Mapping[str, Any]], *, champion: str | None = None, alpha: float = ALPHA
) -> dict[str, Any]:
    """``outcomes``: one row per account with ``arm`` and ``amount`` (paid within the horizon).

    An account "paid" when its amount is positive. The verdict compares pay rates (the primary
    metric, two-proportion z-test); amounts are reported with their interval and p-value.
    """
    by_arm: dict[str, list[Decimal]] = {}
    for row in outcomes:
        by_arm.setdefault(str(row["arm"]), []).append(Decimal(row["amount"]))
    if not by_arm:
        return {"champion": None, "arms": [], "comparisons": []}
    names = sorted(by_arm)
    champ = champion if champion in by_arm else _champion(names)
    arms: list[dict[str, Any]] = []
    for name in names:
        amounts = by_arm[name]
        n, payers = len(amounts), sum(1 for a in amounts if a > 0)
        low, high = wilson(payers, n)
        mean, mlow, mhigh = mean_interval([float(a) for a in amounts])
        arms.append(
            {
                "arm": name,
                "role": "champion" if name == champ else "challenger",
                "accounts": n,
                "payers": payers,
                "pay_rate": round(payers / n, 4) if n else None,
                "pay_rate_ci": [round(low, 4), round(high, 4)],
                "recovered": sum(amounts, ZERO),
                "recovered_per_account": round(mean, 2),
                "recovered_per_account_ci": [round(mlow, 2), round(mhigh, 2)],
            }
        )
    by_name = {a["arm"]: a for a in arms}
    c = by_name[champ]
    comparisons = []
    for a in arms:
        if a["arm"] == champ:
            continue
        p = two_proportion_p(a["payers"], a["accounts"], c["payers"], c["accounts"])
        p_amount = welch_p([float(x) for x in by_arm[a["arm"]]], [float(x) for x in by_arm[champ]])
        comparisons.append(
            {
                "challenger": a["arm"],
                "champion": champ,
                "pay_rate_difference": round((a["pay_rate"] or 0) - (c["pay_rate"] or 0), 4),
                "p_value": round(p, 4),
                "amount_p_value": round(p_amount, 4),
                "verdict": verdict(p, (a["pay_rate"] or 0) > (c["pay_rate"] or 0), alpha=alpha),
            }
        )
    return {"champion": champ, "arms": arms, "comparisons": comparisons}
