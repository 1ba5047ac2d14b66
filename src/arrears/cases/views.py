"""What a case looks like to the API and the CLI: one function builds it from the services."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from arrears.cases import service as case_service
from arrears.cases.models import WorkOrder
from arrears.cases.schemas import AccountOwedOut, BreakdownItemOut, CaseSummary
from arrears.cases.states import allowed_from
from arrears.kit.serialize import jsonable


def case_summary(wo: WorkOrder) -> CaseSummary:
    """The case's header as the API answers it (and the CLI prints it)."""
    return CaseSummary(
        id=wo.id,
        customer_ref=wo.customer_ref,
        status=wo.status,
        close_reason=wo.close_reason,
        hold_reason=wo.hold_reason,
        escalated_to=(wo.extra or {}).get("escalated_to"),
        bucket=wo.bucket,
        dpd=wo.dpd,
        amount_due=wo.amount_due,
        balance=wo.balance,
        currency=wo.currency,
        level=wo.level,
        queue=wo.queue,
        priority=wo.priority,
        problem_customer=wo.problem_customer,
        broken_promises=wo.broken_promises,
        next_action_on=wo.next_action_on,
        opened_on=wo.opened_on,
        closed_on=wo.closed_on,
        version=wo.version,
        allowed_transitions=list(allowed_from(wo.status)),
    )


def summary(wo: WorkOrder) -> dict[str, Any]:
    """``case_summary`` as JSON-ready values (amounts as exact strings)."""
    return jsonable(case_summary(wo).model_dump())


def breakdown(session: Session, work_order_id: int) -> list[AccountOwedOut]:
    """What each of the case's accounts owes and why, as of today."""
    return [
        AccountOwedOut(
            account_ref=p.account_ref,
            as_of=p.breakdown.as_of,
            currency=p.breakdown.currency,
            dpd=p.breakdown.aging.dpd,
            bucket=p.breakdown.aging.bucket,
            amount_past_due=p.breakdown.aging.amount_past_due,
            principal=p.breakdown.principal,
            interest=p.breakdown.interest,
            fees=p.breakdown.fees,
            payments=p.breakdown.payments,
            total_due=p.breakdown.total_due,
            items=[
                BreakdownItemOut(kind=i.kind, amount=i.amount, explanation=dict(i.explanation))
                for i in p.breakdown.items
            ],
        )
        for p in case_service.breakdowns(session=session, work_order_id=work_order_id)
    ]
