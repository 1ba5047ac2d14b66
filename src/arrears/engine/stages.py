"""The cycle's query plan: snapshot → age → fees & interest → segment → score → decide.

Everything here builds Ibis expressions; the backend (DuckDB or Spark) runs them as one plan.
"""

from __future__ import annotations

from datetime import date

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from arrears.delinquency.buckets import DEFAULT_BUCKETS, BucketScheme
from arrears.delinquency.chargeoff import REVIEW_LEVEL, REVIEW_QUEUE, charge_off_dpd
from arrears.delinquency.fees import FeeSchedule
from arrears.engine.columnar import Snapshot, age_and_price, date_value
from arrears.strategy import compile as strategy_compile
from arrears.strategy.schema import Strategy

STAGES = ("snapshot", "age", "fees_interest", "segment", "score", "decide", "write", "sync")

# What the cycle reads from the open work orders (the operational store) for the decision.
LIVE_CASES = pa.schema(
    [
        ("customer_id", pa.string()),
        ("previous_level", pa.string()),
        ("previous_queue", pa.string()),
        ("previous_treatments", pa.string()),
        ("previous_priority", pa.int32()),
        ("broken_promises", pa.int32()),
        ("problem_customer", pa.bool_()),
    ]
)

DECISION_COLUMNS = (
    "as_of",
    "account_id",
    "customer_id",
    "currency",
    "dpd",
    "bucket",
    "amount_due",
    "balance",
    "fees",
    "interest",
    "total_due",
    "credit_limit",
    "segment",
    "tier",
    "score",
    "score_band",
    "arm",
    "test",
    "in_test",
    "rule",
    "level",
    "treatments",
    "queue",
    "priority",
    "strategy_hash",
)

DECISIONS_DDL = """
as_of DATE NOT NULL, account_id VARCHAR NOT NULL, customer_id VARCHAR NOT NULL,
currency VARCHAR, dpd INTEGER NOT NULL, bucket VARCHAR NOT NULL,
amount_due DECIMAL(18,2) NOT NULL, balance DECIMAL(18,2) NOT NULL, fees DECIMAL(18,2) NOT NULL,
interest DECIMAL(18,2) NOT NULL, total_due DECIMAL(18,2) NOT NULL, credit_limit DECIMAL(18,2),
segment VARCHAR, tier INTEGER, score INTEGER, score_band VARCHAR, arm VARCHAR, test VARCHAR,
in_test BOOLEAN, rule VARCHAR,
level VARCHAR, treatments VARCHAR, queue VARCHAR, priority INTEGER, strategy_hash VARCHAR
"""


MODEL_SCORES = pa.schema([("account_id", pa.string()), ("score", pa.int32())])


def features(
    snap: Snapshot,
    aged: ir.Table,
    live: ir.Table,
    *,
    as_of: date | ir.DateValue,
    model_scores: ir.Table | None = None,
) -> ir.Table:
    """Join what segmentation, score and rules read onto the aged accounts.

    With ``model_scores`` (``MODEL_SCORES``), each account's model score joins as ``model_score``
    (null where the model gave none).
    """
    acc = snap.accounts.select(_acct="account_id", credit_limit="credit_limit", product="product")
    ch = snap.cardholders.select(
        _cust="customer_id",
        occupation="occupation",
        identity_category="identity_category",
        birth_date="birth_date",
        city="city",
        province="province",
        flags="flags",
    )
    rep = snap.delinquency
    asof = date_value(as_of)
    year_ago = (asof - ibis.interval(days=365)).cast("date")
    recent = rep.filter((rep.reported_on <= asof) & (rep.reported_on > year_ago))
    late = recent.group_by(_late_acct=recent.account_id).aggregate(
        months_late_12m=(recent.status >= 1).ifelse(1, 0).sum().cast("int32")
    )
    lv = live.rename(_live_cust="customer_id")
    t = (
        aged.join(acc, aged.account_id == acc._acct)
        .left_join(ch, aged.customer_id == ch._cust)
        .left_join(late, aged.account_id == late._late_acct)
        .left_join(lv, aged.customer_id == lv._live_cust)
    )
    t = t.drop("_acct", "_cust", "_late_acct", "_live_cust")
    if model_scores is not None:
        ms = model_scores.select(_ms_acct="account_id", model_score="score")
        t = t.left_join(ms, t.account_id == ms._ms_acct).drop("_ms_acct")
    b = t.birth_date
    before_birthday = (b.month() > asof.month()) | (
        (b.month() == asof.month()) & (b.day() > asof.day())
    )
    return t.mutate(
        age=(asof.year() - b.year() - before_birthday.ifelse(1, 0)).cast("int32"),
        months_late_12m=t.months_late_12m.fill_null(0),
        broken_promises=t.broken_promises.fill_null(0),
        problem_customer=t.problem_customer.fill_null(False),
    )


def decisions(
    snap: Snapshot,
    live: ir.Table,
    *,
    as_of: date | ir.DateValue,
    strategy: Strategy,
    strategy_hash: str,
    schedule: FeeSchedule,
    buckets: BucketScheme = DEFAULT_BUCKETS,
    model_scores: ir.Table | None = None,
) -> ir.Table:
    """One decision row per account for ``as_of`` (columns ``DECISION_COLUMNS``).

    A strategy whose score comes from the model needs ``model_scores`` (``MODEL_SCORES``).
    ``as_of`` is a date or the backend's as-of expression (one compiled plan for every date).
    """
    aged = age_and_price(snap, as_of=as_of, schedule=schedule, buckets=buckets)
    feats = features(snap, aged, live, as_of=as_of, model_scores=model_scores)
    decided = route_charged_off(strategy_compile.apply(feats, strategy), schedule)
    return decided.select(
        as_of=date_value(as_of),
        account_id=decided.account_id,
        customer_id=decided.customer_id,
        currency=decided.currency,
        dpd=decided.dpd,
        bucket=decided.bucket,
        amount_due=decided.amount_due,
        balance=decided.balance,
        fees=decided.fees,
        interest=decided.interest,
        total_due=decided.total_due,
        credit_limit=decided.credit_limit.cast("decimal(18, 2)"),
        segment=decided.segment,
        tier=decided.tier,
        score=decided.score,
        score_band=decided.score_band,
        arm=decided.arm,
        test=decided.test,
        in_test=decided.in_test,
        rule=decided.rule,
        level=decided.level,
        treatments=decided.treatments,
        queue=decided.queue,
        priority=decided.priority,
        strategy_hash=ibis.literal(strategy_hash),
    )


def route_charged_off(decided: ir.Table, schedule: FeeSchedule) -> ir.Table:
    """Send a worked account the profile charges off (``dpd >= after_dpd``) to write-off review,
    whatever the strategy said: the charge-off is accounting policy, not a treatment choice."""
    after = charge_off_dpd(schedule)
    if after is None:
        return decided
    off = decided.level.notnull() & (decided.dpd >= after)
    return decided.mutate(
        level=off.ifelse(ibis.literal(REVIEW_LEVEL), decided.level),
        queue=off.ifelse(ibis.literal(REVIEW_QUEUE), decided.queue),
        rule=off.ifelse(ibis.literal("charge-off"), decided.rule),
    )
