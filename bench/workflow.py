"""Workflow benchmark: logging one contact attempt through the compliance gate.

Side by side in one process, on a migrated SQLite store with one case whose customer has a
month of history (``--history`` made attempts): ``contacts.service.log_attempt`` (load the case,
build the compliance question from the store, decide, record the decision, insert the attempt and
its audit event, flush) against a baseline that only inserts the same attempt row and audit
event. Both run inside a transaction that is rolled back, so every repetition sees the same
store. Also times the pure promise reconciliation of a case with 20 promises and 200 payments.
Prints milliseconds per attempt, the ratio, and peak memory.

    python bench/workflow.py [--history 60] [--loops 200]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy.orm import Session

from arrears.cases.models import WorkOrder, WorkOrderAccount
from arrears.contacts.models import ContactAttempt
from arrears.contacts.schemas import ContactIn
from arrears.delinquency import PaymentFact
from arrears.kit import audit
from arrears.kit.clock import clock
from arrears.kit.db import make_engine
from arrears.migrations import runner
from arrears.portfolio.models import CardAccount, Cardholder, Phone, Statement
from arrears.promises.policy import PromiseRules
from arrears.promises.reconcile import PromiseFact, reconcile
from arrears.workbench import contact

NOW = datetime(2026, 3, 31, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def seed(session: Session, history: int) -> int:
    """One customer, one delinquent account, one live case, ``history`` made calls."""
    now = datetime(2026, 3, 2, 2, tzinfo=UTC)
    holder = Cardholder(
        external_ref="B1",
        name="Li Wei",
        identity_category="private_employee",
        created_at=now,
        language="zh-CN",
        time_zones=["Asia/Shanghai"],
        flags=[],
    )
    session.add(holder)
    session.flush()
    session.add(Phone(cardholder_id=holder.id, number="+8613800138000", type="mobile"))
    account = CardAccount(
        external_ref="A-B1",
        cardholder_id=holder.id,
        product="classic",
        credit_limit=Decimal("20000.00"),
        currency="CNY",
        statement_day=5,
        due_days=20,
        min_payment_ratio=Decimal("0.1000"),
        status="active",
    )
    session.add(account)
    session.flush()
    session.add(
        Statement(
            account_id=account.id,
            cycle_date=date(2026, 2, 5),
            due_date=date(2026, 2, 25),
            closing_balance=Decimal("5200.00"),
            minimum_due=Decimal("520.00"),
        )
    )
    wo = WorkOrder(
        cardholder_id=holder.id,
        customer_ref="B1",
        status="open",
        bucket="M2",
        dpd=36,
        amount_due=Decimal("520.00"),
        balance=Decimal("5200.00"),
        level="junior",
        queue="early",
        opened_on=now.date(),
        created_at=now,
        updated_at=now,
    )
    session.add(wo)
    session.flush()
    session.add(
        WorkOrderAccount(
            work_order_id=wo.id,
            account_ref="A-B1",
            account_id=account.id,
            bucket="M2",
            dpd=36,
            amount_due=Decimal("520.00"),
        )
    )
    wo_id = wo.id
    for i in range(history):
        at = NOW - timedelta(days=30) + timedelta(hours=12 * i % (24 * 29), minutes=i)
        session.add(
            ContactAttempt(
                work_order_id=wo_id,
                cardholder_id=holder.id,
                at=at,
                collector="u:lee",
                collector_ref="bank",
                channel="call",
                direction="outbound",
                party="debtor",
                address_used="+8613800138000",
                status="made",
                outcome="no_answer",
                compliance_allowed=True,
                compliance_rules=[],
                compliance_reason="allowed",
                compliance_profile="cn-card",
                compliance_detail={},
                created_at=at,
            )
        )
    session.commit()
    return wo_id


def timed(fn: Callable[[], object], loops: int) -> list[float]:
    samples = []
    for _ in range(loops):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--history", type=int, default=60)
    parser.add_argument("--loops", type=int, default=200)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="arrears-bench-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    runner.upgrade(url)
    engine = make_engine(url)
    with Session(engine) as s:
        wo_id = seed(s, args.history)
        wo_cardholder = s.get(WorkOrder, wo_id).cardholder_id  # type: ignore[union-attr]

    with clock.frozen(NOW), Session(engine) as session:

        def gated() -> None:
            contact.log_attempt(
                session=session,
                work_order_id=wo_id,
                body=ContactIn(channel="call", party="debtor", outcome="no_answer"),
                actor="u:lee",
            )
            session.rollback()

        def baseline() -> None:
            attempt = ContactAttempt(
                work_order_id=wo_id,
                cardholder_id=wo_cardholder,
                at=NOW,
                collector="u:lee",
                collector_ref="bank",
                channel="call",
                direction="outbound",
                party="debtor",
                address_used="+8613800138000",
                status="made",
                outcome="no_answer",
                compliance_allowed=True,
                compliance_rules=[],
                compliance_reason="",
                compliance_profile="",
                compliance_detail={},
                created_at=NOW,
            )
            session.add(attempt)
            session.flush()
            audit.record(
                session,
                actor="u:lee",
                action="contact.attempt",
                entity="contact_attempt",
                entity_id=attempt.id,
            )
            session.flush()
            session.rollback()

        gated()
        baseline()  # warm both paths (profile load, statement cache)
        g = timed(gated, args.loops)
        b = timed(baseline, args.loops)
        # Memory is measured on a separate pass: tracemalloc slows every allocation.
        tracemalloc.start()
        timed(gated, 20)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()

    promises = [
        PromiseFact(
            i, Decimal("500.00"), date(2026, 1, 1) + timedelta(days=7 * i), date(2026, 1, 1)
        )
        for i in range(20)
    ]
    payments = [
        PaymentFact(date(2026, 1, 1) + timedelta(days=i), Decimal("51.00"), f"r{i}")
        for i in range(200)
    ]
    rules = PromiseRules()
    r = timed(
        lambda: reconcile(
            promises=promises, payments=payments, as_of=date(2026, 8, 1), rules=rules
        ),
        args.loops,
    )

    def ms(xs: list[float]) -> str:
        p95 = sorted(xs)[int(len(xs) * 0.95)]
        return f"median {statistics.median(xs) * 1e3:.2f} ms, p95 {p95 * 1e3:.2f} ms"

    print(f"history: {args.history} made attempts; loops: {args.loops}")
    print(f"log_attempt through compliance: {ms(g)}")
    print(f"baseline insert + audit only:   {ms(b)}")
    print(f"ratio (gated / baseline, medians): {statistics.median(g) / statistics.median(b):.1f}x")
    print(f"reconcile 20 promises x 200 payments (pure): {ms(r)}")
    print(
        f"peak Python memory (tracemalloc): {peak / 1e6:.1f} MB; "
        f"max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )
    engine.dispose()


if __name__ == "__main__":
    main()
