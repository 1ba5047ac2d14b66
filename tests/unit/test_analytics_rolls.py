"""Roll rates, bucket mix and recovery curves: pure shaping of grouped rows."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from arrears.analytics.recovery import recovery_curves
from arrears.analytics.rolls import BucketCount, TransitionCount, bucket_mix, roll_rates

JUN, JUL = date(2005, 6, 1), date(2005, 7, 1)


def test_matrix_sums_transitions_and_maps_statuses_to_buckets() -> None:
    rows = [
        TransitionCount(JUN, -2, 0, 5, Decimal("100.00")),  # M0 -> M0
        TransitionCount(JUN, -1, 1, 2, Decimal("50.00")),  # M0 -> M1
        TransitionCount(JUL, 0, 1, 3, Decimal("30.00")),  # M0 -> M1, next month
        TransitionCount(JUL, 2, 0, 4, Decimal("40.00")),  # M2 -> M0 (cure)
        TransitionCount(JUL, 2, 3, 1, Decimal("60.00")),  # M2 -> M3 (roll forward)
        TransitionCount(JUL, 8, 9, 2, Decimal("10.00")),  # M7+ -> M7+
    ]
    result = roll_rates(rows)
    assert result["transitions"] == 2
    assert result["matrix"]["M0"]["M0"] == 5
    assert result["matrix"]["M0"]["M1"] == 5
    assert result["matrix"]["M2"]["M0"] == 4
    assert result["matrix"]["M7+"]["M7+"] == 2
    assert result["matrix_by_balance"]["M0"]["M1"] == Decimal("80.00")
    assert result["rates"]["M2"] == {**dict.fromkeys(result["buckets"], 0.0), "M0": 0.8, "M3": 0.2}
    assert result["rates"]["M5"]["M5"] is None  # nobody in M5: no rate, not zero
    assert result["cure_rate"]["M2"] == 0.8
    assert result["cure_rate_by_balance"]["M2"] == 0.4
    assert result["roll_forward_rate"]["M2"] == 0.2
    assert result["roll_forward_rate_by_balance"]["M2"] == 0.6
    assert result["roll_forward_rate"]["M0"] == round(5 / 10, 4)
    assert [m["from_month"] for m in result["by_month"]] == ["2005-06-01", "2005-07-01"]
    assert result["by_month"][0]["matrix"]["M0"]["M1"] == 2
    assert result["by_month"][1]["cure_rate"]["M2"] == 0.8


transition = st.builds(
    TransitionCount,
    from_month=st.sampled_from([JUN, JUL]),
    from_status=st.integers(-2, 9),
    to_status=st.integers(-2, 9),
    accounts=st.integers(1, 1000),
    balance=st.decimals(0, 10**6, places=2),
)


@given(st.lists(transition, max_size=40))
def test_matrix_keeps_every_account_and_rates_are_shares(rows: list[TransitionCount]) -> None:
    result = roll_rates(rows)
    total = sum(sum(r.values()) for r in result["matrix"].values())
    assert total == sum(r.accounts for r in rows)
    assert (
        sum(
            m["matrix"][f][t]
            for m in result["by_month"]
            for f in m["matrix"]
            for t in m["matrix"][f]
        )
        == total
    )
    for f, row in result["rates"].items():
        if sum(result["matrix"][f].values()):
            assert abs(sum(v for v in row.values() if v is not None) - 1) < 1e-3


def test_bucket_mix_per_month() -> None:
    mix = bucket_mix(
        [
            BucketCount(JUN, -2, 3, Decimal("0.00")),
            BucketCount(JUN, 0, 2, Decimal("20.00")),
            BucketCount(JUN, 7, 1, Decimal("70.00")),
            BucketCount(JUL, 9, 1, Decimal("90.00")),
        ]
    )
    assert mix[0]["month"] == "2005-06-01"
    assert mix[0]["accounts"]["M0"] == 5
    assert mix[0]["accounts"]["M7+"] == 1
    assert mix[0]["balance"]["M0"] == Decimal("20.00")
    assert mix[1]["accounts"]["M7+"] == 1
    assert sum(mix[1]["accounts"].values()) == 1


def test_recovery_curves_accumulate_payments_and_cures() -> None:
    curves = recovery_curves(
        cohorts=[(JUN, 10, Decimal("1000.00")), (JUL, 4, Decimal("0.00"))],
        payments=[(JUN, 1, Decimal("100.00")), (JUN, 3, Decimal("50.00"))],
        status=[(JUN, 1, 10, 2), (JUN, 2, 8, 4), (JUL, 1, 4, 1)],
    )
    june = curves[0]
    assert june["entry_month"] == "2005-06-01"
    assert [p["recovered"] for p in june["points"]] == [
        Decimal("100.00"),
        Decimal("100.00"),
        Decimal("150.00"),
    ]
    assert [p["recovery_rate"] for p in june["points"]] == [0.1, 0.1, 0.15]
    assert [p["cure_rate"] for p in june["points"]] == [0.2, 0.5, None]
    assert curves[1]["points"][0]["recovery_rate"] is None  # zero balance at entry: no rate


def test_counter_of_pairs_equals_matrix() -> None:
    # The matrix is a re-keyed Counter of (from bucket, to bucket): check against one built apart.
    pairs = [(-1, 1), (1, 2), (2, 2), (3, 0), (7, 8), (0, 0), (0, 0)]
    rows = [TransitionCount(JUN, f, t, 1, Decimal(0)) for f, t in pairs]
    expected = Counter(
        (
            "M0" if f <= 0 else "M7+" if f >= 7 else f"M{f}",
            "M0" if t <= 0 else "M7+" if t >= 7 else f"M{t}",
        )
        for f, t in pairs
    )
    matrix = roll_rates(rows)["matrix"]
    assert {(f, t): n for f, row in matrix.items() for t, n in row.items() if n} == dict(expected)
