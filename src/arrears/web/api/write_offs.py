"""JSON API of the write-off: the maker proposes, a checker within the approval chain decides."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from arrears.auth.dependencies import DbSession, require
from arrears.auth.policy import Principal
from arrears.chargeoff import repository
from arrears.chargeoff import service as chargeoff_service
from arrears.chargeoff.schemas import WriteOffCreate, WriteOffDecision, WriteOffOut
from arrears.kit.schema_types import Id
from arrears.kit.serialize import jsonable
from arrears.workbench import write_off
from arrears.workforce.scoping import visible_case_of, visible_work_order

router = APIRouter(prefix="/write-offs", tags=["write-off"])


@router.post("", response_model=WriteOffOut, status_code=201)
def propose(
    body: WriteOffCreate,
    session: DbSession,
    principal: Principal = Depends(require("settlement.propose")),
) -> dict[str, Any]:
    """Propose writing off a charged-off case in review, at the store's charged-off balance."""
    visible_work_order(session=session, principal=principal, work_order_id=body.work_order_id)
    made = chargeoff_service.propose(
        session=session,
        work_order_id=body.work_order_id,
        actor=principal.actor,
        role=principal.role,
        reason=body.reason,
    )
    return jsonable(chargeoff_service.summary(made))


@router.post("/{write_off_id}/decision", response_model=WriteOffOut)
def decide(
    write_off_id: Id,
    body: WriteOffDecision,
    session: DbSession,
    principal: Principal = Depends(require("settlement.approve")),
) -> dict[str, Any]:
    """Maker-checker: the checker is not the maker and his role's limit covers the amount."""
    found = repository.write_off(session, write_off_id)
    visible_case_of(
        session=session,
        principal=principal,
        work_order_id=found.work_order_id if found else None,
        not_found=f"no write-off {write_off_id}",
    )
    decided = write_off.decide(
        session=session,
        write_off_id=write_off_id,
        approve=body.approve,
        actor=principal.actor,
        role=principal.role,
        note=body.note,
    )
    return jsonable(chargeoff_service.summary(decided))


@router.get("/book")
def book(
    session: DbSession, principal: Principal = Depends(require("analytics.read"))
) -> dict[str, Any]:
    """The charged-off book and the recoveries after write-off (rate, net of costs)."""
    return jsonable(chargeoff_service.write_off_report(session))
