"""Confidence intervals and tests for champion/challenger results (pure, no SciPy needed)."""

from __future__ import annotations

import math
from statistics import NormalDist

Z95 = NormalDist().inv_cdf(0.975)


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion (sound at small n and near 0 or 1)."""
    if n <= 0:
        return (0.0, 1.0)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def mean_interval(values: list[float], z: float = Z95) -> tuple[float, float, float]:
    """Mean and its normal-approximation interval."""
    n = len(values)
    if n == 0:
        return (0.0, 0.0, 0.0)
    mean = sum(values) / n
    if n == 1:
        return (mean, mean, mean)
    var = sum((v - mean) ** 2 for v in values) / (n - 1)
    half = z * math.sqrt(var / n)
    return (mean, mean - half, mean + half)


def two_proportion_p(s1: int, n1: int, s2: int, n2: int) -> float:
    """Two-sided p-value of the pooled z-test that two rates are equal."""
    if n1 == 0 or n2 == 0:
        return 1.0
    pooled = (s1 + s2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 1.0
    z = (s1 / n1 - s2 / n2) / se
    return 2 * (1 - NormalDist().cdf(abs(z)))


def welch_p(a: list[float], b: list[float]) -> float:
    """Two-sided p-value of the difference of two means (Welch, normal approximation)."""
    if len(a) < 2 or len(b) < 2:
        return 1.0
    ma, mb = sum(a) / len(a), sum(b) / len(b)
    va = sum((v - ma) ** 2 for v in a) / (len(a) - 1)
    vb = sum((v - mb) ** 2 for v in b) / (len(b) - 1)
    se = math.sqrt(va / len(a) + vb / len(b))
    if se == 0:
        return 1.0 if ma == mb else 0.0
    return 2 * (1 - NormalDist().cdf(abs((ma - mb) / se)))


def difference_interval(s1: int, n1: int, s2: int, n2: int) -> tuple[float, float]:
    """95% interval of ``s1/n1 - s2/n2`` (Newcombe's hybrid score: the two Wilson intervals)."""
    if n1 <= 0 or n2 <= 0:
        return (-1.0, 1.0)
    p1, p2 = s1 / n1, s2 / n2
    l1, u1 = wilson(s1, n1)
    l2, u2 = wilson(s2, n2)
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return (max(-1.0, low), min(1.0, high))


def power(base: float, effect: float, n1: int, n2: int, *, alpha: float = 0.05) -> float:
    """Power of the two-sided pooled z-test (``two_proportion_p``) to find a rate of
    ``base + effect`` in ``n1`` accounts against ``base`` in ``n2``."""
    other = min(1.0, max(0.0, base + effect))
    if n1 <= 0 or n2 <= 0 or other == base:
        return alpha if other == base else 0.0
    pooled = (other * n1 + base * n2) / (n1 + n2)
    null_se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    se = math.sqrt(other * (1 - other) / n1 + base * (1 - base) / n2)
    if se == 0:
        return 1.0
    z = NormalDist().inv_cdf(1 - alpha / 2)
    gap = abs(other - base)
    return NormalDist().cdf((gap - z * null_se) / se) + NormalDist().cdf((-gap - z * null_se) / se)


def minimum_detectable_effect(
    base: float, n1: int, n2: int, *, alpha: float = 0.05, target: float = 0.8
) -> float | None:
    """The smallest rise over ``base`` that ``power`` finds with probability ``target``
    (bisection; None when even a rate of 1 would not be found)."""
    room = 1.0 - base
    if n1 <= 0 or n2 <= 0 or room <= 0 or power(base, room, n1, n2, alpha=alpha) < target:
        return None
    low, high = 0.0, room
    for _ in range(50):
        mid = (low + high) / 2
        if power(base, mid, n1, n2, alpha=alpha) < target:
            low = mid
        else:
            high = mid
    return high
