"""JSON API for promises, reconciliation, plans, settlements and their approval."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header
from pydantic import BaseModel

from arrears.auth.dependencies import DbSession, require, require_any
from arrears.auth.policy import Principal
from arrears.cases import service as case_service
from arrears.cases import views
from arrears.kit import idempotency
from arrears.kit.schema_types import Id
from arrears.kit.serialize import jsonable
from arrears.promises import nightly as promise_nightly
from arrears.promises import plan_service, repository
from arrears.promises import service as promise_service
from arrears.promises.schemas import (
    BookReconciled,
    CaseReconciled,
    DecisionIn,
    PlanCreate,
    PlanOut,
    PromiseCreate,
    PromiseOut,
    PromiseTaken,
    ReconcileIn,
    SettlementCreate,
)
from arrears.workforce.scoping import visible_case_of, visible_work_order

router = APIRouter(tags=["promises"])

# Send one with every creating POST: a retry with the same key and body replays the first
# response (same status) and creates nothing; the same key with another body is 422.
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias=idempotency.HEADER,
        max_length=idempotency.MAX_KEY_LENGTH,
        description="a fresh key per intended record (e.g. a UUID): a retry creates nothing",
    ),
]


def _once(
    *,
    session: DbSession,
    principal: Principal,
    key: str | None,
    scope: str,
    body: BaseModel,
    create: Callable[[], dict[str, Any]],
) -> dict[str, Any]:
    return idempotency.once(
        session,
        actor=principal.actor,
        key=key,
        scope=scope,
        payload=body.model_dump(mode="json"),
        run=create,
    )


@router.post("/cases/{work_order_id}/promises", status_code=201, response_model=PromiseTaken)
def take_promise(
    work_order_id: Id,
    body: PromiseCreate,
    session: DbSession,
    idempotency_key: IdempotencyKeyHeader = None,
    principal: Principal = Depends(require("case.work")),
) -> dict[str, Any]:
    """A promise to pay an amount by a date; the case moves to promised."""
    visible_work_order(session=session, principal=principal, work_order_id=work_order_id)

    def create() -> dict[str, Any]:
        promise = promise_service.take_promise(
            session=session,
            work_order_id=work_order_id,
            amount=body.amount,
            due_on=body.due_on,
            channel=body.channel,
            contact_attempt_id=body.contact_attempt_id,
            actor=principal.actor,
            expected_version=body.version,
            supersede=body.supersede,
        )
        wo = case_service.get(session=session, work_order_id=work_order_id)
        return {**jsonable(promise_service.promise_dict(promise)), "case": views.summary(wo)}

    return _once(
        session=session,
        principal=principal,
        key=idempotency_key,
        scope=f"POST /cases/{work_order_id}/promises",
        body=body,
        create=create,
    )


@router.get("/cases/{work_order_id}/promises", response_model=list[PromiseOut])
def list_promises(
    work_order_id: Id, session: DbSession, principal: Principal = Depends(require("case.read"))
) -> list[dict[str, Any]]:
    visible_work_order(session=session, principal=principal, work_order_id=work_order_id)
    return jsonable(
        [promise_service.promise_dict(p) for p in repository.promises_of(session, work_order_id)]
    )


@router.post("/cases/{work_order_id}/reconcile", response_model=CaseReconciled)
def reconcile_case(
    work_order_id: Id,
    body: ReconcileIn,
    session: DbSession,
    principal: Principal = Depends(require("case.work")),
) -> dict[str, Any]:
    """Mark the case's promises and plan instalments against the payments received."""
    visible_work_order(session=session, principal=principal, work_order_id=work_order_id)
    result = promise_nightly.reconcile_case(
        session=session, work_order_id=work_order_id, actor=principal.actor, as_of=body.as_of
    )
    wo = case_service.get(session=session, work_order_id=work_order_id)
    return {**jsonable(result), "case": views.summary(wo)}


@router.post("/promises/reconcile", response_model=BookReconciled)
def reconcile_all(
    body: ReconcileIn, session: DbSession, principal: Principal = Depends(require("cycle.run"))
) -> dict[str, Any]:
    """Reconcile every case with a pending promise or an active plan (operations)."""
    return promise_nightly.reconcile_all(session=session, actor=principal.actor, as_of=body.as_of)


@router.post("/cases/{work_order_id}/plans", status_code=201, response_model=PlanOut)
def propose_plan(
    work_order_id: Id,
    body: PlanCreate,
    session: DbSession,
    idempotency_key: IdempotencyKeyHeader = None,
    principal: Principal = Depends(require("case.work")),
) -> dict[str, Any]:
    """An instalment plan over what the case owes; outside the policy's auto-approval bounds it
    waits for a checker."""
    visible_work_order(session=session, principal=principal, work_order_id=work_order_id)

    def create() -> dict[str, Any]:
        plan = plan_service.propose_plan(
            session=session,
            work_order_id=work_order_id,
            total=body.total,
            instalments=body.instalments,
            first_due_on=body.first_due_on,
            frequency=body.frequency,
            amounts=body.amounts,
            due_dates=body.due_dates,
            actor=principal.actor,
            expected_version=body.version,
            supersede=body.supersede,
        )
        return jsonable(promise_service.plan_dict(session=session, plan=plan))

    return _once(
        session=session,
        principal=principal,
        key=idempotency_key,
        scope=f"POST /cases/{work_order_id}/plans",
        body=body,
        create=create,
    )


@router.post("/cases/{work_order_id}/settlements", status_code=201, response_model=PlanOut)
def propose_settlement(
    work_order_id: Id,
    body: SettlementCreate,
    session: DbSession,
    idempotency_key: IdempotencyKeyHeader = None,
    principal: Principal = Depends(require("settlement.propose")),
) -> dict[str, Any]:
    """A settlement offer (a discount on what the case owes); approved by a checker."""
    visible_work_order(session=session, principal=principal, work_order_id=work_order_id)

    def create() -> dict[str, Any]:
        plan = plan_service.propose_settlement(
            session=session,
            work_order_id=work_order_id,
            discount=body.discount,
            due_on=body.due_on,
            actor=principal.actor,
            expected_version=body.version,
            supersede=body.supersede,
        )
        return jsonable(promise_service.plan_dict(session=session, plan=plan))

    return _once(
        session=session,
        principal=principal,
        key=idempotency_key,
        scope=f"POST /cases/{work_order_id}/settlements",
        body=body,
        create=create,
    )


@router.get("/plans/{plan_id}", response_model=PlanOut)
def show_plan(
    plan_id: Id, session: DbSession, principal: Principal = Depends(require("case.read"))
) -> dict[str, Any]:
    plan = repository.plan(session, plan_id)
    visible_case_of(
        session=session,
        principal=principal,
        work_order_id=plan.work_order_id if plan else None,
        not_found=f"no plan {plan_id}",
    )
    assert plan is not None  # visible_case_of raised otherwise
    return jsonable(promise_service.plan_dict(session=session, plan=plan))


@router.post("/plans/{plan_id}/decision", response_model=PlanOut)
def decide_plan(
    plan_id: Id,
    body: DecisionIn,
    session: DbSession,
    principal: Principal = Depends(require_any("plan.approve", "settlement.approve")),
) -> dict[str, Any]:
    """Maker-checker: approve or reject; the checker's role limit must cover the amount."""
    found = repository.plan(session, plan_id)
    visible_case_of(
        session=session,
        principal=principal,
        work_order_id=found.work_order_id if found else None,
        not_found=f"no plan {plan_id}",
    )
    plan = plan_service.decide_plan(
        session=session,
        plan_id=plan_id,
        approve=body.approve,
        actor=principal.actor,
        role=principal.role,
        note=body.note,
        expected_version=body.version,
    )
    return jsonable(promise_service.plan_dict(session=session, plan=plan))
