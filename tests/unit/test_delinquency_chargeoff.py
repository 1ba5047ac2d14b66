"""Charge-off on the policy's day (pure): every account that reaches the profile's day count is
charged off on the day it reached it; a non-accrual profile charges nothing off."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from arrears.delinquency.chargeoff import charge_off_dpd, charged_off_on
from arrears.delinquency.fees import load_fee_schedule

US = load_fee_schedule("us-card")
CN = load_fee_schedule("cn-card")


def test_the_policy_day_is_the_profiles() -> None:
    assert charge_off_dpd(US) == 180  # FFIEC
    assert charge_off_dpd(load_fee_schedule("generic")) == 180
    assert charge_off_dpd(CN) is None  # non-accrual: stays on the books


@given(
    as_of=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
    dpd=st.integers(min_value=0, max_value=3000),
)
def test_charged_off_on_the_day_it_reached_the_count(as_of: date, dpd: int) -> None:
    day = charged_off_on(US, as_of=as_of, dpd=dpd)
    if dpd < 180:
        assert day is None
        return
    assert day is not None
    assert day <= as_of
    # On that day the account was exactly 180 days past due (dpd falls by one a day back).
    assert dpd - (as_of - day).days == 180
    # Asked again on the charge-off day itself, the rule gives the same day: idempotent.
    assert charged_off_on(US, as_of=day, dpd=180) == day
    # The day before, it was not yet due.
    assert charged_off_on(US, as_of=day - timedelta(days=1), dpd=179) is None


@given(dpd=st.integers(min_value=0, max_value=3000))
def test_non_accrual_never_charges_off(dpd: int) -> None:
    assert charged_off_on(CN, as_of=date(2026, 3, 1), dpd=dpd) is None
