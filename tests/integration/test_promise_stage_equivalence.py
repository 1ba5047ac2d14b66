"""The set-based promise stage gives the verdicts of the pure rules (``promises/reconcile.py``,
``promises/plans.py``), which the per-case loop it replaced applied case by case: a generated
book of cases with several promises (early, late, partial, over-paid, overlapping windows,
some already settled or cancelled), plans and payments, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from arrears.cases.models import WorkOrderAccount
from arrears.delinquency import PaymentFact
from arrears.kit.clock import clock
from arrears.portfolio.models import Payment
from arrears.promises import matching, nightly
from arrears.promises.models import PlanInstalment, Promise, RepaymentPlan
from arrears.promises.plans import Instalment, track
from arrears.promises.reconcile import PromiseFact, reconcile
from arrears.promises.service import policy
from tests.integration.test_cases_workflow import MORNING, seed

START = date(2026, 1, 5)
CASES = 36


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with clock.frozen(MORNING):
        yield


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randint(low * 100, high * 100)).scaleb(-2)


def generate(session: Session, rng: random.Random) -> None:
    """Cases with promises, plans and payments over two months."""
    for n in range(CASES):
        wo_id = seed(session, ref=f"G{n:03d}")
        account_id = session.scalars(
            sa.select(WorkOrderAccount.account_id).where(WorkOrderAccount.work_order_id == wo_id)
        ).one()
        for k in range(rng.randint(1, 4)):
            made = START + timedelta(days=rng.randint(0, 40))
            status = rng.choice(["pending"] * 6 + ["kept", "broken", "cancelled"])
            session.add(
                Promise(
                    work_order_id=wo_id,
                    amount=_money(rng, 50, 1500),
                    currency="CNY",
                    due_on=made + timedelta(days=rng.randint(0, 20)),
                    made_on=made,
                    channel="call",
                    status=status,
                    paid=Decimal("0.00"),
                    taken_by=f"u:{k}",
                    created_at=clock.now(),
                    updated_at=clock.now(),
                )
            )
        if rng.random() < 0.4:
            started = START + timedelta(days=rng.randint(0, 20))
            count = rng.randint(1, 4)
            amounts = [_money(rng, 100, 600) for _ in range(count)]
            plan = RepaymentPlan(
                work_order_id=wo_id,
                kind="plan",
                balance=sum(amounts, Decimal(0)),
                discount=Decimal(0),
                total=sum(amounts, Decimal(0)),
                currency="CNY",
                frequency="weekly",
                instalment_count=count,
                first_due_on=started + timedelta(days=7),
                status="active",
                needs_checker=False,
                maker="u:m",
                missed=0,
                # Late in the UTC day: the plan starts on its UTC date on both stores.
                created_at=datetime.combine(started, time(23, 30), tzinfo=UTC),
                updated_at=clock.now(),
            )
            session.add(plan)
            session.flush()
            for seq, amount in enumerate(amounts, start=1):
                session.add(
                    PlanInstalment(
                        plan_id=plan.id,
                        seq=seq,
                        due_on=started + timedelta(days=7 * seq),
                        amount=amount,
                        status="pending",
                        paid=Decimal("0.00"),
                    )
                )
        for j in range(rng.randint(0, 7)):
            session.add(
                Payment(
                    account_id=account_id,
                    paid_on=START + timedelta(days=rng.randint(-5, 60)),
                    amount=_money(rng, 10, 900),
                    reference=f"R{n}-{j}",
                )
            )
    session.commit()


def expected(session: Session, as_of: date) -> tuple[dict[int, tuple], dict[int, tuple], dict]:
    """The pure rules, case by case, as the per-case loop applied them."""
    rules = policy()
    promises: dict[int, tuple] = {}
    instalments: dict[int, tuple] = {}
    plans: dict[int, tuple] = {}
    open_cases = set(
        session.scalars(sa.select(Promise.work_order_id).where(Promise.status == "pending"))
    ) | set(
        session.scalars(
            sa.select(RepaymentPlan.work_order_id).where(RepaymentPlan.status == "active")
        )
    )
    for wo_id in sorted(open_cases):
        account_ids = session.scalars(
            sa.select(WorkOrderAccount.account_id).where(WorkOrderAccount.work_order_id == wo_id)
        ).all()
        payments = [
            PaymentFact(p.paid_on, p.amount, f"{p.account_id}:{p.reference}")
            for p in session.scalars(sa.select(Payment).where(Payment.account_id.in_(account_ids)))
        ]
        rows = session.scalars(
            sa.select(Promise).where(Promise.work_order_id == wo_id, Promise.status != "cancelled")
        ).all()
        for r in reconcile(
            promises=[PromiseFact(p.id, p.amount, p.due_on, p.made_on) for p in rows],
            payments=payments,
            as_of=as_of,
            rules=rules.promise,
        ):
            promises[r.id] = (r.status, r.paid, r.settled_on)
        for plan in session.scalars(
            sa.select(RepaymentPlan).where(
                RepaymentPlan.work_order_id == wo_id, RepaymentPlan.status == "active"
            )
        ):
            items = session.scalars(
                sa.select(PlanInstalment)
                .where(PlanInstalment.plan_id == plan.id)
                .order_by(PlanInstalment.seq)
            ).all()
            t = track(
                instalments=[Instalment(i.seq, i.due_on, i.amount) for i in items],
                payments=payments,
                started_on=plan.created_at.date(),
                as_of=as_of,
                rules=rules.plan,
            )
            plans[plan.id] = (t.status, t.missed)
            for item, result in zip(items, t.instalments, strict=True):
                instalments[item.id] = (result.status, result.paid)
    return promises, instalments, plans


@pytest.mark.parametrize("seed_value", [11, 12])
def test_sql_matching_gives_the_pure_rules_verdicts(session: Session, seed_value: int) -> None:
    generate(session, random.Random(seed_value))
    seen: set[str] = set()
    for as_of in (date(2026, 2, 1), date(2026, 2, 20), date(2026, 3, 20)):
        want_promises, want_instalments, want_plans = expected(session, as_of)
        matching.match(session, as_of=as_of, rules=policy())
        got_promises = {
            v.promise_id: (v.status, v.paid, v.settled_on)
            for v in matching.promise_verdicts(session)
        }
        got_instalments = {
            v.instalment_id: (v.status, v.paid) for v in matching.instalment_verdicts(session)
        }
        got_plans = {v.plan_id: (v.status, v.missed) for v in matching.plan_verdicts(session)}
        matching.drop(session)
        assert got_promises == want_promises, as_of
        assert got_instalments == want_instalments, as_of
        assert got_plans == want_plans, as_of
        seen |= {s for s, _, _ in want_promises.values()}
        seen |= {s for s, _ in want_instalments.values()}
    # The book exercises every verdict.
    assert seen >= {"kept", "pending", "partially_kept", "broken", "missed"}
    session.rollback()


def test_the_stage_writes_the_pure_rules_verdicts(session: Session) -> None:
    generate(session, random.Random(7))
    as_of = date(2026, 3, 1)
    want_promises, want_instalments, want_plans = expected(session, as_of)
    pending = set(session.scalars(sa.select(Promise.id).where(Promise.status == "pending")))
    active = set(
        session.scalars(sa.select(RepaymentPlan.id).where(RepaymentPlan.status == "active"))
    )
    with clock.frozen(datetime(2026, 3, 2, 2, tzinfo=UTC)):
        counts = nightly.reconcile_all(session=session, actor="system:reconcile", as_of=as_of)
        session.commit()
    assert counts["skipped"] == 0
    session.expire_all()
    for promise in session.scalars(sa.select(Promise).where(Promise.id.in_(pending))):
        assert (promise.status, promise.paid, promise.settled_on) == want_promises[promise.id]
    for item in session.scalars(sa.select(PlanInstalment)):
        if item.plan_id in active:
            assert (item.status, item.paid) == want_instalments[item.id]
    for plan in session.scalars(sa.select(RepaymentPlan).where(RepaymentPlan.id.in_(active))):
        assert (plan.status, plan.missed) == want_plans[plan.id]
