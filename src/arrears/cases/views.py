"""What a case looks like to the API and the CLI: one function builds it from the services."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from arrears.cases import repository
from arrears.cases import service as case_service
from arrears.cases.models import WorkOrder
from arrears.cases.schemas import jsonable
from arrears.cases.states import allowed_from


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


def unlock(session: Session, wo: WorkOrder) -> dict[str, Any]:
    status = case_service.unlock_status(session=session, work_order=wo)
    return jsonable(
        {
            "unlocked": status.unlocked,
            "unlocks_on": status.unlocks_on,
            "reason": status.reason,
            "attempts_made": status.attempts_made,
            "attempts_needed": status.attempts_needed,
            "window_started_on": status.window_started_on,
            "purposes": {k: list(v) for k, v in status.purposes.items()},
        }
    )


def detail(session: Session, wo: WorkOrder) -> dict[str, Any]:
    """Everything the collector needs on one case."""
    from arrears.contacts import service as contact_service
    from arrears.promises import repository as promise_repository
    from arrears.promises import service as promise_service

    found = repository.profile(session, wo.cardholder_id)
    return {
        **summary(wo),
        "breakdown": breakdown(session, wo.id),
        "contact_persons": unlock(session, wo),
        "three_stops": jsonable(case_service.stops_summary(session=session, work_order_id=wo.id)),
        "follow_ups": jsonable(
            [
                {
                    "id": f.id,
                    "due_on": f.due_on,
                    "kind": f.kind,
                    "note": f.note,
                    "status": f.status,
                    "source": f.source,
                }
                for f in repository.follow_ups(session, wo.id)
            ]
        ),
        "profile": jsonable(case_service.profile_dict(found)) if found else None,
        "promises": jsonable(
            [
                promise_service.promise_dict(p)
                for p in promise_repository.promises_of(session, wo.id)
            ]
        ),
        "plans": jsonable(
            [
                promise_service.plan_dict(session=session, plan=p)
                for p in promise_repository.plans_of(session, wo.id)
            ]
        ),
        "contacts": jsonable(
            [
                contact_service.attempt_dict(a)
                for a in repository.attempts(session, work_order_id=wo.id)
            ]
        ),
    }
