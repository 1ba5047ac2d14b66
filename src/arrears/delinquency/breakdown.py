"""The owed breakdown: what the cardholder owes on ``as_of`` and why, line by line.

The itemization-date model (the structure of Reg F 12 CFR 1006.34(c)(2)(vi)-(viii)): the
amount owed on the itemization date (the latest statement's closing balance, which already
holds everything billed through its cycle date), then what came after it, each itemised:
interest, fees, payments, credits. ``total_due`` = that amount + interest + fees - payments -
credits, to the cent; nothing dated on or before the itemization date is added on top.

Every item carries one plain sentence in English and Simplified Chinese with the actual amounts,
dates and rates; the items sum exactly to ``total_due``. Where the profile stopped interest and
fees (charge-off or non-accrual after a day count, or the cap on charges), an ``accrual_stop``
item of amount 0 says when and why.
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
from arrears.delinquency.fees import AccrualStop, FeeSchedule, PercentFee
from arrears.kit import wording
from arrears.kit.money import round_money

ItemKind = Literal["principal", "billed", "interest", "fee", "accrual_stop", "payment", "credit"]


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
class Accrual:
    """Where interest and fees stopped on this account, if they did.

    ``stopped_on``: the day the account reached the profile's stop (charge-off / non-accrual);
    ``interest_days``: the days past due after the itemization date that bore interest; ``cap``:
    the most interest plus fees since then may come to (None without a cap); ``capped``: what
    the cap kept off the account.
    """

    stop: AccrualStop | None
    stopped_on: date | None
    interest_days: int
    cap: Decimal | None
    capped: Decimal

    @property
    def stopped(self) -> bool:
        return self.stopped_on is not None or self.capped > 0


@dataclass(frozen=True)
class OwedBreakdown:
    """``principal`` is the amount owed on the itemization date (the statement's closing
    balance); ``payments`` and ``credits`` are negative: received since that date."""

    as_of: date
    currency: str
    aging: Aging
    items: tuple[BreakdownItem, ...]
    principal: Decimal
    interest: Decimal
    fees: Decimal
    payments: Decimal
    total_due: Decimal
    accrual: Accrual
    collectible: bool  # worth a case: past due by more than the profile's small balance
    itemization_date: date | None = None
    statement: StatementFact | None = None  # the statement of the itemization date
    credits: Decimal = ZERO

    @property
    def itemization_amount(self) -> Decimal:
        return self.principal


def _since(facts: Sequence[PaymentFact], since: date | None, as_of: date) -> list[PaymentFact]:
    """What was received after the itemization date, up to ``as_of``, in order."""
    got = [p for p in facts if p.paid_on <= as_of and (since is None or p.paid_on > since)]
    return sorted(got, key=lambda p: (p.paid_on, p.reference))


def owed_breakdown(
    *,
    terms: AccountTerms,
    statements: Sequence[StatementFact],
    payments: Sequence[PaymentFact],
    as_of: date,
    reports: Sequence[StatusReport] = (),
    schedule: FeeSchedule,
    buckets: BucketScheme = DEFAULT_BUCKETS,
    credits: Sequence[PaymentFact] = (),
) -> OwedBreakdown:
    """The amount on the itemization date, then interest, fees, payments and credits since.

    ``credits``: refunds and reversals (they reduce the balance but pay no minimum). Charges
    are priced from the account's position at the start of ``as_of``: a payment that day is
    deducted but changes no charge, so paying the total leaves nothing owed.
    """
    cur = terms.currency
    aging = age(
        statements=statements, payments=payments, as_of=as_of, reports=reports, buckets=buckets
    )
    issued = [s for s in statements if s.cycle_date <= as_of]
    latest = max(issued, key=lambda s: s.cycle_date) if issued else None
    on = latest.cycle_date if latest else None
    paid = _since(payments, on, as_of)
    credited = _since(credits, on, as_of)

    # The position charges are priced from: before the as-of day's payments and credits.
    earlier = [p for p in payments if p.paid_on < as_of]
    start = aging
    if len(earlier) != sum(1 for p in payments if p.paid_on <= as_of):
        start = age(
            statements=statements, payments=earlier, as_of=as_of, reports=reports, buckets=buckets
        )
    principal = round_money(latest.closing_balance, cur) if latest else ZERO
    paid_total = sum((round_money(p.amount, cur) for p in paid), ZERO)
    credited_total = sum((round_money(c.amount, cur) for c in credited), ZERO)
    received_before = sum(
        (round_money(p.amount, cur) for p in (*paid, *credited) if p.paid_on < as_of), ZERO
    )
    unpaid_principal = max(principal - received_before, ZERO)
    since_days = (as_of - on).days if on is not None else 0
    charged_interest = schedule.interest_for(unpaid_principal, start.dpd, cur, since=since_days)
    stopped_on = schedule.stopped_on(as_of, start.dpd)
    # Fees assessed after the itemization date: a statement that fell due after it. One due
    # on or before it was billed already, inside the closing balance.
    window = [pd for pd in start.past_due if on is not None and pd.due_date > on]
    accrues = [schedule.accrues_fee(pd.due_date, as_of, start.dpd) for pd in window]
    fees_each = [
        schedule.fee_for(pd.unpaid, cur) if ok else ZERO
        for pd, ok in zip(window, accrues, strict=True)
    ]

    # The cap on charges: fees keep their place (they were charged first, when each statement
    # fell due), interest gets what is left; past the cap, fees go latest first.
    cap = schedule.charges_cap(unpaid_principal, cur)
    interest, fees_kept = charged_interest, list(fees_each)
    if cap is not None:
        room = cap
        for i, fee in enumerate(fees_kept):
            fees_kept[i] = min(fee, room)
            room -= fees_kept[i]
        interest = min(charged_interest, room)
    capped = charged_interest - interest + sum(fees_each, ZERO) - sum(fees_kept, ZERO)
    accrual = Accrual(
        stop=schedule.accrual.stop,
        stopped_on=stopped_on,
        interest_days=schedule.interest_days(start.dpd, since_days),
        cap=cap,
        capped=capped,
    )

    items = [_principal_item(latest, principal, as_of, cur)]
    if latest is not None:
        items.append(_billed_item(schedule, latest, cur))
    items.append(
        _interest_item(
            schedule, unpaid_principal, start, on, accrual, charged_interest, interest, cur
        )
    )
    items.extend(
        _fee_item(schedule, pd, ok, fee, kept, accrual, cur)
        for pd, ok, fee, kept in zip(window, accrues, fees_each, fees_kept, strict=True)
    )
    if accrual.stopped:
        items.append(_stop_item(schedule, start, accrual, unpaid_principal, cur))
    items.extend(_received_item("payment", p, cur) for p in paid)
    items.extend(_received_item("credit", c, cur) for c in credited)
    fees = sum((i.amount for i in items if i.kind == "fee"), ZERO)
    return OwedBreakdown(
        as_of=as_of,
        currency=cur,
        aging=aging,
        items=tuple(items),
        principal=principal,
        interest=interest,
        fees=fees,
        payments=-paid_total,
        total_due=sum((i.amount for i in items), ZERO),
        accrual=accrual,
        collectible=schedule.collectible(aging.dpd, aging.amount_past_due),
        itemization_date=on,
        statement=latest,
        credits=-credited_total,
    )


def _received_item(kind: Literal["payment", "credit"], p: PaymentFact, cur: str) -> BreakdownItem:
    what_en, what_zh = ("Payment", "收到还款") if kind == "payment" else ("Credit", "入账退款/冲正")
    return BreakdownItem(
        kind,
        -round_money(p.amount, cur),
        {
            "en": f"{what_en} received on {p.paid_on}{_ref_en(p.reference)}: "
            f"-{_m(p.amount, cur)}, after the itemization date.",
            "zh-CN": f"{p.paid_on} {what_zh}{_ref_zh(p.reference)}：-{_m(p.amount, cur)}，"
            "在账单日之后入账，予以扣减。",
        },
    )


def _m(amount: Decimal, currency: str) -> str:
    # Grouped at the currency's precision, the same in English and Chinese (Babel).
    return f"{wording.amount(amount, currency)} {currency}"


def _days(count: int) -> str:
    """English "1 day" / "35 days" (the Chinese wording has no plural)."""
    return wording.count_of(count, "day", "days")


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
            "en": f"Amount owed on the itemization date {latest.cycle_date}: the closing balance "
            f"of that statement (due {latest.due_date}), {_m(principal, cur)}.",
            "zh-CN": f"账单日 {latest.cycle_date} 的欠款金额：该期账单（到期还款日 "
            f"{latest.due_date}）的账单余额 {_m(principal, cur)}。",
        },
    )


def _billed_item(schedule: FeeSchedule, s: StatementFact, cur: str) -> BreakdownItem:
    """Amount 0: what the statement balance already holds, so nothing is counted twice."""
    interest_en, interest_zh = schedule.interest.label.en, schedule.interest.label.zh_cn
    fee_en, fee_zh = schedule.late_fee.label.en, schedule.late_fee.label.zh_cn
    if not s.itemised:
        return BreakdownItem(
            "billed",
            ZERO,
            {
                "en": f"That balance already includes everything billed through {s.cycle_date}, "
                f"interest and fees included; only what came after it is itemised below.",
                "zh-CN": f"该账单余额已包含截至 {s.cycle_date} 计收的全部款项（含利息和费用），"
                "以下仅列出账单日之后发生的款项。",
            },
        )
    assert s.previous_balance is not None
    assert s.principal_billed is not None
    assert s.interest_billed is not None
    assert s.fees_billed is not None
    received = (
        s.previous_balance + s.principal_billed + s.interest_billed + s.fees_billed
    ) - s.closing_balance
    en = (
        f"That balance is the previous balance {_m(s.previous_balance, cur)}, plus principal "
        f"billed {_m(s.principal_billed, cur)} (purchases and cash advances), plus {interest_en} "
        f"billed {_m(s.interest_billed, cur)} (charged on the balance carried past its due "
        f"date), plus fees billed {_m(s.fees_billed, cur)} (the {fee_en} is charged when a "
        f"minimum payment is not paid by its due date), less payments and credits in the "
        f"cycle {_m(received, cur)}. It is not charged again below."
    )
    zh = (
        f"该账单余额 = 上期余额 {_m(s.previous_balance, cur)} + 本期新增本金（消费、取现）"
        f"{_m(s.principal_billed, cur)} + 本期{interest_zh} {_m(s.interest_billed, cur)}"
        f"（逾期未还部分计收）+ 本期费用 {_m(s.fees_billed, cur)}（未在到期还款日前还足"
        f"最低还款额而收取的{fee_zh}）- 本期还款及退款 {_m(received, cur)}；以下不重复计收。"
    )
    return BreakdownItem("billed", ZERO, {"en": en, "zh-CN": zh})


def _interest_item(
    schedule: FeeSchedule,
    unpaid: Decimal,
    aging: Aging,
    on: date | None,
    accrual: Accrual,
    charged: Decimal,
    interest: Decimal,
    cur: str,
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
            f"although the account is {_days(aging.dpd)} past due.",
            "zh-CN": f"账单余额已还清，虽逾期 {aging.dpd} 天，不计{name_zh}。",
        }
    elif accrual.interest_days == 0:
        stop = accrual.stop
        why_en = why_zh = ""
        stopped_on = accrual.stopped_on
        if stop is not None and stopped_on is not None and on is not None and stopped_on <= on:
            why_en = f": it stopped at the {stop.label.en} on {stopped_on}"
            why_zh = f"：已于 {stopped_on} {stop.label.zh_cn}"
        text = {
            "en": f"No {name_en} since the itemization date {on}{why_en}.",
            "zh-CN": f"账单日 {on} 之后不计{name_zh}{why_zh}。",
        }
    else:
        first = aging.as_of.toordinal() - aging.dpd
        since = max(first, on.toordinal() if on is not None else first)
        since_en, since_zh = f"from {date.fromordinal(since)}", f"自 {date.fromordinal(since)} 起"
        if aging.reported is not None:
            r = aging.reported
            since_en += (
                f"; {wording.count_of(r.status, 'cycle', 'cycles')} late as reported on "
                f"{r.reported_on}"
            )
            since_zh += f"；{r.reported_on} 报告逾期 {r.status} 期"
        days_en = f"{_days(accrual.interest_days)} past due after the itemization date {on}"
        days_zh = f"账单日 {on} 之后逾期 {accrual.interest_days} 天"
        if accrual.stop is not None and accrual.stopped_on is not None:
            since_en += f"; none after the {accrual.stop.label.en} on {accrual.stopped_on}"
            since_zh += f"；{accrual.stopped_on} {accrual.stop.label.zh_cn}后不再计息"
        en = (
            f"{name_en.capitalize()}: {rate_en} on the unpaid balance {_m(unpaid, cur)} "
            f"for {days_en} ({since_en}) = {_m(charged, cur)}"
        )
        zh = (
            f"{name_zh}：未还余额 {_m(unpaid, cur)} × {rate_zh} × {days_zh}"
            f"（{since_zh}）= {_m(charged, cur)}"
        )
        if interest < charged:
            en += f", limited to {_m(interest, cur)} by the cap on interest and fees"
            zh += f"，受息费上限约束，计 {_m(interest, cur)}"
        text = {"en": en + ". The fees below bear no interest.", "zh-CN": zh + "。以下费用不计息。"}
    return BreakdownItem("interest", interest, text)


def _fee_item(
    schedule: FeeSchedule,
    pd: PastDue,
    accrues: bool,
    fee: Decimal,
    kept: Decimal,
    accrual: Accrual,
    cur: str,
) -> BreakdownItem:
    rule = schedule.late_fee
    which_en = f"the statement of {pd.cycle_date} (due {pd.due_date})"
    which_zh = f"{pd.cycle_date} 账单（到期还款日 {pd.due_date}）"
    if not accrues:
        stop = accrual.stop
        assert stop is not None
        return BreakdownItem(
            "fee",
            ZERO,
            {
                "en": f"No {rule.label.en} on {which_en}: it fell due on or after the "
                f"{stop.label.en} on {accrual.stopped_on} ({_days(stop.after_dpd)} past due), "
                "after which no fees accrue.",
                "zh-CN": f"{which_zh}不收{rule.label.zh_cn}：到期日在 {accrual.stopped_on}"
                f"（逾期 {stop.after_dpd} 天）{stop.label.zh_cn}之后，不再收取费用。",
            },
        )
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
    if kept < fee:
        en += f"; {_m(kept, cur)} charged, the rest is over the cap on interest and fees"
        zh += f"；受息费上限约束，实收 {_m(kept, cur)}"
    return BreakdownItem("fee", kept, {"en": en + ".", "zh-CN": zh + "。"})


def _stop_item(
    schedule: FeeSchedule, aging: Aging, accrual: Accrual, unpaid: Decimal, cur: str
) -> BreakdownItem:
    """Amount 0: where interest and fees stopped and why (the profile's stop, or its cap)."""
    en: list[str] = []
    zh: list[str] = []
    stop = accrual.stop
    if stop is not None and accrual.stopped_on is not None:
        en.append(
            f"Interest and fees stopped on {accrual.stopped_on}, when the account reached "
            f"{_days(stop.after_dpd)} past due: {stop.label.en} under the {schedule.name} "
            f"profile. It is {_days(aging.dpd)} past due on {aging.as_of}; the principal is "
            "still owed."
        )
        zh.append(
            f"账户于 {accrual.stopped_on} 逾期满 {stop.after_dpd} 天，按 {schedule.name} 规则"
            f"{stop.label.zh_cn}，此后不再计收利息和费用；截至 {aging.as_of} 逾期 {aging.dpd} 天，"
            "本金仍须偿还。"
        )
    if accrual.capped > 0 and accrual.cap is not None:
        ratio = schedule.accrual.cap_ratio
        assert ratio is not None
        en.append(
            f"Interest and fees are capped at {_pct(ratio)} of the unpaid principal "
            f"{_m(unpaid, cur)} = {_m(accrual.cap, cur)}; {_m(accrual.capped, cur)} over "
            "the cap is not charged."
        )
        zh.append(
            f"利息与费用合计以未还本金 {_m(unpaid, cur)} 的 {_pct(ratio)} 为上限"
            f"（{_m(accrual.cap, cur)}），超出的 {_m(accrual.capped, cur)} 不予计收。"
        )
    return BreakdownItem("accrual_stop", ZERO, {"en": " ".join(en), "zh-CN": "".join(zh)})
