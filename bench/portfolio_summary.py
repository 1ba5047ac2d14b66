"""`portfolio summary` benchmark: bulk streams vs fetch-only floor and vs a query per account.

Builds a migrated SQLite store (or uses ``--url``, e.g. a scratch PostgreSQL database) with N
synthetic accounts of six monthly statements, payments and a reported status each, then runs
side by side in this process:

- floor:   the same four ordered queries, rows fetched and dropped (no ageing);
- summary: ``portfolio_summary`` (what `arrears portfolio summary` runs);
- naive:   per account, three queries (statements, payments, reports) and the same ageing
  (on the first ``--naive-accounts``; compared per account).

Prints wall times, the ratios summary/floor and naive/summary, and peak memory.

    python bench/portfolio_summary.py [--accounts 30000] [--url sqlite:///tmp/x.db]
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from arrears.delinquency import PaymentFact, StatementFact, StatusReport, age
from arrears.kit.db import make_engine
from arrears.migrations.runner import upgrade as migrate
from arrears.portfolio import repository as repo
from arrears.portfolio.inspection import portfolio_summary
from arrears.portfolio.models import (
    CardAccount,
    Cardholder,
    Payment,
    ReportedDelinquency,
    Statement,
)

AS_OF = date(2005, 10, 1)


def build(engine: sa.Engine, accounts: int, seed: int) -> None:
    rng = random.Random(seed)
    now = datetime(2005, 10, 1, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(Cardholder),
            [
                {"external_ref": f"C{i}", "name": f"Holder {i}", "created_at": now}
                for i in range(1, accounts + 1)
            ],
        )
        conn.execute(
            sa.insert(CardAccount),
            [
                {
                    "external_ref": str(i),
                    "cardholder_id": i,
                    "product": "classic",
                    "credit_limit": Decimal("50000.00"),
                    "currency": "CNY",
                    "statement_day": 5,
                    "due_days": 20,
                    "min_payment_ratio": Decimal("0.1"),
                }
                for i in range(1, accounts + 1)
            ],
        )
        statements, payments, reports = [], [], []
        for i in range(1, accounts + 1):
            for m in range(6):
                cycle = date(2005, 4 + m, 5)
                bill = Decimal(rng.randint(0, 5_000_000)) / 100
                statements.append(
                    {
                        "account_id": i,
                        "cycle_date": cycle,
                        "due_date": cycle + timedelta(days=20),
                        "closing_balance": bill,
                        "minimum_due": (bill / 10).quantize(Decimal("0.01")),
                    }
                )
                if rng.random() < 0.7:
                    payments.append(
                        {
                            "account_id": i,
                            "paid_on": date(2005, 4 + m, 15),
                            "amount": Decimal(rng.randint(1, 500_000)) / 100,
                            "reference": f"P{i}-{m}",
                        }
                    )
            if rng.random() < 0.5:
                status = rng.choice([-2, -1, 0, 0, 0, 1, 1, 2, 3, 8])
                reports.append({"account_id": i, "reported_on": AS_OF, "status": status})
        for table, rows in ((Statement, statements), (Payment, payments)):
            for start in range(0, len(rows), 50_000):
                conn.execute(sa.insert(table), rows[start : start + 50_000])
        conn.execute(sa.insert(ReportedDelinquency), reports)


def floor(session: Session) -> int:
    n = 0
    for stream in (
        repo.stream_account_currencies(session),
        repo.stream_statements(session, until=AS_OF),
        repo.stream_payments(session, until=AS_OF),
        repo.stream_reports(session, until=AS_OF),
    ):
        for _ in stream:
            n += 1
    return n


def summary(session: Session) -> int:
    return portfolio_summary(session=session, as_of=AS_OF).accounts


def naive(session: Session, limit: int) -> int:
    """One round trip per account per table: what the summary must never do."""
    n = 0
    for account_id, _currency in list(repo.stream_account_currencies(session))[:limit]:
        ss = [
            StatementFact(s.cycle_date, s.due_date, s.closing_balance, s.minimum_due)
            for s in repo.account_statements(session, account_id=account_id)
        ]
        ps = [
            PaymentFact(p.paid_on, p.amount, p.reference)
            for p in repo.account_payments(session, account_id=account_id)
        ]
        rs = [
            StatusReport(r.reported_on, r.status)
            for r in repo.account_reports(session, account_id=account_id)
        ]
        age(statements=ss, payments=ps, reports=rs, as_of=AS_OF)
        session.expunge_all()
        n += 1
    return n


def timed(engine: sa.Engine, run: Callable[[Session], int]) -> tuple[float, int]:
    """Wall seconds and the run's count."""
    with Session(engine) as session:
        started = time.perf_counter()
        count = run(session)
        return time.perf_counter() - started, count


def peak_memory(engine: sa.Engine, run: Callable[[Session], int]) -> float:
    """Peak Python-side memory of a run, MiB (a separate pass: tracemalloc slows Python down)."""
    with Session(engine) as session:
        tracemalloc.start()
        run(session)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak / 2**20


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--accounts", type=int, default=30_000)
    parser.add_argument("--url", help="an empty database to fill (default: a temp SQLite file)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--naive-accounts", type=int, default=5_000, help="accounts the naive run ages (0: none)"
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        migrate(url)
        engine = make_engine(url)
        started = time.perf_counter()
        build(engine, args.accounts, args.seed)
        print(f"built {args.accounts:,} accounts in {time.perf_counter() - started:.1f} s ({url})")
        runs: dict[str, Callable[[Session], int]] = {"floor": floor, "summary": summary}
        if args.naive_accounts:
            runs["naive"] = lambda session: naive(session, args.naive_accounts)
        per_account: dict[str, float] = {}
        for name, run in runs.items():
            seconds, count = timed(engine, run)
            accounts = count if name == "naive" else args.accounts
            per_account[name] = seconds / accounts
            print(f"{name:8s} {seconds:7.2f} s for {accounts:,} accounts")
        memory = {name: peak_memory(engine, runs[name]) for name in ("floor", "summary")}
        engine.dispose()
    ours = per_account["summary"]
    print(f"summary / floor (fetch only), time: {ours / per_account['floor']:.2f}x")
    if "naive" in per_account:
        print(
            f"naive (3 queries per account) / summary, time per account: "
            f"{per_account['naive'] / ours:.1f}x"
        )
    print(f"summary: {1 / ours:,.0f} accounts per second")
    print(
        f"peak Python memory: summary {memory['summary']:.1f} MiB, floor {memory['floor']:.1f} MiB"
        f" ({memory['summary'] / memory['floor']:.2f}x); "
        f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )


if __name__ == "__main__":
    main()
