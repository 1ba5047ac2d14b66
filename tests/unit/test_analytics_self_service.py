"""The self-service share: promises, plans and settlements the customer made himself in the
portal, out of all made, per kind and in total; checked against a plain count."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from arrears.analytics.kpis import TOTAL, ArrangementRow, self_service_share

rows = st.lists(
    st.builds(
        ArrangementRow,
        kind=st.sampled_from(["promise", "plan", "settlement"]),
        self_service=st.booleans(),
        count=st.integers(min_value=1, max_value=5),
    ),
    max_size=30,
)


@given(rows)
def test_the_share_matches_a_plain_count(found: list[ArrangementRow]) -> None:
    out = {r["kind"]: r for r in self_service_share(found)}
    for kind in ("promise", "plan", "settlement"):
        made = sum(r.count for r in found if r.kind == kind)
        mine = sum(r.count for r in found if r.kind == kind and r.self_service)
        assert (out[kind]["made"], out[kind]["self_service"]) == (made, mine)
        assert out[kind]["self_service_share"] == (round(mine / made, 4) if made else None)
    assert out[TOTAL]["made"] == sum(r.count for r in found)


def test_none_made_is_no_share_not_zero() -> None:
    out = self_service_share([])
    assert [r["self_service_share"] for r in out] == [None, None, None, None]
    two_of_four = self_service_share(
        [ArrangementRow("promise", True, 2), ArrangementRow("promise", False, 2)]
    )
    assert two_of_four[0]["self_service_share"] == 0.5
