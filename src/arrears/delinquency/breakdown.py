"""The owed breakdown: what the cardholder owes on ``as_of`` and why, line by line.

Every item carries one plain sentence in English and Simplified Chinese with the actual amounts,
dates and rates; the items sum exactly to ``total_due``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from arrears.delinquency.aging import (
    ZERO,
    Aging,
    PastDue,
    PaymentFact,
    StatementFact,
    StatusReport,
    age,
)
from arrears.delinquency.buckets import DEFAULT_BUCKETS, BucketScheme
from arrears.delinquency.fees import FeeSchedule, PercentFee
from arrears.kit.money import round_money

ItemKind = Literal["principal", "interest", "fee", "payment"]


@dataclass(frozen=True)
class AccountTerms:
    currency: str
    min_payment_ratio: Decimal


@dataclass(frozen=True)
class BreakdownItem:
    kind: ItemKind
    amount: Decimal
    explanation: dict[str, str]  # {"en": ..., "zh-CN": ...}


@dataclass(frozen=True)
class OwedBreakdown:
    as_of: date
    currency: str
    aging: Aging
    items: tuple[BreakdownItem, ...]
    principal: Decimal
    interest: Decimal
    fees: Decimal
    payments: Decimal  # negative: money received since the latest statement
    total_due: Decimal


def owed_breakdown(
    *,
    terms: AccountTerms,
    statements: Sequence[StatementFact],
    payments: Sequence[PaymentFact],
    as_of: date,
    reports: Sequence[StatusReport] = (),
    schedule: FeeSchedule,
    buckets: BucketScheme = DEFAULT_BUCKETS,
) -> OwedBreakdown:
    """Principal, interest, one fee per past-due statement and the payments since, explained."""
    cur = terms.currency
    aging = age(
        statements=statements, payments=payments, as_of=as_of, reports=reports, buckets=buckets
    )
    issued = [s for s in statements if s.cycle_date <= as_of]
    latest = max(issued, key=lambda s: s.cycle_date) if issued else None
    since = [
        p
        for p in payments
        if p.paid_on <= as_of and (latest is None or p.paid_on > latest.cycle_date)
    ]
    since.sort(key=lambda p: (p.paid_on, p.reference))

    principal = round_money(latest.closing_balance, cur) if latest else ZERO
    paid_since = sum((round_money(p.amount, cur) for p in since), ZERO)
    unpaid_principal = max(principal - paid_since, ZERO)
    interest = schedule.interest_for(unpaid_principal, aging.dpd, cur)

    items = [_principal_item(latest, principal, as_of, cur)]
    items.append(_interest_item(schedule, unpaid_principal, aging, interest, cur))
    items.extend(_fee_item(schedule, pd, cur) for pd in aging.past_due)
    items.extend(
        BreakdownItem(
            "payment",
            -round_money(p.amount, cur),
            {
                "en": f"Payment received on {p.paid_on}{_ref_en(p.reference)}: "
                f"-{_m(p.amount, cur)}, applied after the latest statement.",
                "zh-CN": f"{p.paid_on} 收到还款{_ref_zh(p.reference)}：-{_m(p.amount, cur)}，"
                "在最近一期账单之后入账，予以扣减。",
            },
        )
        for p in since
    )
    fees = sum((i.amount for i in items if i.kind == "fee"), ZERO)
    return OwedBreakdown(
        as_of=as_of,
        currency=cur,
        aging=aging,
        items=tuple(items),
        principal=principal,
        interest=interest,
        fees=fees,
        payments=-paid_since,
        total_due=sum((i.amount for i in items), ZERO),
    )


def _m(amount: Decimal, currency: str) -> str:
    return f"{round_money(amount, currency):,f} {currency}"


def _pct(rate: Decimal) -> str:
    text = f"{(rate * 100).normalize():f}"
    return f"{text}%"


def _ref_en(reference: str) -> str:
    return f" (ref {reference})" if reference else ""


def _ref_zh(reference: str) -> str:
    return f"（流水号 {reference}）" if reference else ""


def _principal_item(
    latest: StatementFact | None, principal: Decimal, as_of: date, cur: str
) -> BreakdownItem:
    if latest is None:
        return BreakdownItem(
            "principal",
            ZERO,
            {
                "en": f"No statement issued by {as_of}: nothing billed yet.",
                "zh-CN": f"截至 {as_of} 尚未出账单，暂无账单金额。",
            },
        )
    return BreakdownItem(
        "principal",
        principal,
        {
            "en": f"Closing balance of the statement of {latest.cycle_date} "
            f"(due {latest.due_date}): {_m(principal, cur)}.",
            "zh-CN": f"{latest.cycle_date} 账单（到期还款日 {latest.due_date}）的账单余额："
            f"{_m(principal, cur)}。",
        },
    )


def _interest_item(
    schedule: FeeSchedule, unpaid: Decimal, aging: Aging, interest: Decimal, cur: str
) -> BreakdownItem:
    rule = schedule.interest
    name_en, name_zh = rule.label.en, rule.label.zh_cn
    if rule.daily_rate is not None:
        rate_en, rate_zh = f"{_pct(rule.daily_rate)} a day", f"日利率 {_pct(rule.daily_rate)}"
    else:
        assert rule.annual_rate is not None
        rate_en = f"{_pct(rule.annual_rate)} a year ({rule.days_in_year}-day year)"
        rate_zh = f"年利率 {_pct(rule.annual_rate)}（按 {rule.days_in_year} 天计）"
    if aging.dpd == 0:
        text = {
            "en": f"No {name_en}: the account is not past due on {aging.as_of}.",
            "zh-CN": f"截至 {aging.as_of} 未逾期，不计{name_zh}。",
        }
    elif unpaid <= 0:
        text = {
            "en": f"No {name_en}: the statement balance is paid, "
            f"although the account is {aging.dpd} days past due.",
            "zh-CN": f"账单余额已还清，虽逾期 {aging.dpd} 天，不计{name_zh}。",
        }
    else:
        since_en, since_zh = f"since {aging.oldest_due_date}", f"自 {aging.oldest_due_date} 起"
        if aging.reported is not None:
            r, extra = aging.reported, (aging.as_of - aging.reported.reported_on).days
            since_en = (
                f"{r.status} cycles late as reported on {r.reported_on}, plus {extra} days since"
            )
            since_zh = f"{r.reported_on} 报告逾期 {r.status} 期，其后又 {extra} 天"
        text = {
            "en": f"{name_en.capitalize()}: {rate_en} on the unpaid principal {_m(unpaid, cur)} "
            f"for {aging.dpd} days past due ({since_en}) = {_m(interest, cur)}. "
            "Fees bear no interest.",
            "zh-CN": f"{name_zh}：未还本金 {_m(unpaid, cur)} × {rate_zh} × 逾期 {aging.dpd} 天"
            f"（{since_zh}）= {_m(interest, cur)}。费用不计息。",
        }
    return BreakdownItem("interest", interest, text)


def _fee_item(schedule: FeeSchedule, pd: PastDue, cur: str) -> BreakdownItem:
    rule = schedule.late_fee
    fee = schedule.fee_for(pd.unpaid, cur)
    which_en = f"the statement of {pd.cycle_date} (due {pd.due_date})"
    which_zh = f"{pd.cycle_date} 账单（到期还款日 {pd.due_date}）"
    if isinstance(rule, PercentFee):
        raw = round_money(rule.rate * pd.unpaid, cur)
        en = (
            f"{rule.label.en.capitalize()} on {which_en}: {_pct(rule.rate)} of the unpaid "
            f"minimum {_m(pd.unpaid, cur)} = {_m(raw, cur)}"
        )
        zh = (
            f"{rule.label.zh_cn}：{which_zh}未还最低还款额 {_m(pd.unpaid, cur)} 的 "
            f"{_pct(rule.rate)} = {_m(raw, cur)}"
        )
        if fee > raw:
            en += f", raised to the floor {_m(fee, cur)}"
            zh += f"，按最低收费 {_m(fee, cur)} 计"
        elif fee < raw:
            en += f", limited to the cap {_m(fee, cur)}"
            zh += f"，按封顶 {_m(fee, cur)} 计"
    else:
        en = f"{rule.label.en.capitalize()} on {which_en}: {_m(rule.amount, cur)} fixed"
        zh = f"{rule.label.zh_cn}：{which_zh}固定收取 {_m(rule.amount, cur)}"
        if fee < rule.amount:
            en += f", limited to {_m(fee, cur)} (cap, or no more than the unpaid minimum "
            en += f"{_m(pd.unpaid, cur)})"
            zh += f"，以封顶或未还最低还款额 {_m(pd.unpaid, cur)} 为限，计 {_m(fee, cur)}"
    return BreakdownItem("fee", fee, {"en": en + ".", "zh-CN": zh + "。"})
