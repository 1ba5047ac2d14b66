"""The nightly promise stage: every pending promise and active plan marked against payments.

Runs as the daily cycle's first stage and on demand (`arrears cases reconcile`, the API).
Keyword-only; flush, never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from arrears.cases import repository as case_repository
from arrears.cases import service as case_service
from arrears.cases.models import WorkOrder
from arrears.delinquency import PaymentFact
from arrears.kit import audit
from arrears.kit.clock import clock
from arrears.portfolio import repository as portfolio_repository
from arrears.promises import repository
from arrears.promises.models import RepaymentPlan
from arrears.promises.plans import Instalment, track
from arrears.promises.reconcile import PromiseFact, reconcile
from arrears.promises.service import plan_summary, policy, promise_dict


def _payments(session: Session, wo: WorkOrder, since: date | None) -> list[PaymentFact]:
    refs = [a.account_ref for a in case_repository.accounts_of(session, wo.id)]
    ids = [a.id for a in portfolio_repository.accounts_by_ref(session, refs)]
    return [
        PaymentFact(p.paid_on, p.amount, f"{p.account_id}:{p.reference}")
        for p in portfolio_repository.payments_of(session, ids, since=since)
    ]


def reconcile_case(
    *, session: Session, work_order_id: int, actor: str, as_of: date | None = None
) -> dict[str, Any]:
    """Mark the case's promises and plan instalments against its accounts' payments."""
    as_of = as_of or clock.today()
    wo = case_service.get(session=session, work_order_id=work_order_id)
    rules = policy()
    promises = [p for p in repository.promises_of(session, wo.id) if p.status != "cancelled"]
    earliest = min((p.made_on for p in promises), default=None)
    plans = [p for p in repository.plans_of(session, wo.id) if p.status == "active"]
    plan_start = min((p.created_at.date() for p in plans), default=None)
    since = min((d for d in (earliest, plan_start) if d is not None), default=None)
    payments = _payments(session, wo, since) if since else []
    changed: list[dict[str, Any]] = []

    results = reconcile(
        promises=[PromiseFact(p.id, p.amount, p.due_on, p.made_on) for p in promises],
        payments=payments,
        as_of=as_of,
        rules=rules.promise,
    )
    by_id = {p.id: p for p in promises}
    newly_broken = 0
    newly_kept = 0
    for result in results:
        promise = by_id[result.id]
        if (promise.status, promise.paid) == (result.status, result.paid):
            continue
        before = {"status": promise.status, "paid": f"{promise.paid:f}"}
        # A final verdict stands: later payments do not re-open a broken promise.
        if promise.status in ("kept", "partially_kept", "broken"):
            continue
        promise.status = result.status
        promise.paid = result.paid
        promise.settled_on = result.settled_on
        promise.updated_at = clock.now()
        case_service.flush(session, f"promise {promise.id}")
        audit.record(
            session,
            actor=actor,
            action="promise.reconcile",
            entity="promise",
            entity_id=promise.id,
            before=before,
            after={"status": promise.status, "paid": f"{promise.paid:f}"},
            reason=f"reconciled as of {as_of.isoformat()}",
        )
        changed.append({"promise_id": promise.id, "status": promise.status})
        if promise.status == "broken" or promise.status == "partially_kept":
            newly_broken += promise.status == "broken"
            case_service.schedule_follow_up(
                session=session,
                work_order_id=wo.id,
                due_on=max(as_of, clock.today()) + timedelta(days=rules.promise.follow_up_days),
                kind="broken_promise",
                note=f"promise {promise.id} {promise.status.replace('_', ' ')}: "
                f"{promise.paid} of {promise.amount} paid",
                actor=actor,
                source=f"promise:{promise.id}",
            )
        elif promise.status == "kept":
            newly_kept += 1
    if newly_broken:
        before_count = wo.broken_promises
        wo.broken_promises = before_count + newly_broken
        wo.updated_at = clock.now()
        case_service.flush(session, f"case {wo.id}")
        audit.record(
            session,
            actor=actor,
            action="work_order.broken_promises",
            entity="work_order",
            entity_id=wo.id,
            before={"broken_promises": before_count},
            after={"broken_promises": wo.broken_promises},
        )
        case_service.move_if_legal(
            session=session, work_order=wo, to="broken", actor=actor, reason="promise broken"
        )
    elif newly_kept and not any(p.status == "pending" for p in promises):
        case_service.move_if_legal(
            session=session, work_order=wo, to="kept", actor=actor, reason="promise kept"
        )
    plan_changes = [
        track_plan(session=session, plan=plan, payments=payments, as_of=as_of, actor=actor)
        for plan in plans
    ]
    session.flush()
    return {
        "work_order_id": wo.id,
        "as_of": as_of,
        "status": wo.status,
        "promises": [promise_dict(p) for p in promises],
        "changed": changed,
        "plans": [c for c in plan_changes if c],
    }


def reconcile_all(*, session: Session, actor: str, as_of: date | None = None) -> dict[str, Any]:
    """Reconcile every case with a pending promise or an active plan."""
    counts: dict[str, int] = {"cases": 0, "kept": 0, "partially_kept": 0, "broken": 0}
    for work_order_id in repository.work_orders_with_open_items(session):
        result = reconcile_case(
            session=session, work_order_id=work_order_id, actor=actor, as_of=as_of
        )
        counts["cases"] += 1
        for change in result["changed"]:
            if change["status"] in counts:
                counts[change["status"]] += 1
    return counts


def track_plan(
    *,
    session: Session,
    plan: RepaymentPlan,
    payments: Sequence[PaymentFact],
    as_of: date,
    actor: str,
) -> dict[str, Any] | None:
    rows = repository.instalments(session, plan.id)
    result = track(
        instalments=[Instalment(r.seq, r.due_on, r.amount) for r in rows],
        payments=payments,
        started_on=plan.created_at.date(),
        as_of=as_of,
        rules=policy().plan,
    )
    changed = False
    for row, status in zip(rows, result.instalments, strict=True):
        if (row.status, row.paid) != (status.status, status.paid):
            row.status, row.paid = status.status, status.paid
            changed = True
    if result.status != plan.status or result.missed != plan.missed:
        before = plan_summary(plan)
        plan.status = result.status
        plan.missed = result.missed
        plan.updated_at = clock.now()
        case_service.flush(session, f"plan {plan.id}")
        audit.record(
            session,
            actor=actor,
            action="plan.track",
            entity="repayment_plan",
            entity_id=plan.id,
            before=before,
            after=plan_summary(plan),
            reason=f"tracked as of {as_of.isoformat()}",
        )
        if plan.status == "broken":
            case_service.schedule_follow_up(
                session=session,
                work_order_id=plan.work_order_id,
                due_on=max(as_of, clock.today()) + timedelta(days=1),
                kind="plan_missed",
                note=f"plan {plan.id} broken after {plan.missed} missed instalments",
                actor=actor,
                source=f"plan:{plan.id}",
            )
        changed = True
    session.flush()
    return plan_summary(plan) if changed else None
