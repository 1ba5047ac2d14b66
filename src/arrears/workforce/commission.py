"""Agency contracts and commission, pure: which contracts overlap, whether a month is closed, and
the monthly commission statement, line by line in the staff pay statement's shape.

Commission is earned on money paid on an account while the agency held the work order (the
service decides who held it on the day). Per contract: marginal tiers on the month's recovery,
then the monthly cap (the same ``tiered`` rule as staff performance pay), then clawback of
commission on payments reversed this month that an earlier statement paid for, at the contract's
first-tier rate (the rate every commissioned payment earned at least; tiers are paid on the
month's total, so no single payment has a rate of its own). A payment reversed in the month it
was made never enters the recovery. Every line is rounded to the cent and the total is the sum
of the printed lines.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from pydantic import BaseModel

from arrears.kit.money import ZERO, fmt, round_money
from arrears.workforce.compensation import PayLine, Tier, tiered


@dataclass(frozen=True)
class Scope:
    """What a contract covers: buckets x levels over dates (end None: open-ended)."""

    code: str
    buckets: frozenset[str]
    levels: frozenset[str]
    start: date
    end: date | None


def overlapping(new: Scope, existing: Iterable[Scope]) -> list[str]:
    """Codes of the agency's contracts that share a bucket and a level with ``new`` on a day."""
    found = []
    for old in existing:
        if not (new.buckets & old.buckets and new.levels & old.levels):
            continue
        if (old.end is None or new.start <= old.end) and (new.end is None or old.start <= new.end):
            found.append(old.code)
    return found


def month_bounds(month: date) -> tuple[date, date]:
    """First and last day of ``month``'s month."""
    first = month.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def month_closed(month: date, today: date) -> bool:
    """A month is closed once the center's today is past its last day."""
    return today > month_bounds(month)[1]


@dataclass(frozen=True)
class Terms:
    """A contract's commission terms: marginal tiers (rate 0-1) and an optional monthly cap."""

    code: str
    tiers: tuple[Tier, ...]
    cap: Decimal | None = None

    @property
    def base_rate(self) -> Decimal:
        return self.tiers[0].rate


@dataclass(frozen=True)
class Recovery:
    """A payment made while the agency held the case (``reversed_on`` if it was reversed)."""

    contract: str
    reference: str
    account: str
    paid_on: date
    amount: Decimal
    reversed_on: date | None = None


class CommissionStatement(BaseModel):
    """One agency's commission for a month, with the calculation shown line by line."""

    agency: str
    period: str
    currency: str
    recovered: Decimal
    lines: list[PayLine]
    total: Decimal


def _earned_and_clawed(
    rows: Iterable[Recovery], first: date, last: date
) -> tuple[list[Recovery], list[Recovery]]:
    """The month's commissioned payments (made in it, not reversed by its end) and the earlier
    ones reversed in it."""
    ordered = sorted(rows, key=lambda r: (r.paid_on, r.reference))
    earned = [
        r
        for r in ordered
        if first <= r.paid_on <= last and (r.reversed_on is None or r.reversed_on > last)
    ]
    clawed = [
        r
        for r in ordered
        if r.paid_on < first and r.reversed_on is not None and first <= r.reversed_on <= last
    ]
    return earned, clawed


def attributed(
    *,
    month: date,
    terms: Sequence[Terms],
    recoveries: Iterable[Recovery],
    which: set[tuple[str, str]],
    currency: str = "CNY",
) -> Decimal:
    """The part of the month's statement that pays for the payments ``which`` (account,
    reference): per contract, the commission after tiers and cap times their share of the
    month's recovery, rounded to the cent, less their own clawback lines. Tiers are paid on the
    month's total, so a payment's commission is its share of the total (the statement's
    effective rate), not a rate of its own."""
    first, last = month_bounds(month)
    by_contract: dict[str, list[Recovery]] = {t.code: [] for t in terms}
    for r in recoveries:
        by_contract.setdefault(r.contract, []).append(r)
    out = ZERO
    for t in terms:
        earned, clawed = _earned_and_clawed(by_contract[t.code], first, last)
        recovered = sum((r.amount for r in earned), ZERO)
        mine = sum((r.amount for r in earned if (r.account, r.reference) in which), ZERO)
        if mine:
            _lines, paid = tiered(t.tiers, recovered, cap=t.cap, currency=currency, what=t.code)
            out += round_money(paid * mine / recovered, currency)
        for r in clawed:
            if (r.account, r.reference) in which:
                out -= round_money(r.amount * t.base_rate, currency)
    return out


def statement(
    *,
    agency: str,
    month: date,
    terms: Sequence[Terms],
    recoveries: Iterable[Recovery],
    currency: str = "CNY",
) -> CommissionStatement:
    """The month's statement from every recovery that was paid or reversed in it."""
    cur = currency
    first, last = month_bounds(month)
    by_contract: dict[str, list[Recovery]] = {t.code: [] for t in terms}
    for r in recoveries:
        if r.contract not in by_contract:
            raise ValueError(f"recovery {r.reference!r}: no terms for contract {r.contract!r}")
        by_contract[r.contract].append(r)
    lines: list[PayLine] = []
    recovered_total = ZERO
    for t in terms:
        earned, clawed = _earned_and_clawed(by_contract[t.code], first, last)
        if not earned and not clawed:
            continue
        for r in earned:
            lines.append(
                PayLine(
                    label=f"{t.code}: paid {r.paid_on} {r.account}",
                    amount=None,
                    note=f"{fmt(r.amount, cur)} ref {r.reference}",
                )
            )
        recovered = round_money(sum((r.amount for r in earned), ZERO), cur)
        recovered_total += recovered
        lines.append(
            PayLine(
                label=f"{t.code}: recovered while placed",
                amount=None,
                note=f"{fmt(recovered, cur)} in {len(earned)} payments",
            )
        )
        tier_lines, _ = tiered(t.tiers, recovered, cap=t.cap, currency=cur, what=t.code)
        lines += tier_lines
        for r in clawed:
            back = round_money(r.amount * t.base_rate, cur)
            lines.append(
                PayLine(
                    label=f"{t.code}: clawback {r.reference}",
                    amount=ZERO - back,
                    note=(
                        f"{fmt(r.amount, cur)} paid {r.paid_on}, reversed {r.reversed_on}"
                        f" x {t.base_rate * 100:f}%"
                    ),
                )
            )
    total = sum((line.amount for line in lines if line.amount is not None), ZERO)
    return CommissionStatement(
        agency=agency,
        period=f"{first:%Y-%m}",
        currency=cur,
        recovered=recovered_total,
        lines=lines,
        total=round_money(total, cur),
    )
