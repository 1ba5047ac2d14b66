"""Agency performance (pure): comparable in-house cases only, rates, champion/challenger between
agencies with the existing two-proportion test."""

from __future__ import annotations

from decimal import Decimal

from arrears.analytics.agencies import IN_HOUSE, CaseRow, EventRow, performance

D = Decimal


def test_groups_compare_like_cases_and_agencies_get_a_verdict() -> None:
    cases = [CaseRow(i, "AG1", "M5", D("1000")) for i in range(200)]
    cases += [CaseRow(1000 + i, "AG2", "M5", D("1000")) for i in range(200)]
    cases += [CaseRow(2000 + i, IN_HOUSE, "M5", D("500")) for i in range(10)]
    cases += [CaseRow(3000 + i, IN_HOUSE, "M1", D("500")) for i in range(50)]  # not comparable
    events = [EventRow(i, "paid", D("100")) for i in range(20)]  # AG1: 10% pay
    events += [EventRow(1000 + i, "paid", D("100")) for i in range(80)]  # AG2: 40% pay
    events += [EventRow(1000 + i, "contacted") for i in range(150)]
    events += [EventRow(1000, "promised"), EventRow(1000, "promised"), EventRow(5, "blocked")]
    events += [EventRow(2000, "paid", D("250")), EventRow(3000, "paid", D("999"))]
    out = performance(cases, events, {"AG1": 3, IN_HOUSE: 1})
    rows = {r["group"]: r for r in out["groups"]}
    assert [r["group"] for r in out["groups"]] == ["AG1", "AG2", IN_HOUSE]
    assert rows[IN_HOUSE]["cases"] == 10  # the M1 cases are not like the agencies'
    assert rows[IN_HOUSE]["recovered"] == D("250")
    assert rows[IN_HOUSE]["recovery_rate"] == 0.05
    assert rows["AG2"]["contacted"] == 150
    assert rows["AG2"]["promised"] == 1  # cases, not promises
    assert rows["AG1"]["compliance_blocks"] == 1
    assert rows["AG1"]["complaints"] == 3
    assert rows["AG1"]["recovery_rate"] == 0.01
    cc = out["champion_challenger"]
    assert {a["arm"] for a in cc["arms"]} == {"AG1", "AG2"}  # in-house is not an arm
    (comparison,) = cc["comparisons"]
    assert comparison["champion"] == "AG1"  # most cases; ties by name
    assert comparison["challenger"] == "AG2"
    assert comparison["verdict"] == "challenger better"
    assert comparison["p_value"] < 0.05


def test_no_placements_no_groups() -> None:
    out = performance([CaseRow(1, IN_HOUSE, "M2", D("10"))], [EventRow(1, "paid", D("5"))])
    assert out["groups"] == []
    assert out["champion_challenger"]["arms"] == []
