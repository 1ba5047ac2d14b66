"""Collector KPIs and champion/challenger statistics, recomputed independently."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arrears.analytics.champion import experiment_results, measure_test, verdict
from arrears.analytics.kpis import (
    AttemptRow,
    ComplianceRow,
    PromiseRow,
    RecoveryRow,
    collector_kpis,
)
from arrears.analytics.stats import mean_interval, two_proportion_p, wilson

COLLECTORS = ["amy", "bo", "chen"]
attempt = st.builds(AttemptRow, st.sampled_from(COLLECTORS), st.booleans(), st.booleans())
promise = st.builds(
    PromiseRow,
    st.sampled_from(COLLECTORS),
    st.sampled_from(["pending", "kept", "broken", "partially_kept", "cancelled"]),
)
check = st.builds(
    ComplianceRow,
    st.sampled_from(COLLECTORS),
    st.sampled_from(["blocked", "overridden", "allowed"]),
)
money = st.builds(RecoveryRow, st.sampled_from(COLLECTORS), st.decimals(0, 10**5, places=2))


@given(
    st.lists(attempt, max_size=60),
    st.lists(promise, max_size=30),
    st.lists(check, max_size=20),
    st.lists(money, max_size=20),
)
def test_kpis_match_an_independent_count(attempts, promises, checks, recoveries) -> None:  # type: ignore[no-untyped-def]
    rows = {
        r["collector"]: r
        for r in collector_kpis(
            attempts=attempts, promises=promises, compliance=checks, recoveries=recoveries
        )
    }
    for who in COLLECTORS + ["(all)"]:
        mine = (lambda x: True) if who == "(all)" else (lambda x, w=who: x.collector == w)
        a = [x for x in attempts if mine(x)]
        p = [x for x in promises if mine(x)]
        c = [x for x in checks if mine(x)]
        m = [x for x in recoveries if mine(x)]
        if not (a or p or c or m):
            assert who not in rows
            continue
        row = rows[who]
        rpc = sum(1 for x in a if x.right_party)

        def taken(w: str) -> int:
            # Recorded promises or promise outcomes, whichever is more, per collector.
            return max(
                sum(1 for x in attempts if x.collector == w and x.promise),
                sum(1 for x in promises if x.collector == w),
            )

        ptp = sum(taken(w) for w in COLLECTORS) if who == "(all)" else taken(who)
        kept = sum(1 for x in p if x.status == "kept")
        judged = sum(1 for x in p if x.status in ("kept", "broken", "partially_kept"))
        assert row["attempts"] == len(a)
        assert row["right_party_contacts"] == rpc
        assert row["rpc_rate"] == (round(rpc / len(a), 4) if a else None)
        assert row["promises"] == ptp
        assert row["promise_rate"] == (round(ptp / rpc, 4) if rpc else None)
        assert row["promises_kept"] == kept
        assert row["promise_kept_rate"] == (round(kept / judged, 4) if judged else None)
        assert row["recovered"] == sum((x.amount for x in m), Decimal(0))
        assert row["compliance_blocks"] == sum(1 for x in c if x.outcome == "blocked")
        assert row["compliance_overrides"] == sum(1 for x in c if x.outcome == "overridden")


def test_grouped_rows_count_like_single_rows() -> None:
    grouped = collector_kpis(
        attempts=[AttemptRow("amy", True, False, count=3), AttemptRow("amy", False, False, count=2)]
    )
    single = collector_kpis(
        attempts=[AttemptRow("amy", True, False)] * 3 + [AttemptRow("amy", False, False)] * 2
    )
    assert grouped == single
    assert grouped[0]["rpc_rate"] == 0.6


def test_no_rows_no_kpis() -> None:
    assert collector_kpis() == []


def test_wilson_interval_known_values() -> None:
    low, high = wilson(5, 10)
    assert low == pytest.approx(0.2366, abs=1e-4)
    assert high == pytest.approx(0.7634, abs=1e-4)
    low, high = wilson(0, 20)
    assert low == pytest.approx(0.0, abs=1e-12)
    assert high == pytest.approx(0.1611, abs=1e-4)
    assert wilson(0, 0) == (0.0, 1.0)


def test_mean_interval_and_two_proportion_test() -> None:
    mean, low, high = mean_interval([1.0, 2.0, 3.0, 4.0])
    assert mean == 2.5
    half = 1.959964 * math.sqrt((5 / 3) / 4)
    assert low == pytest.approx(2.5 - half, rel=1e-5)
    assert high == pytest.approx(2.5 + half, rel=1e-5)
    assert two_proportion_p(50, 100, 50, 100) == pytest.approx(1.0)
    assert two_proportion_p(60, 100, 40, 100) == pytest.approx(0.00468, abs=1e-4)


def _outcomes(arm: str, n: int, payers: int, amount: str = "100.00") -> list[dict[str, object]]:
    return [{"arm": arm, "amount": Decimal(amount) if i < payers else Decimal(0)} for i in range(n)]


def test_verdicts() -> None:
    clear = measure_test("t", _outcomes("champion", 400, 120) + _outcomes("softer_sms", 400, 180))
    assert clear["champion"] == "champion"
    (cmp,) = clear["comparisons"]
    assert cmp["challenger"] == "softer_sms"
    assert cmp["verdict"] == "challenger better"
    assert cmp["pay_rate_difference"] == 0.15
    worse = measure_test("t", _outcomes("champion", 400, 180) + _outcomes("b", 400, 120))
    assert worse["comparisons"][0]["verdict"] == "champion better"
    small = measure_test("t", _outcomes("champion", 20, 6) + _outcomes("b", 20, 8))
    assert small["comparisons"][0]["verdict"] == "not yet significant"
    arms = {a["arm"]: a for a in clear["arms"]}
    assert arms["softer_sms"]["pay_rate"] == 0.45
    low, high = wilson(180, 400)
    assert arms["softer_sms"]["pay_rate_ci"] == [round(low, 4), round(high, 4)]
    assert arms["softer_sms"]["recovered"] == Decimal("18000.00")
    assert arms["softer_sms"]["recovered_per_account"] == 45.0
    assert verdict(0.2, True) == "not yet significant"


def test_no_arms_no_results() -> None:
    assert experiment_results([])["tests"] == []
