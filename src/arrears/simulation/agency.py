"""The simulated collection agency: it learns its cases from the bank's daily exchange files
(placements, recalls), works them (calls), hands in the day's activity and payment file, and
keeps its own book of what it collected, from which the simulator computes the commission the
contract owes, independently of the product's statement (docs/simulation.md, "The agency").

Part of the simulated department (``run._Department`` holds one ``AgencyDesk``); every call into
the product goes through ``actions``.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import numpy as np

from arrears.simulation.roster import AgencyPlan
from arrears.workforce import exchange

CENT = Decimal("0.01")
# What the agency's callers get (assumption, like the in-house calls of behaviour.yaml).
AGENCY_OUTCOMES = (
    ("right_party_contact", 0.30),
    ("no_answer", 0.40),
    ("voicemail", 0.20),
    ("busy", 0.10),
)


@dataclass
class Interval:
    """A placement as the agency saw it in the files: from the placement file's day to the
    recall file's day (None: still placed)."""

    placed_on: date
    ended_on: date | None = None


@dataclass(frozen=True)
class Paid:
    """A payment the card system or the agency took, as the simulator made it."""

    account: str
    paid_on: date
    cents: int
    reference: str


@dataclass
class Expected:
    """The simulator's own commission for a month: what the statement must print."""

    month: str
    recovered: Decimal
    total: Decimal
    earned: list[str] = field(default_factory=list)  # payment references
    clawed: list[str] = field(default_factory=list)


def tiers_of(plan: AgencyPlan) -> list[tuple[Decimal | None, Decimal]]:
    """(up to, rate 0-1) per marginal tier; one open tier at ``commission_pct`` without tiers."""
    if not plan.tiers:
        return [(None, Decimal(str(plan.commission_pct)) / 100)]
    return [(t.up_to, t.pct / 100) for t in plan.tiers]


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_EVEN)


def commission_due(
    plan: AgencyPlan,
    *,
    first: date,
    last: date,
    payments: list[Paid],
    reversed_on: dict[str, date],
    intervals: dict[str, list[Interval]],
) -> Expected:
    """The month's commission from the agency's own book: every payment dated on a day the
    agency held the account (from the placement file's day through the recall file's day),
    not reversed by the month's end; marginal tiers, each rounded to the cent; the cap; then the
    payments of earlier months reversed in this one, clawed back at the first tier's rate."""

    def held(p: Paid) -> bool:
        return any(
            i.placed_on <= p.paid_on and (i.ended_on is None or p.paid_on <= i.ended_on)
            for i in intervals.get(p.account, ())
        )

    ours = [p for p in payments if held(p)]
    earned = [
        p
        for p in ours
        if first <= p.paid_on <= last
        and (p.reference not in reversed_on or reversed_on[p.reference] > last)
    ]
    clawed = [
        p
        for p in ours
        if p.paid_on < first and first <= reversed_on.get(p.reference, date.max) <= last
    ]
    recovered = Decimal(sum(p.cents for p in earned)) / 100
    tiers = tiers_of(plan)
    total = Decimal(0)
    lower = Decimal(0)
    for up_to, rate in tiers:
        top = recovered if up_to is None else min(recovered, up_to)
        if top <= lower:
            break
        total += _cents((top - lower) * rate)
        if up_to is None:
            break
        lower = up_to
    if plan.cap is not None and total > plan.cap:
        total = plan.cap
    base = tiers[0][1]
    for p in clawed:
        total -= _cents(Decimal(p.cents) / 100 * base)
    return Expected(
        month=f"{first:%Y-%m}",
        recovered=_cents(recovered),
        total=_cents(total),
        earned=sorted(p.reference for p in earned),
        clawed=sorted(p.reference for p in clawed),
    )


def _csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


class AgencyDesk:
    """The agency's side: its book from the files, its calls, its deliveries."""

    def __init__(self, plan: AgencyPlan, folder: Path) -> None:
        self.plan = plan
        self.folder = folder
        self.holding: dict[str, date] = {}  # account -> placed on (live)
        self.intervals: dict[str, list[Interval]] = defaultdict(list)
        self.all_paid: dict[str, list[Paid]] = defaultdict(list)  # every payment, by account
        self.reversals_due: dict[date, list[Paid]] = defaultdict(list)
        self.reversed_on: dict[str, date] = {}
        self.today_payments: list[Paid] = []
        self.counts: dict[str, int] = defaultdict(int)
        self.statements: list[dict[str, Any]] = []

    # -- the bank's files --

    def read_exchange(self, day: date, directory: Path) -> dict[str, int]:
        """Take in the day's placement and recall files (checked against their manifest):
        recalls end a placement, placements start one."""
        names = [f"{k}-{self.plan.code}-{day.isoformat()}.csv" for k in ("recalls", "placements")]
        files = exchange.read_delivery(directory, names)
        recalls, placements = (_csv_rows(files[n]) for n in names)
        for row in recalls:
            ref = row["account_ref"]
            if self.holding.pop(ref, None) is not None:
                self.intervals[ref][-1].ended_on = day
        for row in placements:
            ref = row["account_ref"]
            if ref not in self.holding:
                self.holding[ref] = day
                self.intervals[ref].append(Interval(placed_on=day))
        self.counts["placed"] += len(placements)
        self.counts["recalled"] += len(recalls)
        return {"placed": len(placements), "recalled": len(recalls)}

    # -- the morning's money --

    def works(self, account: str, day: date) -> bool:
        """Whether the agency held the account before today (it collects from the morning)."""
        placed = self.holding.get(account)
        return placed is not None and placed < day

    def record(self, paid: Paid, *, by_agency: bool, rng: np.random.Generator) -> None:
        self.all_paid[paid.account].append(paid)
        if by_agency:
            self.today_payments.append(paid)
            if rng.random() < self.plan.reversal_share:
                self.reversals_due[paid.paid_on + timedelta(days=int(rng.integers(3, 21)))].append(
                    paid
                )

    def due_reversals(self, day: date) -> list[Paid]:
        due = self.reversals_due.pop(day, [])
        for p in due:
            self.reversed_on[p.reference] = day
        return due

    # -- the agency's delivery --

    def delivery(self, day: date, *, calls_from: datetime, rng: np.random.Generator) -> Path | None:
        """Write today's activity (calls) and payments files with their manifest."""
        labels = [o for o, _ in AGENCY_OUTCOMES]
        weights = [w for _, w in AGENCY_OUTCOMES]
        calls = []
        minute = 0
        for ref in sorted(self.holding):
            if self.holding[ref] >= day or rng.random() >= self.plan.call_rate:
                continue
            outcome = labels[int(rng.choice(len(labels), p=weights))]
            calls.append(
                {
                    "account_ref": ref,
                    "made_at": (calls_from + timedelta(minutes=minute)).isoformat(),
                    "channel": "call",
                    "party": "debtor",
                    "outcome": outcome,
                    "notes": f"{self.plan.code} call",
                }
            )
            minute = (minute + 3) % 480  # one caller's day: 09:00-17:00
        pays = [
            {
                "account_ref": p.account,
                "paid_on": p.paid_on.isoformat(),
                "amount": f"{Decimal(p.cents) / 100:.2f}",
                "reference": p.reference,
            }
            for p in self.today_payments
        ]
        self.today_payments = []
        if not calls and not pays:
            return None
        out = self.folder / "in" / day.isoformat()
        out.mkdir(parents=True, exist_ok=True)
        files = {
            exchange.ACTIVITY: exchange.to_csv(
                ("account_ref", "made_at", "channel", "party", "outcome", "notes"), calls
            ),
            exchange.PAYMENTS: exchange.to_csv(
                ("account_ref", "paid_on", "amount", "reference"), pays
            ),
        }
        for name, data in files.items():
            (out / name).write_bytes(data)
        (out / exchange.MANIFEST).write_bytes(exchange.manifest(files))
        self.counts["calls_sent"] += len(calls)
        self.counts["payments_sent"] += len(pays)
        return out

    # -- month end --

    def expected(self, month_first: date, month_last: date) -> Expected:
        return commission_due(
            self.plan,
            first=month_first,
            last=month_last,
            payments=[p for ref in sorted(self.intervals) for p in self.all_paid[ref]],
            reversed_on=self.reversed_on,
            intervals=self.intervals,
        )
