"""Champion/challenger results per test and arm, on the population each test targets: pay rate
(Wilson interval), amount recovered per account (normal interval), and for each challenger the
difference from the champion with its interval, a plain verdict and the power the test had."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from arrears.analytics.stats import (
    difference_interval,
    mean_interval,
    minimum_detectable_effect,
    power,
    two_proportion_p,
    welch_p,
    wilson,
)

ALPHA = 0.05
MINIMUM_EFFECT = 0.05  # a pay-rate difference of 5 points: what the power is reported against
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


def _arm(name: str, role: str, amounts: list[Decimal], book: int | None) -> dict[str, Any]:
    n, payers = len(amounts), sum(1 for a in amounts if a > 0)
    low, high = wilson(payers, n)
    mean, mlow, mhigh = mean_interval([float(a) for a in amounts])
    return {
        "arm": name,
        "role": role,
        "accounts": n,
        "book_accounts": book,
        "payers": payers,
        "pay_rate": round(payers / n, 4) if n else None,
        "pay_rate_ci": [round(low, 4), round(high, 4)],
        "recovered": sum(amounts, ZERO),
        "recovered_per_account": round(mean, 2),
        "recovered_per_account_ci": [round(mlow, 2), round(mhigh, 2)],
    }


def _comparison(
    a: Mapping[str, Any],
    c: Mapping[str, Any],
    amounts: tuple[list[Decimal], list[Decimal]],
    *,
    alpha: float,
    minimum_effect: float,
) -> dict[str, Any]:
    s1, n1, s2, n2 = a["payers"], a["accounts"], c["payers"], c["accounts"]
    rate1, rate2 = (s1 / n1 if n1 else 0.0), (s2 / n2 if n2 else 0.0)
    p = two_proportion_p(s1, n1, s2, n2)
    low, high = difference_interval(s1, n1, s2, n2)
    mde = minimum_detectable_effect(rate2, n1, n2, alpha=alpha)
    return {
        "challenger": a["arm"],
        "champion": c["arm"],
        "pay_rate_difference": round(rate1 - rate2, 4),
        "pay_rate_difference_ci": [round(low, 4), round(high, 4)],
        "p_value": round(p, 4),
        "amount_p_value": round(
            welch_p([float(x) for x in amounts[0]], [float(x) for x in amounts[1]]), 4
        ),
        "verdict": verdict(p, rate1 > rate2, alpha=alpha),
        "power": round(power(rate2, minimum_effect, n1, n2, alpha=alpha), 4),
        "minimum_detectable_effect": None if mde is None else round(mde, 4),
    }


def measure_test(
    test: str,
    outcomes: Iterable[Mapping[str, Any]],
    *,
    champion: str | None = None,
    book: Mapping[str, int] | None = None,
    alpha: float = ALPHA,
    minimum_effect: float = MINIMUM_EFFECT,
) -> dict[str, Any]:
    """One test: ``outcomes`` has one row per account of its measured population with ``arm``
    and ``amount`` (paid within the horizon); ``book`` the accounts decided per arm.

    An account "paid" when its amount is positive. The verdict compares pay rates (the primary
    metric, two-proportion z-test); ``power`` is the chance the test had of finding a rise of
    ``minimum_effect`` over the champion's rate at its size.
    """
    by_arm: dict[str, list[Decimal]] = {}
    for row in outcomes:
        by_arm.setdefault(str(row["arm"]), []).append(Decimal(row["amount"]))
    names = sorted(by_arm)
    champ = champion if champion in by_arm else _champion(names)
    arms = [
        _arm(n, "champion" if n == champ else "challenger", by_arm[n], (book or {}).get(n))
        for n in names
    ]
    c = next(a for a in arms if a["arm"] == champ)
    comparisons = [
        _comparison(
            a, c, (by_arm[a["arm"]], by_arm[champ]), alpha=alpha, minimum_effect=minimum_effect
        )
        for a in arms
        if a["arm"] != champ
    ]
    return {"test": test, "champion": champ, "arms": arms, "comparisons": comparisons}


def experiment_results(
    outcomes: Iterable[Mapping[str, Any]],
    *,
    champions: Mapping[str, str] | None = None,
    book: Mapping[tuple[str, str], int] | None = None,
    alpha: float = ALPHA,
    minimum_effect: float = MINIMUM_EFFECT,
) -> dict[str, Any]:
    """Every test in ``outcomes`` (rows with ``test``, ``arm``, ``amount``), by test name."""
    by_test: dict[str, list[Mapping[str, Any]]] = {}
    for row in outcomes:
        by_test.setdefault(str(row["test"]), []).append(row)
    tests = [
        measure_test(
            name,
            rows,
            champion=(champions or {}).get(name),
            book={arm: n for (t, arm), n in (book or {}).items() if t == name},
            alpha=alpha,
            minimum_effect=minimum_effect,
        )
        for name, rows in sorted(by_test.items())
    ]
    return {"alpha": alpha, "minimum_effect": minimum_effect, "tests": tests}
