"""Read-only views of the portfolio: the summary by bucket and one account in full.

Both age accounts with the pure rules in ``arrears.delinquency``. The summary reads statements,
payments and reports in three ordered streams and merges them by account, so the number of
queries does not grow with the portfolio.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy.orm import Session

from arrears.delinquency import (
    DEFAULT_BUCKETS,
    AccountTerms,
    BucketScheme,
    FeeSchedule,
    OwedBreakdown,
    PaymentFact,
    StatementFact,
    StatusReport,
    age,
    owed_breakdown,
)
from arrears.kit.clock import clock
from arrears.kit.dates import parse_day
from arrears.kit.errors import NotFound
from arrears.kit.money import ZERO, fmt
from arrears.portfolio import repository as repo
from arrears.portfolio.models import (
    CardAccount,
    Cardholder,
    Payment,
    ReportedDelinquency,
    Statement,
)

PROGRESS_EVERY = 1_000


def parse_as_of(text: str | None) -> date:
    """``YYYY-MM-DD``, or today by the clock when not given."""
    return parse_day(text, "--as-of") or clock.today()


# --- the summary ----------------------------------------------------------------------------


@dataclass
class CurrencyTotals:
    """Counts and money by bucket for the accounts in one currency."""

    accounts: int = 0
    buckets: dict[str, int] = field(default_factory=dict)
    balances: dict[str, Decimal] = field(default_factory=dict)
    past_due: dict[str, Decimal] = field(default_factory=dict)


@dataclass
class PortfolioSummary:
    as_of: date
    bucket_names: tuple[str, ...]
    accounts: int = 0
    buckets: dict[str, int] = field(default_factory=dict)
    by_currency: dict[str, CurrencyTotals] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """Money per bucket is only summed within one currency; a mixed book lists each."""
        out: dict[str, Any] = {
            "as_of": self.as_of,
            "accounts": self.accounts,
            "buckets": self.buckets,
        }
        currencies = sorted(self.by_currency)
        if len(currencies) <= 1:
            only = self.by_currency.get(currencies[0]) if currencies else None
            out["currency"] = currencies[0] if currencies else None
            cur = currencies[0] if currencies else None
            out["balances"] = _money(only.balances if only else {}, self.bucket_names, cur)
            out["past_due"] = _money(only.past_due if only else {}, self.bucket_names, cur)
        else:
            out["currency"] = "mixed"
        out["by_currency"] = {
            cur: {
                "accounts": t.accounts,
                "buckets": {b: t.buckets.get(b, 0) for b in self.bucket_names},
                "balances": _money(t.balances, self.bucket_names, cur),
                "past_due": _money(t.past_due, self.bucket_names, cur),
            }
            for cur, t in sorted(self.by_currency.items())
        }
        return out


def _money(amounts: dict[str, Decimal], names: tuple[str, ...], cur: str | None) -> dict[str, str]:
    return {b: fmt(amounts.get(b, ZERO), cur or "CNY") for b in names}


def _groups(rows: Iterator[Any]) -> Iterator[tuple[int, list[Any]]]:
    return ((k, list(g)) for k, g in groupby(rows, key=itemgetter(0)))


class _Cursor:
    """The next account group of one ordered stream, taken only when its account comes up."""

    def __init__(self, rows: Iterator[Any]) -> None:
        self._groups = _groups(rows)
        self._head = next(self._groups, None)

    def take(self, account_id: int) -> list[Any]:
        # Rows of an account missing from the spine (cannot happen with the FKs) are skipped.
        while self._head is not None and self._head[0] < account_id:
            self._head = next(self._groups, None)
        if self._head is not None and self._head[0] == account_id:
            rows = self._head[1]
            self._head = next(self._groups, None)
            return rows
        return []


def portfolio_summary(
    *,
    session: Session,
    as_of: date,
    buckets: BucketScheme = DEFAULT_BUCKETS,
    on_progress: Callable[[int], None] | None = None,
) -> PortfolioSummary:
    """Accounts, balances and amounts past due by bucket on ``as_of``.

    ``on_progress(n)`` is told every ``PROGRESS_EVERY`` accounts and at the end.
    """
    names = buckets.names
    summary = PortfolioSummary(as_of=as_of, bucket_names=names, buckets=dict.fromkeys(names, 0))
    statements = _Cursor(repo.stream_statements(session, until=as_of))
    payments = _Cursor(repo.stream_payments(session, until=as_of))
    reports = _Cursor(repo.stream_reports(session, until=as_of))
    for account_id, currency in repo.stream_account_currencies(session):
        ss = [StatementFact(r[1], r[2], r[3], r[4]) for r in statements.take(account_id)]
        ps = [PaymentFact(r[1], r[2], r[3]) for r in payments.take(account_id)]
        rs = [StatusReport(r[1], r[2]) for r in reports.take(account_id)]
        aging = age(statements=ss, payments=ps, as_of=as_of, reports=rs, buckets=buckets)
        totals = summary.by_currency.setdefault(currency, CurrencyTotals())
        bucket = aging.bucket
        summary.accounts += 1
        summary.buckets[bucket] += 1
        totals.accounts += 1
        totals.buckets[bucket] = totals.buckets.get(bucket, 0) + 1
        # Stored money is already at the minor unit; sums are rounded once, when printed.
        totals.balances[bucket] = totals.balances.get(bucket, ZERO) + _balance(ss, ps)
        totals.past_due[bucket] = totals.past_due.get(bucket, ZERO) + aging.amount_past_due
        if on_progress is not None and summary.accounts % PROGRESS_EVERY == 0:
            on_progress(PROGRESS_EVERY)
    if on_progress is not None and summary.accounts % PROGRESS_EVERY:
        on_progress(summary.accounts % PROGRESS_EVERY)
    return summary


def _balance(statements: list[StatementFact], payments: list[PaymentFact]) -> Decimal:
    """The latest closing balance minus the payments received since (streams are pre-filtered)."""
    if not statements:
        return -sum((p.amount for p in payments), ZERO)
    latest = statements[-1]  # the stream is ordered by cycle date
    return latest.closing_balance - sum(
        (p.amount for p in payments if p.paid_on > latest.cycle_date), ZERO
    )


# --- one account ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountView:
    account: CardAccount
    cardholder: Cardholder
    statements: tuple[Statement, ...]
    payments: tuple[Payment, ...]
    reports: tuple[ReportedDelinquency, ...]
    schedule: FeeSchedule
    breakdown: OwedBreakdown

    def as_json(self, locale: str) -> dict[str, Any]:
        a, b, cur = self.account, self.breakdown, self.account.currency
        aging = b.aging
        return {
            "as_of": b.as_of,
            "account": {
                "external_ref": a.external_ref,
                "product": a.product,
                "currency": cur,
                "credit_limit": fmt(a.credit_limit, cur),
                "open_date": a.open_date,
                "statement_day": a.statement_day,
                "due_days": a.due_days,
                "min_payment_ratio": f"{a.min_payment_ratio:f}",
                "status": a.status,
            },
            "cardholder": {
                "external_ref": self.cardholder.external_ref,
                "name": self.cardholder.name,
            },
            "dpd": aging.dpd,
            "bucket": aging.bucket,
            "amount_past_due": fmt(aging.amount_past_due, cur),
            "oldest_due_date": aging.oldest_due_date,
            "dpd_basis": "reported" if aging.reported is not None else "statements",
            "past_due": [
                {"cycle_date": p.cycle_date, "due_date": p.due_date, "unpaid": fmt(p.unpaid, cur)}
                for p in aging.past_due
            ],
            "statements": [
                {
                    "cycle_date": s.cycle_date,
                    "due_date": s.due_date,
                    "closing_balance": fmt(s.closing_balance, cur),
                    "minimum_due": fmt(s.minimum_due, cur),
                }
                for s in self.statements
            ],
            "payments": [
                {
                    "paid_on": p.paid_on,
                    "amount": fmt(p.amount, cur),
                    "channel": p.channel,
                    "reference": p.reference,
                }
                for p in self.payments
            ],
            "reports": [{"reported_on": r.reported_on, "status": r.status} for r in self.reports],
            "fee_schedule": self.schedule.name,
            "breakdown": {
                "currency": b.currency,
                "locale": locale,
                "items": [
                    {
                        "kind": i.kind,
                        "amount": fmt(i.amount, cur),
                        "explanation": i.explanation[locale],
                    }
                    for i in b.items
                ],
                "itemization_date": b.itemization_date,
                "principal": fmt(b.principal, cur),
                "interest": fmt(b.interest, cur),
                "fees": fmt(b.fees, cur),
                "payments": fmt(b.payments, cur),
                "credits": fmt(b.credits, cur),
                "total_due": fmt(b.total_due, cur),
                # Where interest and fees stopped (the profile's stop or cap), if they did.
                "accrual": {
                    "stop": b.accrual.stop.kind if b.accrual.stop else None,
                    "after_dpd": b.accrual.stop.after_dpd if b.accrual.stop else None,
                    "stopped_on": b.accrual.stopped_on,
                    "interest_days": b.accrual.interest_days,
                    "cap": fmt(b.accrual.cap, cur) if b.accrual.cap is not None else None,
                    "capped": fmt(b.accrual.capped, cur),
                },
                "collectible": b.collectible,
            },
        }


def account_view(
    *,
    session: Session,
    external_ref: str,
    as_of: date,
    schedule: FeeSchedule,
    buckets: BucketScheme = DEFAULT_BUCKETS,
) -> AccountView:
    """One account with its history, aging and owed breakdown on ``as_of``."""
    found = repo.get_account_by_ref(session, external_ref=external_ref)
    if found is None:
        raise NotFound(f"no account {external_ref!r} (give the card system's account number)")
    account, cardholder = found
    statements = tuple(repo.account_statements(session, account_id=account.id))
    payments = tuple(repo.account_payments(session, account_id=account.id))
    reports = tuple(repo.account_reports(session, account_id=account.id))
    breakdown = owed_breakdown(
        terms=AccountTerms(currency=account.currency, min_payment_ratio=account.min_payment_ratio),
        statements=[s.fact() for s in statements],
        payments=[PaymentFact(p.paid_on, p.amount, p.reference) for p in payments],
        reports=[StatusReport(r.reported_on, r.status) for r in reports],
        as_of=as_of,
        schedule=schedule,
        buckets=buckets,
    )
    return AccountView(account, cardholder, statements, payments, reports, schedule, breakdown)
