"""Aging, fees and interest for the whole portfolio as Ibis expressions (docs/delinquency.md).

The same rules as ``arrears.delinquency`` (one account at a time), written set-based: window
sums replace the oldest-first loop, so DuckDB and Spark run them as one query plan. A test
compares both implementations account by account, to the cent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

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


def money(value: ir.Value) -> ir.DecimalValue:
    return value.cast(MONEY)


def cents(x: ir.Value) -> ir.IntegerValue:
    """A money value (2 places) as an exact integer number of cents."""
    return (money(x) * 100).cast("int64")


def rational(rate: Decimal) -> tuple[int, int]:
    """``rate`` as numerator / power of ten, e.g. 0.0005 -> (5, 10000)."""
    exponent = rate.normalize().as_tuple().exponent
    places = max(0, -int(exponent))
    return int(rate.scaleb(places)), 10**places


def rounded(
    numerator: ir.IntegerValue, currency: ir.StringValue, denominator: int = 1
) -> ir.DecimalValue:
    """numerator / denominator cents, half-even to the currency's unit, as one flat expression.

    For shallow numerators (an amount in cents, cents x rate x days); nested roundings use
    ``with_rounded``, whose projections keep the plan from repeating the argument.
    """
    zero_minor = currency.upper().isin(ZERO_MINOR_UNIT) if ZERO_MINOR_UNIT else ibis.literal(False)
    unit = zero_minor.ifelse(100, 1)
    n = numerator.abs()
    d = unit * denominator
    r = n % d
    q = ((n - r) / d).cast("int64")
    up = ibis.cases((r * 2 > d, 1), (r * 2 < d, 0), else_=q % 2)
    c = (q + up) * unit
    signed = (numerator < 0).ifelse(-c, c)
    return money(
        (signed.cast(MONEY) * ibis.literal(Decimal("0.01"), type=MONEY)).cast(dt.Decimal(19, 2))
    )


def with_rounded(
    t: ir.Table, name: str, numerator: ir.IntegerValue, denominator: int = 1
) -> ir.Table:
    """Add ``name`` = numerator / denominator cents, rounded half to even to the currency's unit.

    Integer arithmetic, exact on both engines: SQL ROUND is half away from zero and DuckDB's
    round_even goes through DOUBLE. The quotient is exact while the numerator stays below 2^53
    (e.g. 18 billion in principal at 1,000 days of 0.05%). Each step is its own projection:
    inlined, the argument would repeat in every branch and the plan would balloon.
    """
    zero_minor = (
        t.currency.upper().isin(ZERO_MINOR_UNIT) if ZERO_MINOR_UNIT else ibis.literal(False)
    )
    unit = zero_minor.ifelse(100, 1)  # cents per minor unit of the currency
    t = t.mutate(_rn=numerator.abs(), _rneg=numerator < 0, _rd=unit * denominator, _ru=unit)
    t = t.mutate(_rr=t._rn % t._rd)
    t = t.mutate(_rq=((t._rn - t._rr) / t._rd).cast("int64"))
    up = ibis.cases((t._rr * 2 > t._rd, 1), (t._rr * 2 < t._rd, 0), else_=t._rq % 2)
    t = t.mutate(_rc=(t._rq + up) * t._ru)
    signed = t._rneg.ifelse(-t._rc, t._rc)
    as_money = (signed.cast(MONEY) * ibis.literal(Decimal("0.01"), type=MONEY)).cast(
        dt.Decimal(19, 2)
    )
    return t.mutate(**{name: money(as_money)}).drop(
        "_rn", "_rneg", "_rd", "_ru", "_rr", "_rq", "_rc"
    )


def date_value(as_of: date | ir.DateValue) -> ir.DateValue:
    """The as-of date in a plan: a literal for a date, else the expression the backend gave (a
    bound parameter, so one compiled plan serves every date: engine/backends.py)."""
    return ibis.literal(as_of, type="date") if isinstance(as_of, date) else as_of


def days_between(later: ir.DateValue, earlier: ir.DateValue) -> ir.IntegerValue:
    return later.delta(earlier, unit="day").cast("int32")


def bucket_expr(dpd: ir.IntegerValue, scheme: BucketScheme = DEFAULT_BUCKETS) -> ir.StringValue:
    """The bucket of ``dpd`` as one CASE chain over the scheme's bands."""
    *closed, last = scheme.buckets
    return ibis.cases(
        *((dpd <= b.max_dpd, b.name) for b in closed if b.max_dpd is not None),
        else_=last.name,
    )


def with_fee(t: ir.Table, schedule: FeeSchedule) -> ir.Table:
    """Add ``fee``: the late/breach fee of each past-due statement (column ``unpaid``)."""
    rule = schedule.late_fee
    if isinstance(rule, PercentFee):
        num, den = rational(rule.rate)
        t = with_rounded(t, "_raw_fee", cents(t.unpaid) * num, den)
        fee = ibis.greatest(t._raw_fee, money(dec(rule.floor)))
        if rule.cap is not None:
            fee = ibis.least(fee, money(dec(rule.cap)))
        t = t.mutate(_fee=money(fee)).drop("_raw_fee")
    else:
        fee = ibis.least(money(dec(rule.amount)), t.unpaid)
        if rule.cap is not None:
            fee = ibis.least(fee, money(dec(rule.cap)))
        t = t.mutate(_fee=money(fee))
    # Rounded again: a fee limited to an unpaid amount finer than the currency's unit (JPY).
    t = with_rounded(t, "_fee_rounded", cents(t._fee)).drop("_fee")
    return t.mutate(fee=(t.unpaid > 0).ifelse(t._fee_rounded, money(dec(0)))).drop("_fee_rounded")


def with_interest(t: ir.Table, schedule: FeeSchedule) -> ir.Table:
    """Add ``interest`` on the unpaid principal (column ``balance``) for the days past due
    (``dpd``) after the itemization date (``since`` days before as_of), none after the
    profile's stop (charge-off / non-accrual): ``FeeSchedule.interest_days``."""
    rule = schedule.interest
    days = t.dpd.cast("int64")
    if schedule.accrual.stop is not None:
        days = ibis.least(days, schedule.accrual.stop.after_dpd).cast("int64")
    before = ibis.greatest(t.dpd.cast("int64") - t.since.cast("int64"), 0)
    days = ibis.greatest(days - before, 0).cast("int64")
    if rule.daily_rate is not None:
        num, den = rational(rule.daily_rate)
    else:
        assert rule.annual_rate is not None
        # principal x rate x days / days_in_year, as one exact fraction, rounded once.
        num, den = rational(rule.annual_rate)
        den *= rule.days_in_year
    accrued = rounded(cents(t.balance) * num * days, t.currency, den)
    return t.mutate(interest=((t.balance > 0) & (days > 0)).ifelse(accrued, money(dec(0))))


def with_charges_cap(t: ir.Table, schedule: FeeSchedule) -> ir.Table:
    """Cap ``interest`` + ``fees`` at ``cap_ratio`` x the unpaid principal (``balance``).

    Fees keep their place, interest gets what is left (the pure rules do the same).
    """
    ratio = schedule.accrual.cap_ratio
    if ratio is None:
        return t
    num, den = rational(ratio)
    t = with_rounded(t, "_cap", cents(t.balance) * num, den)
    t = t.mutate(fees=money(ibis.least(t.fees, t._cap)))
    return t.mutate(interest=money(ibis.least(t.interest, t._cap - t.fees))).drop("_cap")


def _past_due(
    st: ir.Table, asof: ir.DateValue, paid_after: str, window_paid: str, uncovered: str
) -> ir.Table:
    """The past-due statements (``unpaid`` > 0) when the payments ``paid_after`` the report
    are applied oldest first: the pure rules' ``age``, set-based."""
    zero = money(dec(0))
    st = st.mutate(uncovered=st[uncovered])
    grp = ibis.cases(
        (st.uncovered & st.in_report, "R"),
        ((st.cut.isnull() | (st.due_date > st.cut)) & (st.due_date < asof), "W"),
        else_="-",
    )
    st = st.mutate(grp=grp).filter(ibis._.grp != "-")
    st = st.mutate(group_paid=(st.grp == "R").ifelse(st[paid_after], st[window_paid]))
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
    return st.filter(st.unpaid > 0)


def _covered(ctx: ir.Table, paid_after: str, suffix: str) -> ir.Table:
    """Whether the payments ``paid_after`` a late report cover it, and what pays the later
    statements (docs/delinquency.md, reported path)."""
    zero = money(dec(0))
    paid = ctx[paid_after]
    covered = ctx.late & (paid > 0) & (paid >= ctx.owed)
    uncovered = ctx.late & ~covered
    return ctx.mutate(
        **{
            f"uncovered{suffix}": uncovered,
            f"window_paid{suffix}": ibis.cases(
                (uncovered, zero), (covered, money(paid - ctx.owed)), else_=paid
            ),
        }
    )


def _dpd(
    uncovered: ir.BooleanValue,
    status: ir.IntegerValue,
    cut: ir.DateValue,
    oldest_due: ir.DateValue,
    asof: ir.DateValue,
) -> ir.IntegerValue:
    """Days past due: the report's on an uncovered late report, else from the oldest due."""
    return ibis.cases(
        (uncovered, status * DAYS_PER_CYCLE + days_between(asof, cut)),
        (oldest_due.notnull(), days_between(asof, oldest_due)),
        else_=0,
    ).cast("int32")


def age_and_price(
    snap: Snapshot,
    *,
    as_of: date | ir.DateValue,
    schedule: FeeSchedule,
    buckets: BucketScheme = DEFAULT_BUCKETS,
) -> ir.Table:
    """One row per account: dpd, bucket, amount past due, and the itemization-date pricing:
    the latest statement's closing balance plus the interest and fees since its cycle date,
    less the payments since (``owed_breakdown``, set-based); ``collectible`` is past due by
    more than the profile's small balance: worth a case.

    Charges are priced from the position at the start of as_of (payments before it), as the
    pure rules do: a payment on as_of is deducted but changes no charge. ``balance`` is the
    unpaid principal they run on.
    """
    asof = date_value(as_of)
    zero = money(dec(0))
    acc = snap.accounts.select("account_id", "customer_id", "currency")

    # The latest report on or before as_of (the system of record at that date).
    rep = snap.delinquency.filter(snap.delinquency.reported_on <= asof)
    rep_last = rep.group_by("account_id").aggregate(
        cut=rep.reported_on.max(), status=rep.status.argmax(rep.reported_on).cast("int32")
    )

    issued = snap.statements.filter(snap.statements.cycle_date <= asof)
    latest = issued.group_by("account_id").aggregate(
        latest_cycle=issued.cycle_date.max(),
        latest_balance=issued.closing_balance.argmax(issued.cycle_date),
    )

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
    after_cut = pj.cut.isnull() | (pj.paid_on > pj.cut)
    since = pj.latest_cycle.isnull() | (pj.paid_on > pj.latest_cycle)
    today = pj.paid_on == asof
    paid_cents = rounded(cents(pj.amount), pj.currency)
    paid = pj.group_by("account_id").aggregate(
        paid_after=after_cut.ifelse(pj.amount, zero).sum(),
        paid_after_s=(after_cut & ~today).ifelse(pj.amount, zero).sum(),
        paid_since=since.ifelse(paid_cents, zero).sum(),
        paid_since_s=(since & ~today).ifelse(paid_cents, zero).sum(),
    )
    ctx = ctx.left_join(paid, ctx.account_id == paid.account_id).select(
        ctx,
        paid_after=money(paid.paid_after.fill_null(zero)),
        paid_after_s=money(paid.paid_after_s.fill_null(zero)),
        paid_since=money(paid.paid_since.fill_null(zero)),
        paid_since_s=money(paid.paid_since_s.fill_null(zero)),
    )

    # Statements with their account's context; the reported set = the last k due by the report.
    st = snap.statements.join(ctx, snap.statements.account_id == ctx.account_id).select(
        snap.statements.account_id,
        snap.statements.cycle_date,
        snap.statements.due_date,
        snap.statements.minimum_due,
        ctx.cut,
        ctx.status,
        ctx.currency,
        ctx.latest_cycle,
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
    ctx = ctx.mutate(late=ctx.status.notnull() & (ctx.status >= 1))
    # Two positions: the end of as_of (aging: dpd, bucket, amount past due) and its start,
    # before the day's payments (pricing: the fees and the interest days).
    ctx = _covered(_covered(ctx, "paid_after", ""), "paid_after_s", "_s")

    st = st.join(ctx, st.account_id == ctx.account_id).select(
        st, ctx.uncovered, ctx.window_paid, ctx.uncovered_s, ctx.window_paid_s,
        ctx.paid_after, ctx.paid_after_s, differs=ctx.paid_after != ctx.paid_after_s,
    )  # fmt: skip
    end = _past_due(st, asof, "paid_after", "window_paid", "uncovered")
    past = end.group_by("account_id").aggregate(
        amount_past_due=end.unpaid.sum(), oldest_due=end.due_date.min()
    )
    # Only accounts paid on as_of (after their report) start the day elsewhere: the rest reuse
    # the end-of-day rows, so the second aging costs what the day's payers cost.
    start = _past_due(
        st.filter(st.differs), asof, "paid_after_s", "window_paid_s", "uncovered_s"
    ).union(end.filter(~end.differs))
    # Fees since the itemization date: statements that fell due after it (one due on or
    # before it is inside the closing balance already).
    if schedule.accrual.stop is None:
        fee_rows = with_fee(start.filter(start.due_date > start.latest_cycle), schedule)
    else:
        # No fee on a statement that fell due on or after the day the account reached the stop
        # (as_of - dpd + after_dpd): the pure rule's ``accrues_fee``, on the start position.
        whole = ibis.window(group_by=start.account_id)
        start = start.mutate(oldest=start.due_date.min().over(whole))
        fee_rows = start.filter(start.due_date > start.latest_cycle)
        fee_rows = with_fee(fee_rows, schedule)
        acct_dpd = _dpd(fee_rows.uncovered, fee_rows.status, fee_rows.cut, fee_rows.oldest, asof)
        accrues = days_between(asof, fee_rows.due_date) > (
            acct_dpd - schedule.accrual.stop.after_dpd
        )
        fee_rows = fee_rows.mutate(fee=accrues.ifelse(fee_rows.fee, zero))
    fees = fee_rows.group_by("account_id").aggregate(fees=fee_rows.fee.sum())
    oldest_s = start.group_by("account_id").aggregate(oldest_due_s=start.due_date.min())

    out = ctx.left_join(past, ctx.account_id == past.account_id).select(
        ctx.account_id, ctx.customer_id, ctx.currency, ctx.uncovered, ctx.uncovered_s,
        ctx.cut, ctx.status, ctx.latest_cycle, ctx.latest_balance, ctx.paid_since,
        ctx.paid_since_s,
        amount_past_due=money(past.amount_past_due.fill_null(zero)),
        oldest_due=past.oldest_due,
    )  # fmt: skip
    out = out.left_join(fees, out.account_id == fees.account_id).select(
        out, fees=money(fees.fees.fill_null(zero))
    )
    out = out.left_join(oldest_s, out.account_id == oldest_s.account_id).select(
        out, oldest_s.oldest_due_s
    )
    out = out.mutate(
        dpd=_dpd(out.uncovered, out.status, out.cut, out.oldest_due, asof),
        dpd_s=_dpd(out.uncovered_s, out.status, out.cut, out.oldest_due_s, asof),
        since=days_between(asof, out.latest_cycle).fill_null(0),
        principal=rounded(cents(out.latest_balance.fill_null(zero)), out.currency),
    )
    out = out.mutate(
        bucket=bucket_expr(out.dpd, buckets),
        balance=money(ibis.greatest(out.principal - out.paid_since_s, zero)),
    )
    # Interest runs on the start position's days past due (``dpd_s``).
    priced = with_interest(out.mutate(dpd=out.dpd_s, _dpd=out.dpd), schedule)
    priced = priced.mutate(dpd=priced._dpd).drop("_dpd")
    priced = with_charges_cap(priced, schedule)
    priced = priced.mutate(
        collectible=(priced.dpd > 0) & (priced.amount_past_due > money(dec(schedule.small_balance)))
    )
    return priced.select(
        "account_id",
        "customer_id",
        "currency",
        "dpd",
        "bucket",
        amount_due=priced.amount_past_due,
        balance=priced.balance,
        fees=priced.fees,
        interest=priced.interest,
        total_due=money(priced.principal - priced.paid_since + priced.interest + priced.fees),
        collectible=priced.collectible,
    )
