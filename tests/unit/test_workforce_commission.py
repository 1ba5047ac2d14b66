"""Agency commission rules (pure): the statement adds up to recovered x rates to the cent, tiers
and the cap at their edges, clawback of reversed payments, contract overlap, closed months."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from arrears.kit.money import ZERO, round_money
from arrears.workforce import commission as cm
from arrears.workforce.compensation import Tier

D = Decimal
MONTH = date(2026, 3, 1)
amounts = st.decimals(min_value=D("0.01"), max_value=D("200000"), places=2)
rates = st.decimals(min_value=D("0"), max_value=D("0.5"), places=4)


def rec(amount: Decimal, day: int = 5, ref: str = "P1", **kw: object) -> cm.Recovery:
    return cm.Recovery(
        contract=str(kw.get("contract", "C1")),
        reference=ref,
        account="A1",
        paid_on=kw.get("paid_on", MONTH.replace(day=day)),  # type: ignore[arg-type]
        amount=amount,
        reversed_on=kw.get("reversed_on"),  # type: ignore[arg-type]
    )


def one_rate(rate: Decimal, cap: Decimal | None = None) -> cm.Terms:
    return cm.Terms(code="C1", tiers=(Tier(up_to=None, rate=rate),), cap=cap)


def total_of(s: cm.CommissionStatement) -> Decimal:
    return sum((line.amount for line in s.lines if line.amount is not None), ZERO)


@given(st.lists(amounts, min_size=1, max_size=30), rates)
def test_one_rate_pays_recovered_times_rate_to_the_cent(paid: list[Decimal], rate: Decimal) -> None:
    recs = [rec(a, day=1 + i % 28, ref=f"P{i}") for i, a in enumerate(paid)]
    s = cm.statement(agency="AG", month=MONTH, terms=[one_rate(rate)], recoveries=recs)
    assert s.recovered == sum(paid, ZERO)
    assert s.total == round_money(sum(paid, ZERO) * rate) == total_of(s)
    # Every payment is shown on its own line.
    assert sum(line.label.startswith("C1: paid") for line in s.lines) == len(paid)


@given(amounts, amounts, rates, rates)
def test_marginal_tiers_split_at_the_bound(
    recovered: Decimal, bound: Decimal, low: Decimal, high: Decimal
) -> None:
    terms = cm.Terms(code="C1", tiers=(Tier(up_to=bound, rate=low), Tier(up_to=None, rate=high)))
    s = cm.statement(agency="AG", month=MONTH, terms=[terms], recoveries=[rec(recovered)])
    below = min(recovered, bound)
    above = max(recovered - bound, ZERO)
    expected = round_money(below * low) + (round_money(above * high) if above else ZERO)
    assert s.total == expected == total_of(s)
    # Exactly at the bound nothing is paid at the higher rate.
    at = cm.statement(agency="AG", month=MONTH, terms=[terms], recoveries=[rec(bound)])
    assert at.total == round_money(bound * low)


@given(st.lists(amounts, min_size=1, max_size=10), rates, amounts)
def test_the_cap_is_never_exceeded_and_only_bites_above_it(
    paid: list[Decimal], rate: Decimal, cap: Decimal
) -> None:
    recs = [rec(a, ref=f"P{i}") for i, a in enumerate(paid)]
    s = cm.statement(agency="AG", month=MONTH, terms=[one_rate(rate, cap)], recoveries=recs)
    uncapped = round_money(sum(paid, ZERO) * rate)
    assert s.total == min(uncapped, cap) == total_of(s)
    assert any(line.label == "C1 cap" for line in s.lines) == (uncapped > cap)


@given(amounts, amounts, rates)
def test_clawback_takes_back_the_commission_of_a_payment_reversed_later(
    earlier: Decimal, now: Decimal, rate: Decimal
) -> None:
    reversed_later = rec(
        earlier, ref="OLD", paid_on=date(2026, 2, 20), reversed_on=date(2026, 3, 9)
    )
    fresh = rec(now, ref="NEW")
    s = cm.statement(
        agency="AG", month=MONTH, terms=[one_rate(rate)], recoveries=[reversed_later, fresh]
    )
    assert s.recovered == now
    assert s.total == round_money(now * rate) - round_money(earlier * rate) == total_of(s)
    # February's statement still pays it: it was not reversed by the end of February.
    feb = cm.statement(
        agency="AG", month=date(2026, 2, 1), terms=[one_rate(rate)], recoveries=[reversed_later]
    )
    assert feb.total == round_money(earlier * rate)


def test_a_payment_reversed_in_its_own_month_earns_nothing() -> None:
    r = rec(D("1000.00"), reversed_on=date(2026, 3, 20))
    s = cm.statement(agency="AG", month=MONTH, terms=[one_rate(D("0.2"))], recoveries=[r])
    assert s.lines == []
    assert s.total == ZERO
    april = cm.statement(
        agency="AG", month=date(2026, 4, 1), terms=[one_rate(D("0.2"))], recoveries=[r]
    )
    assert april.total == ZERO  # nothing was paid on it, so nothing is clawed back


@given(
    st.integers(0, 60), st.integers(0, 60), st.integers(0, 60), st.integers(0, 60), st.booleans()
)
def test_overlap_needs_a_shared_bucket_level_and_day(
    a0: int, alen: int, b0: int, blen: int, share_bucket: bool
) -> None:
    base = date(2026, 1, 1)
    a = cm.Scope(
        "A",
        frozenset({"M4", "M5"}),
        frozenset({"outsource"}),
        base + timedelta(a0),
        base + timedelta(a0 + alen),
    )
    b_buckets = frozenset({"M5"}) if share_bucket else frozenset({"M6"})
    b = cm.Scope(
        "B", b_buckets, frozenset({"outsource"}), base + timedelta(b0), base + timedelta(b0 + blen)
    )
    days_a = {a0 + i for i in range(alen + 1)}
    days_b = {b0 + i for i in range(blen + 1)}
    assert (cm.overlapping(b, [a]) == ["A"]) == (share_bucket and bool(days_a & days_b))
    open_ended = cm.Scope("C", b_buckets, frozenset({"outsource"}), base, None)
    assert (cm.overlapping(open_ended, [a]) == ["A"]) == share_bucket


def test_a_month_is_closed_the_day_after_its_last() -> None:
    assert not cm.month_closed(date(2026, 2, 1), date(2026, 2, 28))
    assert cm.month_closed(date(2026, 2, 1), date(2026, 3, 1))
    assert not cm.month_closed(date(2026, 12, 1), date(2026, 12, 31))
    assert cm.month_closed(date(2026, 12, 1), date(2027, 1, 1))
