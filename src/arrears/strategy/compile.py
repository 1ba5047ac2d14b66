"""Compile a validated strategy to Ibis expressions: CASE chains, never a Python loop over rows.

Input: one row per account with the columns listed in ``FEATURES`` (built by the engine).
Output: the same rows with segment, tier, score, score band, arm, the experiment's test and
whether the account is in its measured population, rule, level, treatments, queue and priority.
Accounts that are not ``collectible`` (not past due, or past due by no more than the fee
profile's small balance) get no level, queue or treatments: no case.
"""

from __future__ import annotations

from decimal import Decimal
from functools import reduce

import ibis
import ibis.expr.types as ir

from arrears.strategy.schema import (
    CategoricalFactor,
    NumericFactor,
    Range,
    RuleWhen,
    SegmentWhen,
    Strategy,
)
from arrears.vocabulary import LEVELS

FEATURES = (
    "account_id",
    "customer_id",
    "dpd",
    "bucket",
    "amount_due",
    "balance",
    "collectible",
    "credit_limit",
    "product",
    "occupation",
    "identity_category",
    "age",
    "city",
    "province",
    "flags",
    "months_late_12m",
    "previous_level",
    "previous_queue",
    "previous_treatments",
    "previous_priority",
    "broken_promises",
    "problem_customer",
)
MONEY_INPUTS = ("credit_limit", "amount_due", "balance")
HEX = "0123456789abcdef"


def _all(conds: list[ir.BooleanValue]) -> ir.BooleanValue:
    return reduce(lambda a, b: a & b, conds, ibis.literal(True))


def _any(conds: list[ir.BooleanValue]) -> ir.BooleanValue:
    return reduce(lambda a, b: a | b, conds, ibis.literal(False))


def _in_range(col: ir.NumericValue, r: Range) -> ir.BooleanValue:
    conds = []
    if r.min is not None:
        conds.append(col >= ibis.literal(Decimal(r.min)))
    if r.max is not None:
        conds.append(col <= ibis.literal(Decimal(r.max)))
    return _all(conds)


def _has_flag(flags: ir.StringValue, flag: str) -> ir.BooleanValue:
    # Flags are ';'-separated in the warehouse (docs/data-formats.md); match whole words.
    return (ibis.literal(";") + flags.fill_null("") + ";").contains(f";{flag};")


def region_tier(t: ir.Table, s: Strategy) -> ir.IntegerValue:
    """The tier of the customer's city (or province), the default tier when not listed."""
    whens = []
    for rt in s.region_tiers:
        conds = []
        if rt.cities:
            conds.append(t.city.isin(rt.cities))
        if rt.provinces:
            conds.append(t.province.isin(rt.provinces))
        if conds:
            whens.append((_any(conds), rt.tier))
    if not whens:
        return ibis.literal(s.default_region_tier)
    return ibis.cases(*whens, else_=s.default_region_tier)


def age_band(t: ir.Table, s: Strategy) -> ir.StringValue:
    return ibis.cases(
        *((t.age <= b.max, b.name) for b in s.age_bands if b.max is not None),
        else_=ibis.ifelse(t.age.isnull(), ibis.null("string"), s.age_bands[-1].name),
    )


def _segment_cond(t: ir.Table, w: SegmentWhen) -> ir.BooleanValue:
    conds: list[ir.BooleanValue] = []
    if w.occupation is not None:
        conds.append(t.occupation.isin(w.occupation))
    if w.identity_category is not None:
        conds.append(t.identity_category.isin(w.identity_category))
    if w.age_band is not None:
        conds.append(t.age_band.isin(w.age_band))
    if w.region_tier is not None:
        conds.append(t.region_tier.isin(w.region_tier))
    if w.credit_limit is not None:
        conds.append(_in_range(t.credit_limit, w.credit_limit))
    if w.months_late_12m is not None:
        conds.append(_in_range(t.months_late_12m, w.months_late_12m))
    if w.product is not None:
        conds.append(t.product.isin(w.product))
    return _all(conds)


def segment(t: ir.Table, s: Strategy) -> ir.Table:
    """Add ``age_band``, ``region_tier``, ``segment`` and ``tier`` (first matching segment)."""
    t = t.mutate(age_band=age_band(t, s), region_tier=region_tier(t, s))
    idx = ibis.cases(
        *((_segment_cond(t, g.when), i) for i, g in enumerate(s.segments[:-1])),
        else_=len(s.segments) - 1,
    )
    t = t.mutate(_seg=idx)
    return t.mutate(
        segment=ibis.cases(*((t._seg == i, g.code) for i, g in enumerate(s.segments))),
        tier=ibis.cases(*((t._seg == i, g.tier) for i, g in enumerate(s.segments))).cast("int32"),
    ).drop("_seg")


def _factor_points(t: ir.Table, f: NumericFactor | CategoricalFactor) -> ir.IntegerValue:
    if isinstance(f, NumericFactor):
        col = t[f.input]
        value = col.floor().cast("int64") if f.input in MONEY_INPUTS else col.cast("int64")
        whens = [(value <= b.max, b.points) for b in f.bands if b.max is not None]
        return ibis.cases(
            (value.isnull(), 0),
            *whens,
            else_=f.bands[-1].points,
        )
    col = t[f.input].cast("string")
    return ibis.cases(
        *((col == k, v) for k, v in f.values.items()),
        else_=f.default,
    )


def score(t: ir.Table, s: Strategy) -> ir.Table:
    """Add ``score`` and its ``score_band``.

    Points: base + points of every factor, at least 0. Model: the joined ``model_score``
    (propensity to pay, 0..1000; an account the model did not score gets 0, the lowest band).
    """
    total: ir.IntegerValue
    if s.score.source == "model":
        total = t.model_score.fill_null(0)
    else:
        total = ibis.literal(s.score.base)
        for f in s.score.factors:
            total = total + _factor_points(t, f)
    t = t.mutate(score=ibis.greatest(total, 0).cast("int32"))
    bands = s.score.bands
    return t.mutate(
        score_band=ibis.cases(
            *((t.score <= b.max, b.name) for b in bands if b.max is not None),
            else_=bands[-1].name,
        )
    )


def arm(t: ir.Table, s: Strategy) -> ir.StringValue:
    """Stable champion/challenger arm: md5(account_id:test) read as a number, mod 100.

    md5 and string functions give the same digits on DuckDB and Spark (tested), unlike each
    engine's own ``hash()``.
    """
    if s.experiment is None:
        return ibis.literal("champion")
    digest = (t.account_id.cast("string") + f":{s.experiment.test}").hexdigest("md5")
    # The first 7 hex digits (28 bits) as an integer, digit by digit: no engine-specific casts.
    value: ir.IntegerValue = ibis.literal(0, type="int64")
    for i in range(7):
        digit = ibis.literal(HEX).find(digest.substr(i, 1))
        value = value * 16 + digit.cast("int64")
    pct = value % 100
    whens = []
    upper = 0
    for a in s.experiment.arms[:-1]:
        upper += a.percent
        whens.append((pct < upper, a.name))
    return ibis.cases(*whens, else_=s.experiment.arms[-1].name)


def in_test(t: ir.Table, s: Strategy) -> ir.BooleanValue:
    """Whether the account is in the experiment's measured population this day.

    ``targeted``: a worked account that one of the rules naming an arm would take in that arm,
    the arm condition left out, so every arm holds the same kind of account (the champion's
    M1 accounts against the challenger's). ``book``: every account.
    """
    if s.experiment is None:
        return ibis.literal(False)
    if s.experiment.population == "book":
        return ibis.literal(True)
    taken = _any([_rule_cond(t, r.when.model_copy(update={"arm": None})) for r in s.test_rules])
    return t.collectible & taken


def _rule_cond(t: ir.Table, w: RuleWhen) -> ir.BooleanValue:
    conds: list[ir.BooleanValue] = []
    for field in ("bucket", "segment", "tier", "score_band", "arm"):
        values = getattr(w, field)
        if values is not None:
            conds.append(t[field].isin(values))
    if w.flags is not None:
        conds.append(_any([_has_flag(t.flags, f) for f in w.flags]))
    if w.without_flags is not None:
        conds.append(~_any([_has_flag(t.flags, f) for f in w.without_flags]))
    if w.previous_level is not None:
        levels = [v for v in w.previous_level if v != "none"]
        cond = t.previous_level.isin(levels) if levels else ibis.literal(False)
        if "none" in w.previous_level:
            cond = cond | t.previous_level.isnull()
        conds.append(cond)
    if w.broken_promises is not None:
        conds.append(_in_range(t.broken_promises, w.broken_promises))
    if w.problem_customer is not None:
        conds.append(t.problem_customer == w.problem_customer)
    if w.dpd is not None:
        conds.append(_in_range(t.dpd, w.dpd))
    if w.amount_due is not None:
        conds.append(_in_range(t.amount_due, w.amount_due))
    return _all(conds)


def level_rank(level: ir.StringValue) -> ir.IntegerValue:
    return ibis.cases(*((level == name, i) for i, name in enumerate(LEVELS)), else_=-1)


def decide(t: ir.Table, s: Strategy) -> ir.Table:
    """Add ``arm``, ``test``, ``in_test``, ``rule``, ``level``, ``treatments`` (';'-joined),
    ``queue``, ``priority``."""
    t = t.mutate(arm=arm(t, s))
    test = ibis.literal(s.experiment.test) if s.experiment else ibis.null("string")
    t = t.mutate(test=test, in_test=in_test(t, s))
    rules = s.rules
    idx = ibis.cases(
        *((_rule_cond(t, r.when), i) for i, r in enumerate(rules[:-1])),
        else_=len(rules) - 1,
    )
    t = t.mutate(_rule=idx)

    def pick(values: list[object]) -> ir.Value:
        return ibis.cases(*((t._rule == i, v) for i, v in enumerate(values)))

    t = t.mutate(
        rule=pick([r.name for r in rules]),
        level=pick([r.level for r in rules]),
        treatments=pick([";".join(r.treatments) for r in rules]),
        queue=pick([r.queue for r in rules]),
        priority=pick([r.priority for r in rules]).cast("int32"),
    )
    # Worked only with something past due above the profile's small balance: a reported
    # status can keep dpd > 0 with nothing owed (docs/delinquency.md, reported path).
    worked = t.collectible
    if s.never_downgrade:
        # An open case keeps its higher level (and where it is worked) while still delinquent.
        keep = level_rank(t.previous_level) > level_rank(t.level)
        t = t.mutate(
            rule=keep.ifelse("never_downgrade", t.rule),
            level=keep.ifelse(t.previous_level, t.level),
            treatments=keep.ifelse(t.previous_treatments, t.treatments),
            queue=keep.ifelse(t.previous_queue, t.queue),
            priority=keep.ifelse(t.previous_priority, t.priority),
        )
    none = ibis.null("string")
    return t.mutate(
        rule=worked.ifelse(t.rule, none),
        level=worked.ifelse(t.level, none),
        treatments=worked.ifelse(t.treatments, none),
        queue=worked.ifelse(t.queue, none),
        priority=worked.ifelse(t.priority, ibis.null("int32")),
    ).drop("_rule")


def apply(t: ir.Table, s: Strategy) -> ir.Table:
    """Segment, score and decide."""
    return decide(score(segment(t, s), s), s)
