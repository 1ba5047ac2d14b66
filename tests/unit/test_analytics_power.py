"""The difference interval and the power of the pay-rate test (stats.py), at their edges."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arrears.analytics.stats import (
    difference_interval,
    minimum_detectable_effect,
    power,
    wilson,
)

counts = st.integers(min_value=1, max_value=5000).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
)


@given(counts, counts)
def test_the_difference_interval_holds_the_difference_within_minus_one_and_one(
    a: tuple[int, int], b: tuple[int, int]
) -> None:
    low, high = difference_interval(*a, *b)
    d = a[0] / a[1] - b[0] / b[1]
    assert -1.0 <= low <= d + 1e-12
    assert d - 1e-12 <= high <= 1.0


def test_the_difference_interval_is_the_two_wilson_intervals_combined() -> None:
    # Equal rates: symmetric around 0, as wide as the two Wilson half-widths in quadrature.
    low, high = difference_interval(30, 100, 30, 100)
    w_low, w_high = wilson(30, 100)
    assert low == pytest.approx(-high)
    assert high == pytest.approx(((w_high - 0.3) ** 2 + (0.3 - w_low) ** 2) ** 0.5)


@given(
    st.floats(min_value=0.01, max_value=0.9),
    st.floats(min_value=0.01, max_value=0.09),
    st.integers(min_value=10, max_value=20_000),
)
def test_power_grows_with_the_effect_and_the_size(base: float, effect: float, n: int) -> None:
    p = power(base, effect, n, n)
    assert 0.0 <= p <= 1.0
    assert power(base, effect * 1.5, n, n) >= p - 1e-12
    assert power(base, effect, 2 * n, 2 * n) >= p - 1e-12


def test_no_effect_is_found_at_the_rate_of_false_alarms() -> None:
    assert power(0.3, 0.0, 1000, 1000) == 0.05


def test_the_minimum_detectable_effect_is_found_with_80_percent_power() -> None:
    mde = minimum_detectable_effect(0.30, 1000, 1000)
    assert mde is not None
    assert power(0.30, mde, 1000, 1000) == pytest.approx(0.8, abs=1e-6)
    # The textbook figure for 30 % with 1,000 a side is about 6 points.
    assert 0.055 < mde < 0.065
    assert minimum_detectable_effect(0.99, 5, 5) is None  # too few to find anything
    assert minimum_detectable_effect(0.3, 0, 10) is None
