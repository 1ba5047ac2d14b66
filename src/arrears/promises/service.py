"""Promises to pay, reconciliation with payments, plan tracking, and how promises and plans
are shown. Plans and settlements are proposed and decided in ``plan_service``.

Keyword-only; flush, never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from arrears.cases import repository as case_repository
from arrears.cases import service as case_service
from arrears.cases.models import WorkOrder
from arrears.delinquency import PaymentFact
from arrears.kit import audit
from arrears.kit.clock import clock
from arrears.kit.errors import BadInput, RuleRefused
from arrears.portfolio import repository as portfolio_repository
from arrears.promises import arrangements, repository
from arrears.promises.models import Promise, RepaymentPlan
from arrears.promises.plans import (
    Instalment,
    PlanOption,
    plan_options,
    track,
)
from arrears.promises.policy import PromisePolicy, load_promise_policy
from arrears.promises.reconcile import PromiseFact, reconcile
from arrears.vocabulary import CHANNELS

# How far ahead a promise may be dated: further out it is a plan, not a promise.
MAX_PROMISE_DAYS = 90


@lru_cache(maxsize=8)
def policy(name: str = "default") -> PromisePolicy:
    return load_promise_policy(name)


# --- promises ----------------------------------------------------------------------------------


def take_promise(
    *,
    session: Session,
    work_order_id: int,
    amount: object,
    due_on: date,
    channel: str,
    actor: str,
    contact_attempt_id: int | None = None,
    expected_version: int | None = None,
    supersede: bool = False,
) -> Promise:
    """Record a promise to pay; the case moves to ``promised`` and its next action to the date.

    The amount is at most what the case owes today; a live promise, plan or settlement on the
    case is replaced only with ``supersede``."""
    wo = arrangements.open_case(session, work_order_id, expected_version)
    value = arrangements.amount(amount, "amount", wo.currency)
    today = clock.today()
    if channel not in CHANNELS:
        raise BadInput(f"channel must be one of: {', '.join(CHANNELS)} (got {channel!r})")
    if due_on < today:
        raise BadInput(f"the promise date {due_on} is in the past (today is {today})")
    if due_on > today + timedelta(days=MAX_PROMISE_DAYS):
        raise BadInput(
            f"a promise can be at most {MAX_PROMISE_DAYS} days ahead; propose a plan instead"
        )
    owed = arrangements.owed_or_refuse(session=session, work_order=wo)
    if value > owed:
        raise RuleRefused(
            f"a promise of {value} is more than case {wo.id} owes today ({owed} {wo.currency})"
        )
    superseded = arrangements.make_way(
        session=session, work_order=wo, new="promise", supersede=supersede, actor=actor
    )
    now = clock.now()
    promise = Promise(
        work_order_id=wo.id,
        contact_attempt_id=contact_attempt_id,
        amount=value,
        currency=wo.currency,
        due_on=due_on,
        made_on=today,
        channel=channel,
        status="pending",
        paid=Decimal("0.00"),
        taken_by=actor,
        created_at=now,
        updated_at=now,
    )
    session.add(promise)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="promise.take",
        entity="promise",
        entity_id=promise.id,
        after={**_plain(promise_dict(promise)), "owed": f"{owed:f}", "supersedes": superseded},
    )
    case_service.move_if_legal(
        session=session, work_order=wo, to="promised", actor=actor, reason="promise to pay taken"
    )
    grace = policy().promise.grace_days
    wo.next_action_on = due_on + timedelta(days=grace + 1)
    wo.updated_at = now
    case_service.flush(session, f"case {wo.id}")
    return promise


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """JSON-safe copy for the audit trail: amounts and dates as strings."""
    return {
        k: (f"{v:f}" if isinstance(v, Decimal) else v.isoformat() if isinstance(v, date) else v)
        for k, v in values.items()
    }


def latest_promise(*, session: Session, work_order_id: int) -> Promise | None:
    found = repository.promises_of(session, work_order_id)
    return max(found, key=lambda p: (p.made_on, p.id)) if found else None


def promise_dict(p: Promise) -> dict[str, Any]:
    return {
        "id": p.id,
        "work_order_id": p.work_order_id,
        "amount": p.amount,
        "currency": p.currency,
        "due_on": p.due_on,
        "made_on": p.made_on,
        "channel": p.channel,
        "status": p.status,
        "paid": p.paid,
        "settled_on": p.settled_on,
        "taken_by": p.taken_by,
        "version": p.version,
    }


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


# --- plans and settlements ---------------------------------------------------------------------


def options_for(
    *, total_due: Decimal, amount_past_due: Decimal, dpd: int, currency: str
) -> list[PlanOption]:
    rules = policy()
    return plan_options(
        total_due=total_due,
        amount_past_due=amount_past_due,
        dpd=dpd,
        offers=rules.offers,
        plan_rules=rules.plan,
        settlement_rules=rules.settlement,
        currency=currency,
    )


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


def plan_summary(plan: RepaymentPlan) -> dict[str, Any]:
    return {
        "id": plan.id,
        "work_order_id": plan.work_order_id,
        "kind": plan.kind,
        "status": plan.status,
        "balance": f"{plan.balance:f}",
        "discount": f"{plan.discount:f}",
        "total": f"{plan.total:f}",
        "instalment_count": plan.instalment_count,
        "first_due_on": plan.first_due_on.isoformat(),
        "frequency": plan.frequency,
        "needs_checker": plan.needs_checker,
        "maker": plan.maker,
        "checker": plan.checker,
        "missed": plan.missed,
        "version": plan.version,
    }


def plan_dict(*, session: Session, plan: RepaymentPlan) -> dict[str, Any]:
    return {
        **plan_summary(plan),
        "instalments": [
            {
                "seq": r.seq,
                "due_on": r.due_on,
                "amount": r.amount,
                "status": r.status,
                "paid": r.paid,
            }
            for r in repository.instalments(session, plan.id)
        ],
    }
