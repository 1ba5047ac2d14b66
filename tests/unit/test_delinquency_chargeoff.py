"""Charge-off on the policy's day (pure): every account that reaches the profile's day count is
charged off on the day it reached it; a non-accrual profile charges nothing off."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
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


@settings(max_examples=60)
@given(
    as_of=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 1, 1)),
    book=st.lists(st.integers(min_value=0, max_value=400), min_size=1, max_size=40),
    days=st.integers(min_value=0, max_value=45),
)
def test_the_cycle_charges_off_every_account_that_reaches_the_day(
    as_of: date, book: list[int], days: int
) -> None:
    """The cycle's set-based selection (``engine.service.charge_offs`` over the night's
    decisions) against the rule: run night after night on a book that only ages, every account
    at or past 180 dpd is charged off, none before, each on the day it reached 180, and the day
    never moves on a later night."""
    import duckdb

    from arrears.engine.service import charge_offs

    con = duckdb.connect()
    con.execute(
        "CREATE TABLE decisions (as_of DATE, account_id VARCHAR, customer_id VARCHAR, "
        "currency VARCHAR, dpd INTEGER, balance DECIMAL(18,2), interest DECIMAL(18,2), "
        "fees DECIMAL(18,2))"
    )
    first: dict[str, date] = {}
    for night in range(days + 1):
        day = as_of + timedelta(days=night)
        con.executemany(
            "INSERT INTO decisions VALUES (?, ?, ?, 'USD', ?, 100.00, 1.00, 2.00)",
            [[day, f"A{i:03d}", f"C{i:03d}", dpd + night] for i, dpd in enumerate(book)],
        )
        table = charge_offs(con, day, US)
        assert table is not None
        got = {r["account_ref"]: r for r in table.to_pylist()}
        reached = {f"A{i:03d}": dpd + night for i, dpd in enumerate(book) if dpd + night >= 180}
        assert set(got) == set(reached)
        for ref, row in got.items():
            assert row["charged_off_on"] == charged_off_on(US, as_of=day, dpd=reached[ref])
            assert first.setdefault(ref, row["charged_off_on"]) == row["charged_off_on"]
            assert (row["principal"], row["interest"], row["fees"]) == (
                Decimal("100.00"), Decimal("1.00"), Decimal("2.00"))  # fmt: skip
    # Every account that reached 180 within the nights was charged off on that day.
    for i, dpd in enumerate(book):
        if dpd + days >= 180:
            assert first[f"A{i:03d}"] == as_of + timedelta(days=180 - dpd)
        else:
            assert f"A{i:03d}" not in first
