"""Allocation through the operational store: read live work orders, allocate, persist in bulk.

Times ``allocation_service.allocate`` end to end (queries, the pure core, bulk INSERT of
assignments, bulk UPDATE of work-order status, audit) against the pure core alone on the same
input, side by side, for a first run, an idempotent re-run and a run after 2% of staff leave.

    python bench/allocation_store.py [--cases 100000] [--url postgresql+psycopg://.../db]
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa

from arrears.cases.models import WorkOrder
from arrears.kit.db import make_engine, unit_of_work
from arrears.migrations import runner
from arrears.portfolio.models import Cardholder
from arrears.workforce import allocation as al
from arrears.workforce import (
    allocation_pass,
    allocation_service,
    demo_roster,
    policies,
    staff_service,
)
from arrears.workforce import repository as repo
from arrears.workforce.models import Staff

AS_OF = date(2026, 11, 29)
NOW = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
LEVELS = (
    ["junior"] * 55 + ["intermediate"] * 30 + ["advanced"] * 10 + ["legal"] * 3 + ["outsource"] * 2
)


def load(url: str, n: int, seed: int) -> None:
    engine = make_engine(url)
    rng = random.Random(seed)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(Cardholder),
            [
                {
                    "external_ref": f"C{i:08d}",
                    "name": f"Customer {i}",
                    "language": "en" if i % 20 == 0 else "zh-CN",
                    "created_at": NOW,
                }
                for i in range(n)
            ],
        )
        ids = [r[0] for r in conn.execute(sa.select(Cardholder.id).order_by(Cardholder.id))]
        rows = []
        for i, holder in enumerate(ids):
            rows.append(
                {
                    "cardholder_id": holder,
                    "customer_ref": f"C{i:08d}",
                    "status": "open",
                    "bucket": rng.choice(["M1", "M2", "M3", "M4", "M5"]),
                    "dpd": 40,
                    "amount_due": Decimal("500.00"),
                    "balance": Decimal(rng.randint(100_00, 5_000_000)) / 100,
                    "level": rng.choice(LEVELS),
                    "queue": "default",
                    "treatments": [],
                    "extra": {},
                    "opened_on": AS_OF,
                    "created_at": NOW,
                    "updated_at": NOW,
                    "version": 1,
                    "problem_customer": rng.random() < 0.03,
                }
            )
        for start in range(0, len(rows), 10_000):
            conn.execute(sa.insert(WorkOrder), rows[start : start + 10_000])
    engine.dispose()


def pure_only(url: str) -> float:
    """The pure core on the same input the service builds (no writes)."""
    engine = make_engine(url)
    with unit_of_work(engine) as session:
        members = repo.allocatable_staff(session)
        work_orders = repo.live_work_orders(session)
    policy = policies.training_policy()
    staff_in = [
        al.StaffIn(
            id=m.id,
            grade=m.grade,
            capacity=m.capacity,
            levels=frozenset(m.levels),
            trained_levels=frozenset(al.STAFF_LEVELS),
            languages=frozenset(m.languages),
            status=m.status,
        )
        for m in members
    ]
    cases = [
        al.CaseIn(
            id=w.id,
            level=w.level,
            bucket=w.bucket,
            balance_cents=int(w.balance * 100),
            language=w.language,
            problem_customer=bool(w.problem_customer),
        )
        for w in work_orders
    ]
    del policy
    t0 = time.perf_counter()
    allocation_pass.allocate(cases, staff_in, rules=policies.allocation_rules(), as_of=AS_OF)
    engine.dispose()
    return time.perf_counter() - t0


def timed_allocate(url: str) -> tuple[float, dict[str, int]]:
    engine = make_engine(url)
    t0 = time.perf_counter()
    with unit_of_work(engine) as session:
        out = allocation_service.allocate(session=session, as_of=AS_OF, actor="bench")
    elapsed = time.perf_counter() - t0
    engine.dispose()
    return elapsed, out.reasons


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--url", default="")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    url = args.url or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    runner.upgrade(url)
    t0 = time.perf_counter()
    load(url, args.cases, args.seed)
    staff_n = max(args.cases // 500, 10)
    engine = make_engine(url)
    with unit_of_work(engine) as session:
        demo_roster.seed_roster(
            session=session,
            officers=int(staff_n * 0.85),
            seniors=int(staff_n * 0.15),
            leads=max(staff_n // 50, 1),
            seed=args.seed,
            agencies=1,
        )
        session.execute(sa.update(Staff).values(capacity=1000))
    print(f"{args.cases:,} work orders, {staff_n:,}+ staff on {url.split(':')[0]}")
    print(f"(loaded in {time.perf_counter() - t0:.1f} s)")

    pure = pure_only(url)
    first, reasons = timed_allocate(url)
    print(f"first run   : store {first:6.2f} s  pure core {pure:6.2f} s  ratio {first / pure:5.1f}")
    print(f"  reasons {reasons}")
    again, reasons = timed_allocate(url)
    print(f"re-run      : store {again:6.2f} s  (idempotent: {reasons})")
    with unit_of_work(engine) as session:
        codes = list(
            session.scalars(sa.select(Staff.code).where(Staff.grade == "collection_officer"))
        )
        for code in codes[: max(len(codes) // 50, 1)]:
            staff_service.leave(session=session, code=code, on=AS_OF, actor="bench")
    after, reasons = timed_allocate(url)
    moved = reasons.get("assignee_left", 0)
    print(f"2% leave    : store {after:6.2f} s  ({moved:,} cases moved)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS): {peak:.0f} MiB")
    engine.dispose()


if __name__ == "__main__":
    main()
