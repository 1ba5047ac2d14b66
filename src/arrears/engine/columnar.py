"""Aging, fees and interest for the whole portfolio as Ibis expressions (docs/delinquency.md).

The same rules as ``arrears.delinquency`` (one account at a time), written set-based: window
sums replace the oldest-first loop, so DuckDB and Spark run them as one query plan. A test
compares both implementations account by account, to the cent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from arrears.delinquency.buckets import DEFAULT_BUCKETS, BucketScheme
from arrears.delinquency.fees import FeeSchedule, PercentFee
from arrears.kit.money import _MINOR_UNITS

MONEY = dt.Decimal(18, 2)
# Rates and operands: exact to 8 places (fees need 4, daily interest 6). DuckDB multiplies at
# scale 8 + 8 in 128 bits (amounts to 10^22); Spark keeps 6 places of such a product.
WORK = dt.Decimal(38, 8)
# Products are cast to a different type than their operands: Ibis drops a cast to the type it
# already infers, and the engines would then chain scales (8 + 8 + 8) until DECIMAL overflows.
PRODUCT = dt.Decimal(38, 9)
DAYS_PER_CYCLE = 30  # a reported status of k cycles late is 30 k days (same as the pure rules)
ZERO_MINOR_UNIT = tuple(sorted(c for c, u in _MINOR_UNITS.items() if u == 0))


@dataclass(frozen=True)
class Snapshot:
    """The warehouse tables the cycle reads (column names as in docs/data-formats.md)."""

    cardholders: ir.Table
    accounts: ir.Table
    statements: ir.Table
    payments: ir.Table
    delinquency: ir.Table


def dec(value: Decimal | int | str) -> ir.DecimalScalar:
    """A decimal literal of the working type, so both engines do exact decimal arithmetic."""
    return ibis.literal(Decimal(str(value)), type=WORK)


def work(value: ir.Value) -> ir.DecimalValue:
    return value.cast(WORK)


def mul(a: ir.Value, b: ir.Value) -> ir.DecimalValue:
    """An exact product in the working type (cast back so chained products cannot overflow)."""
    return (work(a) * work(b)).cast(PRODUCT)


def money(value: ir.Value) -> ir.DecimalValue:
    return value.cast(MONEY)


def round_half_even(x: ir.Value, currency: ir.StringValue) -> ir.DecimalValue:
    """Round to the currency's minor unit, half to even (SQL ROUND is half away from zero)."""
    zero_minor = currency.upper().isin(ZERO_MINOR_UNIT) if ZERO_MINOR_UNIT else ibis.literal(False)
    factor = zero_minor.ifelse(dec(1), dec(100))
    unit = zero_minor.ifelse(dec(1), dec("0.01"))
    xw = work(x)
    v = mul(xw.abs(), factor)
    f = v.floor().cast("int64")
    frac = work(v - work(f))
    half = dec("0.5")
    up = ibis.cases((frac > half, 1), (frac < half, 0), else_=f % 2)
    units = mul(f + up, unit)
    return money((xw < dec(0)).ifelse(work(dec(0) - units), units))


def days_between(later: ir.DateValue, earlier: ir.DateValue) -> ir.IntegerValue:
    return later.delta(earlier, unit="day").cast("int32")


def bucket_expr(dpd: ir.IntegerValue, scheme: BucketScheme = DEFAULT_BUCKETS) -> ir.StringValue:
    """The bucket of ``dpd`` as one CASE chain over the scheme's bands."""
    *closed, last = scheme.buckets
    return ibis.cases(
        *((dpd <= b.max_dpd, b.name) for b in closed if b.max_dpd is not None),
        else_=last.name,
    )


def _fee(unpaid: ir.DecimalValue, currency: ir.StringValue, schedule: FeeSchedule) -> Any:
    rule = schedule.late_fee
    if isinstance(rule, PercentFee):
        fee = ibis.greatest(
            round_half_even(mul(unpaid, dec(rule.rate)), currency), money(dec(rule.floor))
        )
        if rule.cap is not None:
            fee = ibis.least(fee, money(dec(rule.cap)))
    else:
        fee = ibis.least(money(dec(rule.amount)), unpaid)
        if rule.cap is not None:
            fee = ibis.least(fee, money(dec(rule.cap)))
    return (unpaid > 0).ifelse(round_half_even(money(fee), currency), money(dec(0)))


def _interest(
    principal: ir.DecimalValue, dpd: ir.IntegerValue, currency: ir.StringValue, s: FeeSchedule
) -> ir.DecimalValue:
    rule = s.interest
    if rule.daily_rate is not None:
        raw = mul(mul(principal, dec(rule.daily_rate)), dpd)
    else:
        assert rule.annual_rate is not None
        # Multiply first, divide once, as the pure rule does; the division itself is inexact on
        # DuckDB (DOUBLE) far below a cent, which only matters at an exact half-cent tie.
        raw = work(mul(mul(principal, dec(rule.annual_rate)), dpd) / dec(rule.days_in_year))
    accrued = round_half_even(raw, currency)
    return ((principal > 0) & (dpd > 0)).ifelse(accrued, money(dec(0)))


def age_and_price(
    snap: Snapshot,
    *,
    as_of: date,
    schedule: FeeSchedule,
    buckets: BucketScheme = DEFAULT_BUCKETS,
) -> ir.Table:
    """One row per account: dpd, bucket, amount past due, fees, interest, principal, total due."""
    asof = ibis.literal(as_of, type="date")
    zero = money(dec(0))
    acc = snap.accounts.select("account_id", "customer_id", "currency")

    # The latest report on or before as_of (the system of record at that date).
    rep = snap.delinquency.filter(snap.delinquency.reported_on <= asof)
    last = rep.group_by("account_id").aggregate(cut=rep.reported_on.max())
    rep_last = rep.join(
        last, [rep.account_id == last.account_id, rep.reported_on == last.cut]
    ).select(rep.account_id, last.cut, status=rep.status.cast("int32"))

    issued = snap.statements.filter(snap.statements.cycle_date <= asof)
    latest_cycle = issued.group_by("account_id").aggregate(latest_cycle=issued.cycle_date.max())
    latest = issued.join(
        latest_cycle,
        [
            issued.account_id == latest_cycle.account_id,
            issued.cycle_date == latest_cycle.latest_cycle,
        ],
    ).select(issued.account_id, latest_cycle.latest_cycle, latest_balance=issued.closing_balance)

    ctx = (
        acc.left_join(rep_last, acc.account_id == rep_last.account_id)
        .select(acc, rep_last.cut, rep_last.status)
        .left_join(latest, ibis._.account_id == latest.account_id)
        .select(ibis._.account_id, ibis._.customer_id, ibis._.currency, ibis._.cut,
                ibis._.status, latest.latest_cycle, latest.latest_balance)
    )  # fmt: skip

    pay = snap.payments.filter(snap.payments.paid_on <= asof)
    pj = pay.join(ctx, pay.account_id == ctx.account_id).select(
        pay.account_id, pay.paid_on, pay.amount, ctx.cut, ctx.latest_cycle, ctx.currency
    )
    paid = pj.group_by("account_id").aggregate(
        paid_after=(pj.cut.isnull() | (pj.paid_on > pj.cut)).ifelse(pj.amount, zero).sum(),
        paid_since=(pj.latest_cycle.isnull() | (pj.paid_on > pj.latest_cycle))
        .ifelse(round_half_even(pj.amount, pj.currency), zero)
        .sum(),
    )
    ctx = ctx.left_join(paid, ctx.account_id == paid.account_id).select(
        ctx,
        paid_after=money(paid.paid_after.fill_null(zero)),
        paid_since=money(paid.paid_since.fill_null(zero)),
    )

    # Statements with their account's context; the reported set = the last k due by the report.
    st = snap.statements.join(ctx, snap.statements.account_id == ctx.account_id).select(
        snap.statements.account_id,
        snap.statements.cycle_date,
        snap.statements.due_date,
        snap.statements.minimum_due,
        ctx.cut,
        ctx.status,
        ctx.paid_after,
        ctx.currency,
    )
    by_due_desc = ibis.window(
        group_by=[st.account_id, st.due_date <= st.cut],
        order_by=[st.due_date.desc(), st.cycle_date.desc()],
    )
    late_report = st.status.notnull() & (st.status >= 1)
    st = st.mutate(
        in_report=late_report
        & (st.due_date <= st.cut)
        & ((ibis.row_number().over(by_due_desc) + 1) <= st.status)
    )
    owed = st.group_by("account_id").aggregate(owed=st.in_report.ifelse(st.minimum_due, zero).sum())
    ctx = ctx.left_join(owed, ctx.account_id == owed.account_id).select(
        ctx, owed=money(owed.owed.fill_null(zero))
    )
    ctx = ctx.mutate(
        late=ctx.status.notnull() & (ctx.status >= 1),
        covered=ctx.status.notnull()
        & (ctx.status >= 1)
        & (ctx.paid_after > 0)
        & (ctx.paid_after >= ctx.owed),
    )
    ctx = ctx.mutate(uncovered=ctx.late & ~ctx.covered)
    # What the window of later statements is paid with (docs/delinquency.md, reported path).
    ctx = ctx.mutate(
        window_paid=ibis.cases(
            (ctx.uncovered, zero),
            (ctx.covered, money(ctx.paid_after - ctx.owed)),
            else_=ctx.paid_after,
        )
    )

    st = st.join(ctx, st.account_id == ctx.account_id).select(st, ctx.uncovered, ctx.window_paid)
    grp = ibis.cases(
        (st.uncovered & st.in_report, "R"),
        ((st.cut.isnull() | (st.due_date > st.cut)) & (st.due_date < asof), "W"),
        else_="-",
    )
    st = st.mutate(grp=grp).filter(ibis._.grp != "-")
    st = st.mutate(group_paid=(st.grp == "R").ifelse(st.paid_after, st.window_paid))
    running = ibis.window(
        group_by=[st.account_id, st.grp],
        order_by=[st.due_date, st.cycle_date],
        preceding=None,
        following=0,
    )
    st = st.mutate(cum_min=st.minimum_due.sum().over(running))
    st = st.mutate(
        unpaid=money(
            (st.cum_min > st.group_paid).ifelse(
                ibis.least(st.minimum_due, st.cum_min - st.group_paid), zero
            )
        )
    )
    st = st.filter(st.unpaid > 0)
    st = st.mutate(fee=_fee(st.unpaid, st.currency, schedule))
    past = st.group_by("account_id").aggregate(
        amount_past_due=st.unpaid.sum(),
        fees=st.fee.sum(),
        oldest_due=st.due_date.min(),
        past_due_count=st.count(),
    )

    out = ctx.left_join(past, ctx.account_id == past.account_id).select(
        ctx.account_id,
        ctx.customer_id,
        ctx.currency,
        ctx.uncovered,
        ctx.cut,
        ctx.status,
        ctx.latest_balance,
        ctx.paid_since,
        amount_past_due=money(past.amount_past_due.fill_null(zero)),
        fees=money(past.fees.fill_null(zero)),
        oldest_due=past.oldest_due,
    )
    dpd = ibis.cases(
        (out.uncovered, out.status * DAYS_PER_CYCLE + days_between(asof, out.cut)),
        (out.oldest_due.notnull(), days_between(asof, out.oldest_due)),
        else_=0,
    ).cast("int32")
    principal = money(
        out.latest_balance.isnull().ifelse(zero, round_half_even(out.latest_balance, out.currency))
    )
    out = out.mutate(dpd=dpd, principal=principal)
    unpaid_principal = money(ibis.greatest(out.principal - out.paid_since, zero))
    out = out.mutate(
        bucket=bucket_expr(out.dpd, buckets),
        balance=unpaid_principal,
        interest=_interest(unpaid_principal, out.dpd, out.currency, schedule),
    )
    return out.select(
        "account_id",
        "customer_id",
        "currency",
        "dpd",
        "bucket",
        amount_due=out.amount_past_due,
        balance=out.balance,
        fees=out.fees,
        interest=out.interest,
        total_due=money(out.principal - out.paid_since + out.interest + out.fees),
    )
