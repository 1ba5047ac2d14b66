"""Properties of the delinquency rules that must hold for every account (hypothesis)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from arrears.delinquency import (
    AccountTerms,
    PaymentFact,
    StatementFact,
    StatusReport,
    age,
    load_fee_schedule,
    owed_breakdown,
)
from arrears.delinquency.fees import FeeSchedule

EPOCH = date(2005, 1, 1)
CENT = Decimal("0.01")
TERMS = AccountTerms(currency="CNY", min_payment_ratio=Decimal("0.1"))

cents = st.integers(min_value=0, max_value=5_000_000).map(lambda c: Decimal(c) / 100)
positive_cents = st.integers(min_value=1, max_value=5_000_000).map(lambda c: Decimal(c) / 100)


@st.composite
def statement(draw: st.DrawFn, cycle_day: int | None = None) -> StatementFact:
    day = draw(st.integers(0, 400)) if cycle_day is None else cycle_day
    cycle = EPOCH + timedelta(days=day)
    return StatementFact(
        cycle_date=cycle,
        due_date=cycle + timedelta(days=draw(st.integers(0, 30))),
        closing_balance=draw(st.integers(-100_000, 5_000_000).map(lambda c: Decimal(c) / 100)),
        minimum_due=draw(cents),
    )


statements = st.lists(statement(), max_size=8, unique_by=lambda s: s.cycle_date)
payments = st.lists(
    st.builds(
        PaymentFact,
        paid_on=st.integers(0, 450).map(lambda d: EPOCH + timedelta(days=d)),
        amount=positive_cents,
        reference=st.text("abc0123", max_size=4),
    ),
    max_size=6,
)
reports = st.lists(
    st.builds(
        StatusReport,
        reported_on=st.integers(0, 400).map(lambda d: EPOCH + timedelta(days=d)),
        status=st.integers(-2, 9),
    ),
    max_size=2,
    unique_by=lambda r: r.reported_on,
)
as_of_days = st.integers(0, 500)


def _before(rs: list[StatusReport], as_of: date) -> list[StatusReport]:
    """Reports in force throughout: a new report may legitimately lower DPD (the system says so)."""
    return [r for r in rs if r.reported_on < as_of]


@given(statements, payments, reports, as_of_days)
def test_paying_the_amount_past_due_brings_dpd_to_zero(
    ss: list[StatementFact], ps: list[PaymentFact], rs: list[StatusReport], day: int
) -> None:
    as_of = EPOCH + timedelta(days=day)
    rs = _before(rs, as_of)
    before = age(statements=ss, payments=ps, as_of=as_of, reports=rs)
    # A report whose instalments are unknown shows nothing past due; any payment cures it.
    pay = before.amount_past_due if before.amount_past_due > 0 else CENT
    after = age(
        statements=ss, payments=[*ps, PaymentFact(as_of, pay, "cure")], as_of=as_of, reports=rs
    )
    assert after.dpd == 0
    assert after.bucket == "M0"
    assert after.amount_past_due == 0


@given(statements, payments, reports, as_of_days, st.integers(1, 400))
def test_dpd_never_falls_as_time_passes_without_a_payment(
    ss: list[StatementFact], ps: list[PaymentFact], rs: list[StatusReport], day: int, wait: int
) -> None:
    first = EPOCH + timedelta(days=day)
    later = first + timedelta(days=wait)
    rs = _before(rs, first)
    ps = [p for p in ps if not first < p.paid_on <= later]
    a1 = age(statements=ss, payments=ps, as_of=first, reports=rs)
    a2 = age(statements=ss, payments=ps, as_of=later, reports=rs)
    assert a2.dpd >= a1.dpd
    if a1.dpd > 0:
        assert a2.dpd == a1.dpd + wait  # still behind, from the same date
        assert a2.oldest_due_date == a1.oldest_due_date


@given(statements, payments, reports, as_of_days, statement())
def test_dpd_never_falls_when_a_statement_is_added(
    ss: list[StatementFact],
    ps: list[PaymentFact],
    rs: list[StatusReport],
    day: int,
    extra: StatementFact,
) -> None:
    as_of = EPOCH + timedelta(days=day)
    rs = _before(rs, as_of)
    # Statements up to a report are summarised by it; a new one arrives after the last report.
    last = max((r.reported_on for r in rs), default=EPOCH - timedelta(days=1))
    if extra.due_date <= last:
        shift = (last - extra.due_date).days + 1
        extra = replace(
            extra,
            cycle_date=extra.cycle_date + timedelta(days=shift),
            due_date=extra.due_date + timedelta(days=shift),
        )
    ss = [s for s in ss if s.cycle_date != extra.cycle_date]
    a1 = age(statements=ss, payments=ps, as_of=as_of, reports=rs)
    a2 = age(statements=[*ss, extra], payments=ps, as_of=as_of, reports=rs)
    assert a2.dpd >= a1.dpd


@given(statements, payments, reports, as_of_days)
def test_past_due_is_oldest_first_and_sums(
    ss: list[StatementFact], ps: list[PaymentFact], rs: list[StatusReport], day: int
) -> None:
    as_of = EPOCH + timedelta(days=day)
    a = age(statements=ss, payments=ps, as_of=as_of, reports=rs)
    assert a.amount_past_due == sum((p.unpaid for p in a.past_due), Decimal(0))
    assert all(p.unpaid > 0 for p in a.past_due)
    assert [p.due_date for p in a.past_due] == sorted(p.due_date for p in a.past_due)
    assert (a.dpd == 0) == (a.oldest_due_date is None)
    assert not a.past_due or a.dpd > 0  # something unpaid past its due date is at least 1 day late
    if a.oldest_due_date is not None:
        assert (as_of - a.oldest_due_date).days == a.dpd


SCHEDULES = {name: load_fee_schedule(name) for name in ("cn-card", "us-card", "generic")}


@given(statements, payments, reports, as_of_days, st.sampled_from(sorted(SCHEDULES)))
@settings(max_examples=150)
def test_breakdown_sums_exactly_to_the_total(
    ss: list[StatementFact], ps: list[PaymentFact], rs: list[StatusReport], day: int, name: str
) -> None:
    as_of = EPOCH + timedelta(days=day)
    b = owed_breakdown(
        terms=TERMS, statements=ss, payments=ps, as_of=as_of, reports=rs, schedule=SCHEDULES[name]
    )
    assert sum((i.amount for i in b.items), Decimal(0)) == b.total_due
    assert b.principal + b.interest + b.fees + b.payments == b.total_due
    assert all(i.amount == i.amount.quantize(CENT) for i in b.items)
    # One fee line per statement past due at the start of the day that fell due after the
    # itemization date (the earlier ones are inside the statement balance).
    start = age(statements=ss, payments=[p for p in ps if p.paid_on < as_of], as_of=as_of,
                reports=rs)  # fmt: skip
    on = b.itemization_date
    assert len([i for i in b.items if i.kind == "fee"]) == len(
        [pd for pd in start.past_due if on is not None and pd.due_date > on]
    )
    assert all(i.explanation["en"] and i.explanation["zh-CN"] for i in b.items)
    assert b.interest >= 0
    assert b.fees >= 0


fee_rules = st.one_of(
    st.fixed_dictionaries(
        {
            "kind": st.just("percent"),
            "label": st.just({"en": "fee", "zh-CN": "费"}),
            "rate": st.integers(0, 100).map(lambda r: Decimal(r) / 1000),
            "floor": st.integers(0, 5000).map(lambda c: Decimal(c) / 100),
        }
    ),
    st.fixed_dictionaries(
        {
            "kind": st.just("fixed"),
            "label": st.just({"en": "fee", "zh-CN": "费"}),
            "amount": st.integers(0, 10000).map(lambda c: Decimal(c) / 100),
            "cap": st.integers(0, 10000).map(lambda c: Decimal(c) / 100),
        }
    ),
)


@given(statements, payments, reports, as_of_days, fee_rules, fee_rules)
def test_fees_never_bear_interest(
    ss: list[StatementFact],
    ps: list[PaymentFact],
    rs: list[StatusReport],
    day: int,
    fee_a: dict[str, object],
    fee_b: dict[str, object],
) -> None:
    # Without the cap on charges (which interest shares with the fees, tested below).
    base = SCHEDULES["cn-card"].model_dump(by_alias=True)
    base["accrual"]["cap_ratio"] = None
    one = FeeSchedule.model_validate({**base, "late_fee": fee_a})
    two = FeeSchedule.model_validate({**base, "late_fee": fee_b})
    as_of = EPOCH + timedelta(days=day)
    kw = {"terms": TERMS, "statements": ss, "payments": ps, "as_of": as_of, "reports": rs}
    b1 = owed_breakdown(schedule=one, **kw)  # type: ignore[arg-type]
    b2 = owed_breakdown(schedule=two, **kw)  # type: ignore[arg-type]
    assert b1.interest == b2.interest
    assert b1.total_due - b1.fees == b2.total_due - b2.fees


accruals = st.fixed_dictionaries(
    {
        "stop": st.one_of(
            st.none(),
            st.fixed_dictionaries(
                {
                    "kind": st.sampled_from(["charge_off", "non_accrual"]),
                    "after_dpd": st.integers(1, 240),
                    "label": st.just({"en": "stop", "zh-CN": "停"}),
                }
            ),
        ),
        "cap_ratio": st.one_of(st.none(), st.integers(0, 300).map(lambda r: Decimal(r) / 100)),
    }
)


def _with_accrual(name: str, accrual: dict[str, object]) -> FeeSchedule:
    return FeeSchedule.model_validate(
        {**SCHEDULES[name].model_dump(by_alias=True), "accrual": accrual}
    )


@given(statements, payments, reports, st.sampled_from(sorted(SCHEDULES)), accruals, st.data())
@settings(max_examples=200)
def test_nothing_accrues_once_the_stop_is_reached(
    ss: list[StatementFact],
    ps: list[PaymentFact],
    rs: list[StatusReport],
    name: str,
    accrual: dict[str, object],
    data: st.DataObject,
) -> None:
    """Invariant 8: past the profile's stop, waiting adds no interest and no fee."""
    schedule = _with_accrual(name, accrual)
    stop = schedule.accrual.stop
    # After every event (statements, payments, reports), so only time passes in between.
    first = EPOCH + timedelta(days=data.draw(st.integers(451, 700)))
    later = first + timedelta(days=data.draw(st.integers(1, 8000)))
    kw = {"terms": TERMS, "statements": ss, "payments": ps, "reports": rs, "schedule": schedule}
    b1 = owed_breakdown(as_of=first, **kw)  # type: ignore[arg-type]
    b2 = owed_breakdown(as_of=later, **kw)  # type: ignore[arg-type]
    if stop is not None and b1.aging.dpd >= stop.after_dpd:
        assert b2.accrual.stopped_on == b1.accrual.stopped_on
        assert (b2.interest, b2.fees, b2.total_due) == (b1.interest, b1.fees, b1.total_due)
        assert any(i.kind == "accrual_stop" for i in b2.items)
    if stop is not None:
        assert b2.accrual.interest_days <= stop.after_dpd
        unbounded = _with_accrual(name, {"stop": None, "cap_ratio": None})
        ref = owed_breakdown(as_of=later, **{**kw, "schedule": unbounded})  # type: ignore[arg-type]
        assert b2.interest <= ref.interest
        assert b2.fees <= ref.fees


@given(statements, payments, reports, as_of_days, st.sampled_from(sorted(SCHEDULES)), accruals)
@settings(max_examples=200)
def test_interest_and_fees_stay_within_the_cap(
    ss: list[StatementFact],
    ps: list[PaymentFact],
    rs: list[StatusReport],
    day: int,
    name: str,
    accrual: dict[str, object],
) -> None:
    """Invariant 8: interest + fees <= cap_ratio x the unpaid principal; the items still sum."""
    schedule = _with_accrual(name, accrual)
    as_of = EPOCH + timedelta(days=day)
    b = owed_breakdown(
        terms=TERMS, statements=ss, payments=ps, as_of=as_of, reports=rs, schedule=schedule
    )
    assert sum((i.amount for i in b.items), Decimal(0)) == b.total_due
    assert b.principal + b.interest + b.fees + b.payments == b.total_due
    assert b.interest >= 0
    assert all(i.amount >= 0 for i in b.items if i.kind == "fee")
    ratio = schedule.accrual.cap_ratio
    if ratio is not None:
        # The unpaid principal at the start of the day: a payment on as_of changes no charge.
        on = b.itemization_date
        before = [p for p in ps if on is not None and on < p.paid_on < as_of]
        unpaid = max(b.principal - sum((p.amount for p in before), Decimal(0)), Decimal(0))
        assert b.interest + b.fees <= (ratio * unpaid).quantize(CENT)
    # Where accrual stopped, one line says so, in both languages, with nothing to pay on it.
    stops = [i for i in b.items if i.kind == "accrual_stop"]
    assert len(stops) == (1 if b.accrual.stopped else 0)
    assert all(i.amount == 0 and i.explanation["en"] and i.explanation["zh-CN"] for i in stops)


# --- the itemization-date model (Reg F 1006.34(c)(2)(vi)-(viii)) --------------------------------

credits = st.lists(
    st.builds(
        PaymentFact,
        paid_on=st.integers(0, 450).map(lambda d: EPOCH + timedelta(days=d)),
        amount=positive_cents,
        reference=st.text("xyz9", max_size=3),
    ),
    max_size=3,
)
ALL_SCHEDULES = st.sampled_from(sorted(SCHEDULES))


@given(statements, payments, credits, reports, as_of_days, ALL_SCHEDULES, accruals)
@settings(max_examples=200)
def test_nothing_dated_on_or_before_the_itemization_date_is_added_on_top(
    ss: list[StatementFact],
    ps: list[PaymentFact],
    cs: list[PaymentFact],
    rs: list[StatusReport],
    day: int,
    name: str,
    accrual: dict[str, object],
) -> None:
    schedule = _with_accrual(name, accrual)
    as_of = EPOCH + timedelta(days=day)
    b = owed_breakdown(terms=TERMS, statements=ss, payments=ps, credits=cs, as_of=as_of,
                       reports=rs, schedule=schedule)  # fmt: skip
    issued = [s for s in ss if s.cycle_date <= as_of]
    if not issued:
        assert b.itemization_date is None
        assert b.total_due == b.payments + b.credits
        return
    latest = max(issued, key=lambda s: s.cycle_date)
    on = latest.cycle_date
    assert (b.itemization_date, b.itemization_amount) == (on, latest.closing_balance)
    # Interest only for days after it, fees only on statements that fell due after it.
    assert b.accrual.interest_days <= (as_of - on).days
    fee_dates = [i.explanation["en"] for i in b.items if i.kind == "fee"]
    due_after = {str(s.due_date) for s in ss if s.due_date > on}
    assert all(any(d in text for d in due_after) for text in fee_dates)
    # What came after it, and only that: payments and credits dated after it.
    paid = sum((p.amount for p in ps if on < p.paid_on <= as_of), Decimal(0))
    credited = sum((c.amount for c in cs if on < c.paid_on <= as_of), Decimal(0))
    assert (b.payments, b.credits) == (-paid, -credited)
    assert b.total_due == b.itemization_amount + b.interest + b.fees - paid - credited
    assert sum((i.amount for i in b.items), Decimal(0)) == b.total_due
    assert b.interest >= 0
    assert b.fees >= 0


@given(statements, payments, credits, reports, as_of_days, ALL_SCHEDULES, accruals)
@settings(max_examples=200)
def test_paying_the_current_amount_leaves_nothing_owed(
    ss: list[StatementFact],
    ps: list[PaymentFact],
    cs: list[PaymentFact],
    rs: list[StatusReport],
    day: int,
    name: str,
    accrual: dict[str, object],
) -> None:
    schedule = _with_accrual(name, accrual)
    as_of = EPOCH + timedelta(days=day)
    kw = {"terms": TERMS, "statements": ss, "credits": cs, "as_of": as_of, "reports": rs,
          "schedule": schedule}  # fmt: skip
    b = owed_breakdown(payments=ps, **kw)  # type: ignore[arg-type]
    # A payment dated on the statement's own cycle date is inside its closing balance (the
    # model's cut-off), so the payoff is paid on a later day.
    if b.total_due <= 0 or as_of == b.itemization_date:
        return
    paid = owed_breakdown(payments=[*ps, PaymentFact(as_of, b.total_due, "payoff")], **kw)  # type: ignore[arg-type]
    assert paid.total_due == 0
    assert (paid.interest, paid.fees) == (b.interest, b.fees)


@given(statements, payments, credits, reports, st.integers(0, 60), ALL_SCHEDULES, accruals)
@settings(max_examples=200)
def test_with_nothing_after_the_statement_the_total_is_its_closing_balance(
    ss: list[StatementFact],
    ps: list[PaymentFact],
    cs: list[PaymentFact],
    rs: list[StatusReport],
    wait: int,
    name: str,
    accrual: dict[str, object],
) -> None:
    if not ss:
        return
    schedule = _with_accrual(name, accrual)
    latest = max(ss, key=lambda s: s.cycle_date)
    on = latest.cycle_date
    # Nothing received after the statement; on its own date nothing can have accrued.
    ps = [p for p in ps if p.paid_on <= on]
    cs = [c for c in cs if c.paid_on <= on]
    kw = {"terms": TERMS, "statements": ss, "payments": ps, "credits": cs, "reports": rs,
          "schedule": schedule}  # fmt: skip
    b = owed_breakdown(as_of=on, **kw)  # type: ignore[arg-type]
    assert b.total_due == latest.closing_balance
    assert [i.amount for i in b.items if i.amount != 0] in ([latest.closing_balance], [])
    # Later, while the account stays current, nothing accrues either.
    later = owed_breakdown(as_of=on + timedelta(days=wait), **kw)  # type: ignore[arg-type]
    if later.aging.dpd == 0:
        assert later.total_due == latest.closing_balance
