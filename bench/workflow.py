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

from arrears.contacts import service as contact_service
from arrears.contacts.models import ContactAttempt
from arrears.kit import audit
from arrears.kit.clock import clock
from arrears.kit.db import make_engine
from arrears.migrations import runner
from arrears.promises.policy import PromiseRules
from arrears.promises.reconcile import PaymentFact, PromiseFact, reconcile

NOW = datetime(2026, 3, 31, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def seed(session: Session, history: int) -> int:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.integration.test_cases_workflow import seed as seed_case

    with clock.frozen(datetime(2026, 3, 2, 2, tzinfo=UTC)):
        wo_id = seed_case(session)
    for i in range(history):
        at = NOW - timedelta(days=30) + timedelta(hours=12 * i % (24 * 29), minutes=i)
        session.add(
            ContactAttempt(
                work_order_id=wo_id,
                cardholder_id=1,
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

    with clock.frozen(NOW), Session(engine) as session:

        def gated() -> None:
            contact_service.log_attempt(
                session=session,
                work_order_id=wo_id,
                channel="call",
                party="debtor",
                outcome="no_answer",
                actor="u:lee",
                at=NOW,
            )
            session.rollback()

        def baseline() -> None:
            attempt = ContactAttempt(
                work_order_id=wo_id,
                cardholder_id=1,
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
