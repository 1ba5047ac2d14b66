"""Promises to pay, reconciliation with payments, repayment plans, settlements, maker-checker.
Keyword-only; flush, never commit. No reconciliation for a day after the center's today.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from arrears.cases import service as case_service
from arrears.cases.models import WorkOrder
from arrears.kit import audit
from arrears.kit.clock import clock
from arrears.kit.errors import BadInput, Conflict, NotFound
from arrears.kit.money import ZERO, round_money, to_decimal
from arrears.promises import repository
from arrears.promises.models import PlanInstalment, Promise, RepaymentPlan
from arrears.promises.plans import (
    FREQUENCIES,
    Instalment,
    PlanOption,
    check_approver,
    check_instalments,
    needs_checker,
    plan_options,
    schedule,
    settlement_amount,
)
from arrears.promises.policy import PromisePolicy, load_promise_policy
from arrears.vocabulary import CHANNELS

# How far ahead a promise may be dated: further out it is a plan, not a promise.
MAX_PROMISE_DAYS = 90


@lru_cache(maxsize=8)
def policy(name: str = "default") -> PromisePolicy:
    return load_promise_policy(name)


def _amount(value: object, what: str, currency: str) -> Decimal:
    try:
        amount = to_decimal(value)
    except ValueError as exc:
        raise BadInput(f"{what}: {exc}") from exc
    if amount <= ZERO:
        raise BadInput(f"{what} must be positive (got {amount})")
    if round_money(amount, currency) != amount:
        raise BadInput(f"{what} has more decimals than {currency} allows (got {amount})")
    return amount


def _open_case(session: Session, work_order_id: int, expected_version: int | None) -> WorkOrder:
    wo = case_service.get(session=session, work_order_id=work_order_id)
    case_service.check_version(wo, expected_version)
    if wo.status == "closed":
        raise BadInput(f"case {wo.id} is closed ({wo.close_reason})")
    return wo


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
) -> Promise:
    """Record a promise to pay; the case moves to ``promised`` and its next action to the date."""
    wo = _open_case(session, work_order_id, expected_version)
    value = _amount(amount, "amount", wo.currency)
    today = clock.today()
    if channel not in CHANNELS:
        raise BadInput(f"channel must be one of: {', '.join(CHANNELS)} (got {channel!r})")
    if due_on < today:
        raise BadInput(f"the promise date {due_on} is in the past (today is {today})")
    if due_on > today + timedelta(days=MAX_PROMISE_DAYS):
        raise BadInput(
            f"a promise can be at most {MAX_PROMISE_DAYS} days ahead; propose a plan instead"
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
        after=_plain(promise_dict(promise)),
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


def propose_plan(
    *,
    session: Session,
    work_order_id: int,
    total: object,
    instalments: int | None = None,
    first_due_on: date,
    frequency: str = "monthly",
    amounts: Sequence[object] | None = None,
    due_dates: Sequence[date] | None = None,
    actor: str,
    expected_version: int | None = None,
) -> RepaymentPlan:
    """An instalment plan: n instalments from a first date, or the collector's own amounts,
    which must sum to the total to the cent."""
    wo = _open_case(session, work_order_id, expected_version)
    value = _amount(total, "total", wo.currency)
    rules = policy()
    if frequency not in FREQUENCIES:
        raise BadInput(f"frequency must be one of: {', '.join(FREQUENCIES)} (got {frequency!r})")
    if amounts is not None:
        if due_dates is not None and len(due_dates) != len(amounts):
            raise BadInput("give one due date per instalment amount")
        dates = (
            list(due_dates)
            if due_dates is not None
            else [
                i.due_on
                for i in schedule(
                    total=Decimal(len(amounts)),
                    n=len(amounts),
                    first_due=first_due_on,
                    frequency=frequency,
                )
            ]
        )
        plan_rows = [
            Instalment(seq=i + 1, due_on=dates[i], amount=_amount(a, f"amounts[{i}]", wo.currency))
            for i, a in enumerate(amounts)
        ]
    else:
        if instalments is None:
            raise BadInput("give instalments (a count) or amounts")
        if instalments > rules.plan.max_instalments:
            raise BadInput(
                f"a plan may have at most {rules.plan.max_instalments} instalments "
                f"(got {instalments})"
            )
        plan_rows = schedule(
            total=value,
            n=instalments,
            first_due=first_due_on,
            frequency=frequency,
            currency=wo.currency,
        )
    check_instalments(total=value, instalments=plan_rows, rules=rules.plan, today=clock.today())
    return _save_plan(
        session=session,
        wo=wo,
        kind="plan",
        balance=value,
        discount=Decimal(0),
        rows=plan_rows,
        frequency=frequency,
        at_stake=value,
        actor=actor,
    )


def propose_settlement(
    *,
    session: Session,
    work_order_id: int,
    balance: object,
    discount: object,
    due_on: date,
    actor: str,
    expected_version: int | None = None,
) -> RepaymentPlan:
    """A settlement offer: the balance less a discount, in one payment by ``due_on``."""
    wo = _open_case(session, work_order_id, expected_version)
    owed = _amount(balance, "balance", wo.currency)
    try:
        share = to_decimal(discount)
    except ValueError as exc:
        raise BadInput(f"discount: {exc}") from exc
    pay = settlement_amount(
        balance=owed, discount=share, rules=policy().settlement, currency=wo.currency
    )
    if due_on < clock.today():
        raise BadInput(f"the settlement date {due_on} is in the past")
    rows = [Instalment(seq=1, due_on=due_on, amount=pay)]
    return _save_plan(
        session=session,
        wo=wo,
        kind="settlement",
        balance=owed,
        discount=share,
        rows=rows,
        frequency="monthly",
        at_stake=owed - pay,
        actor=actor,
    )


def _save_plan(
    *,
    session: Session,
    wo: WorkOrder,
    kind: str,
    balance: Decimal,
    discount: Decimal,
    rows: Sequence[Instalment],
    frequency: str,
    at_stake: Decimal,
    actor: str,
) -> RepaymentPlan:
    checker_needed = needs_checker(kind=kind, at_stake=at_stake, rules=policy().approval)
    now = clock.now()
    plan = RepaymentPlan(
        work_order_id=wo.id,
        kind=kind,
        balance=balance,
        discount=discount,
        total=sum((r.amount for r in rows), ZERO),
        currency=wo.currency,
        frequency=frequency,
        instalment_count=len(rows),
        first_due_on=rows[0].due_on,
        status="proposed" if checker_needed else "active",
        needs_checker=checker_needed,
        maker=actor,
        missed=0,
        created_at=now,
        updated_at=now,
    )
    session.add(plan)
    session.flush()
    for row in rows:
        session.add(
            PlanInstalment(
                plan_id=plan.id,
                seq=row.seq,
                due_on=row.due_on,
                amount=row.amount,
                status="pending",
                paid=Decimal("0.00"),
            )
        )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=f"{kind}.propose",
        entity="repayment_plan",
        entity_id=plan.id,
        after={**plan_summary(plan), "at_stake": f"{at_stake:f}"},
    )
    session.flush()
    return plan


def decide_plan(
    *,
    session: Session,
    plan_id: int,
    approve: bool,
    actor: str,
    role: str,
    note: str | None = None,
    expected_version: int | None = None,
) -> RepaymentPlan:
    """The checker's decision. Only a role whose limit covers the amount at stake may approve."""
    plan = repository.plan(session, plan_id)
    if plan is None:
        raise NotFound(f"no plan {plan_id}")
    if expected_version is not None and expected_version != plan.version:
        raise Conflict(f"plan {plan_id} was changed by someone else: reload and try again")
    if plan.status != "proposed":
        raise Conflict(f"plan {plan_id} is {plan.status}, not waiting for approval")
    at_stake = plan.total if plan.kind == "plan" else plan.balance - plan.total
    if approve:
        check_approver(
            at_stake=at_stake,
            maker=plan.maker,
            checker=actor,
            checker_role=role,
            rules=policy().approval,
        )
    elif actor == plan.maker:
        raise BadInput("the maker withdraws a proposal by cancelling it, not by rejecting it")
    before = plan_summary(plan)
    plan.status = "active" if approve else "rejected"
    plan.checker = actor
    plan.checker_role = role
    plan.decided_at = clock.now()
    plan.decision_note = note
    plan.updated_at = clock.now()
    case_service.flush(session, f"plan {plan.id}")
    audit.record(
        session,
        actor=actor,
        action=f"{plan.kind}.{'approve' if approve else 'reject'}",
        entity="repayment_plan",
        entity_id=plan.id,
        before=before,
        after=plan_summary(plan),
        reason=note,
    )
    session.flush()
    return plan


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
