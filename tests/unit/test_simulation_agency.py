"""The simulated agency's own commission (the simulator's check of issue 17) against the
product's statement rule, and the check that compares them.

The simulator computes the commission from the payments it made and the placement intervals it
read in the exchange files; the product from the store. On the same facts they must agree to
the cent, whatever the tiers, cap and reversals (hypothesis); and the check reports a month
where they do not.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from arrears.simulation import invariants
from arrears.simulation.agency import Interval, Paid, commission_due
from arrears.simulation.roster import AgencyPlan, AgencyTier
from arrears.workforce import commission
from arrears.workforce.compensation import Tier

FIRST, LAST = date(2026, 2, 1), date(2026, 2, 28)
D = Decimal


@st.composite
def plans(draw: st.DrawFn) -> AgencyPlan:
    n = draw(st.integers(1, 3))
    bounds = sorted(draw(st.sets(st.integers(1, 50_000), min_size=n - 1, max_size=n - 1)))
    rates = draw(st.lists(st.integers(0, 4000), min_size=n, max_size=n))  # pct x 100
    tiers = [
        AgencyTier(up_to=D(bounds[i]) if i < n - 1 else None, pct=D(rates[i]) / 100)
        for i in range(n)
    ]
    cap = draw(st.one_of(st.none(), st.integers(1, 5000)))
    return AgencyPlan(
        commission_pct=float(tiers[0].pct),
        tiers=tiers if n > 1 or draw(st.booleans()) else [],
        cap=None if cap is None else D(cap),
    )


payments = st.lists(
    st.tuples(
        st.integers(0, 4),  # account
        st.integers(-40, 27),  # paid on: days from the month's first
        st.integers(1, 3_000_000),  # cents
        st.one_of(st.none(), st.integers(0, 60)),  # reversed after (days)
    ),
    max_size=25,
)


@given(plans(), payments, st.integers(-50, 10), st.one_of(st.none(), st.integers(0, 40)))
def test_the_agency_book_gives_the_statement_to_the_cent(
    plan: AgencyPlan, rows: list[tuple[int, int, int, int | None]], start: int, end: int | None
) -> None:
    placed = FIRST + timedelta(days=start)
    ended = None if end is None else placed + timedelta(days=end)
    intervals = {"A0": [Interval(placed, ended)], "A2": [Interval(placed, ended)]}
    paid, reversed_on, recoveries = [], {}, []
    for n, (acct, offset, cents, back) in enumerate(rows):
        p = Paid(f"A{acct}", FIRST + timedelta(days=offset), cents, f"R{n}")
        paid.append(p)
        if back is not None:
            reversed_on[p.reference] = p.paid_on + timedelta(days=back)
        # The product's rule, as the store would give it: paid while the agency held the case.
        held = (
            p.account in intervals and placed <= p.paid_on and (ended is None or p.paid_on <= ended)
        )
        if held:
            recoveries.append(
                commission.Recovery(
                    contract="C1",
                    reference=p.reference,
                    account=p.account,
                    paid_on=p.paid_on,
                    amount=D(cents) / 100,
                    reversed_on=reversed_on.get(p.reference),
                )
            )
    tiers = [Tier(up_to=t.up_to, rate=t.pct / 100) for t in plan.tiers] or [
        Tier(up_to=None, rate=D(str(plan.commission_pct)) / 100)
    ]
    printed = commission.statement(
        agency="AG01",
        month=FIRST,
        terms=[commission.Terms(code="C1", tiers=tuple(tiers), cap=plan.cap)],
        recoveries=recoveries,
    )
    mine = commission_due(
        plan, first=FIRST, last=LAST, payments=paid, reversed_on=reversed_on, intervals=intervals
    )
    assert (mine.total, mine.recovered) == (printed.total, printed.recovered)


def test_the_check_reports_a_month_that_does_not_add_up() -> None:
    good = {
        "agency": "AG01",
        "month": "2026-01",
        "statement_total": "857.75",
        "statement_recovered": "4765.30",
        "expected_total": "857.750",
        "expected_recovered": "4765.3",
    }
    bad = {**good, "month": "2026-02", "statement_total": "857.76"}
    check = invariants.CHECKS["commission_to_the_cent"]
    facts = invariants.DayFacts(day=date(2026, 3, 1), commission=[good, bad])
    found = check(None, facts)  # the check reads no store
    assert [v.key for v in found] == ["AG01 2026-02"]
    assert found[0].example["statement_total"] == "857.76"


def test_a_refused_delivery_breaks_the_round_trip() -> None:
    check = invariants.CHECKS["exchange_round_trip"]
    facts = invariants.DayFacts(
        day=date(2026, 1, 9),
        exchange=[{"what": "delivery refused", "day": "2026-01-09", "error": "checksum"}],
    )
    assert [v.key for v in check(None, facts)] == ["delivery refused 2026-01-09"]
    assert check(None, invariants.DayFacts(day=date(2026, 1, 9))) == []
