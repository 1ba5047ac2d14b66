"""What a case looks like to the API and the CLI: one function builds it from the services."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from arrears.cases import service as case_service
from arrears.cases.models import WorkOrder
from arrears.cases.states import allowed_from
from arrears.kit.serialize import jsonable


def summary(wo: WorkOrder) -> dict[str, Any]:
    return jsonable(
        {
            "id": wo.id,
            "customer_ref": wo.customer_ref,
            "status": wo.status,
            "close_reason": wo.close_reason,
            "hold_reason": wo.hold_reason,
            "escalated_to": (wo.extra or {}).get("escalated_to"),
            "bucket": wo.bucket,
            "dpd": wo.dpd,
            "amount_due": wo.amount_due,
            "balance": wo.balance,
            "currency": wo.currency,
            "level": wo.level,
            "queue": wo.queue,
            "priority": wo.priority,
            "problem_customer": wo.problem_customer,
            "broken_promises": wo.broken_promises,
            "next_action_on": wo.next_action_on,
            "opened_on": wo.opened_on,
            "closed_on": wo.closed_on,
            "version": wo.version,
            "allowed_transitions": list(allowed_from(wo.status)),
        }
    )


def breakdown(session: Session, work_order_id: int) -> list[dict[str, Any]]:
    parts = case_service.breakdowns(session=session, work_order_id=work_order_id)
    return jsonable(
        [
            {
                "account_ref": p.account_ref,
                "as_of": p.breakdown.as_of,
                "currency": p.breakdown.currency,
                "dpd": p.breakdown.aging.dpd,
                "bucket": p.breakdown.aging.bucket,
                "amount_past_due": p.breakdown.aging.amount_past_due,
                "principal": p.breakdown.principal,
                "interest": p.breakdown.interest,
                "fees": p.breakdown.fees,
                "payments": p.breakdown.payments,
                "total_due": p.breakdown.total_due,
                "items": [
                    {"kind": i.kind, "amount": i.amount, "explanation": dict(i.explanation)}
                    for i in p.breakdown.items
                ],
            }
            for p in parts
        ]
    )
