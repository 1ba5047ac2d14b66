"""Repayment plans and settlements: the maker's proposal and the checker's decision.

Amounts come from what the case owes (``arrangements``); a proposal outside the policy's
auto-approval bounds waits for a checker (maker-checker). Keyword-only; flush, never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from arrears.cases import service as case_service
from arrears.cases.models import WorkOrder
from arrears.kit import audit
from arrears.kit.clock import clock
from arrears.kit.errors import BadInput, Conflict, NotFound, RuleRefused
from arrears.kit.money import ZERO, round_money, to_decimal
from arrears.promises import arrangements, repository
from arrears.promises import service as promise_service
from arrears.promises.models import PlanInstalment, RepaymentPlan
from arrears.promises.plans import (
    FREQUENCIES,
    Instalment,
    check_approver,
    check_instalments,
    needs_checker,
    schedule,
    settlement_amount,
)


def propose_plan(
    *,
    session: Session,
    work_order_id: int,
    instalments: int | None = None,
    first_due_on: date,
    frequency: str = "monthly",
    amounts: Sequence[object] | None = None,
    due_dates: Sequence[date] | None = None,
    total: object | None = None,
    actor: str,
    expected_version: int | None = None,
    supersede: bool = False,
) -> RepaymentPlan:
    """An instalment plan over what the case owes today: n instalments from a first date, or the
    collector's own amounts, which must sum to that total to the cent.

    ``total`` is not the caller's to choose: without it the plan covers what is owed; with it,
    it may cover less only down to the policy's ``plan.min_cover`` share (1.00 by default, so a
    typed total must equal what is owed)."""
    wo = arrangements.open_case(session, work_order_id, expected_version)
    rules = promise_service.policy()
    owed = arrangements.owed_or_refuse(session=session, work_order=wo)
    value = owed if total is None else arrangements.amount(total, "total", wo.currency)
    floor = round_money(owed * rules.plan.min_cover, wo.currency)
    if value > owed:
        raise RuleRefused(f"a plan of {value} is more than case {wo.id} owes today ({owed})")
    if value < floor:
        raise RuleRefused(
            f"a plan must cover at least {floor} of the {owed} {wo.currency} case {wo.id} owes "
            f"today (policy plan.min_cover {rules.plan.min_cover}); {value} is less"
        )
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
            Instalment(
                seq=i + 1,
                due_on=dates[i],
                amount=arrangements.amount(a, f"amounts[{i}]", wo.currency),
            )
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
        balance=owed,
        discount=Decimal(0),
        rows=plan_rows,
        frequency=frequency,
        at_stake=value,
        actor=actor,
        supersede=supersede,
    )


def propose_settlement(
    *,
    session: Session,
    work_order_id: int,
    discount: object,
    due_on: date,
    actor: str,
    expected_version: int | None = None,
    supersede: bool = False,
) -> RepaymentPlan:
    """A settlement offer: what the case owes today less a discount, in one payment by
    ``due_on``. The balance is the store's, never the caller's."""
    wo = arrangements.open_case(session, work_order_id, expected_version)
    try:
        share = to_decimal(discount)
    except ValueError as exc:
        raise BadInput(f"discount: {exc}") from exc
    if due_on < clock.today():
        raise BadInput(f"the settlement date {due_on} is in the past")
    owed = arrangements.owed_or_refuse(session=session, work_order=wo)
    pay = settlement_amount(
        balance=owed,
        discount=share,
        rules=promise_service.policy().settlement,
        currency=wo.currency,
    )
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
        supersede=supersede,
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
    supersede: bool,
) -> RepaymentPlan:
    total = sum((r.amount for r in rows), ZERO)
    checker_needed = needs_checker(
        kind=kind,
        at_stake=at_stake,
        instalments=len(rows),
        covers_owed=kind == "settlement" or total >= balance,
        rules=promise_service.policy().approval,
    )
    superseded = arrangements.make_way(
        session=session, work_order=wo, new=kind, supersede=supersede, actor=actor
    )
    now = clock.now()
    plan = RepaymentPlan(
        work_order_id=wo.id,
        kind=kind,
        balance=balance,
        discount=discount,
        total=total,
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
        after={
            **promise_service.plan_summary(plan),
            "at_stake": f"{at_stake:f}",
            "supersedes": superseded,
        },
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
            rules=promise_service.policy().approval,
        )
    elif actor == plan.maker:
        raise BadInput("the maker withdraws a proposal by cancelling it, not by rejecting it")
    before = promise_service.plan_summary(plan)
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
        after=promise_service.plan_summary(plan),
        reason=note,
    )
    session.flush()
    return plan
