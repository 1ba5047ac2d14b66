"""JSON API for legal cases (permission ``legal.work``: seniors and leads) and agency contracts
and commission statements (``agencies.manage``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from arrears.auth.dependencies import DbSession, require
from arrears.auth.policy import Principal
from arrears.kit.errors import BadInput
from arrears.kit.schema_types import Body, Id
from arrears.kit.serialize import jsonable
from arrears.legal import service
from arrears.workforce import agency_service, schemas
from arrears.workforce.metrics import parse_month

router = APIRouter(tags=["legal"])


class OpenIn(Body):
    work_order_id: Id
    court: str | None = Field(None, max_length=200)


class MoveIn(Body):
    to: str = Field(max_length=32)
    court: str | None = Field(None, max_length=200)
    reference: str | None = Field(None, max_length=64)
    hearing_on: date | None = None
    outcome: str | None = Field(None, max_length=2000)
    version: int | None = None


class CostIn(Body):
    kind: str = Field(max_length=24)
    amount: Decimal = Field(gt=0, decimal_places=2, max_digits=16)
    borne_by: str = Field(max_length=16)
    note: str | None = Field(None, max_length=2000)


@router.post("/legal/cases", status_code=201)
def open_case(
    body: OpenIn, session: DbSession, principal: Principal = Depends(require("legal.work"))
) -> dict[str, Any]:
    lc = service.open_case(
        session=session, work_order_id=body.work_order_id, actor=principal.actor, court=body.court
    )
    return service.as_dict(lc)


@router.post("/legal/cases/{legal_case_id}/stage")
def move(
    legal_case_id: Id,
    body: MoveIn,
    session: DbSession,
    principal: Principal = Depends(require("legal.work")),
) -> dict[str, Any]:
    """Illegal moves are 409 with the allowed list; a filing without its reference is 422."""
    lc = service.move(
        session=session,
        legal_case_id=legal_case_id,
        to=body.to,
        actor=principal.actor,
        court=body.court,
        reference=body.reference,
        hearing_on=body.hearing_on,
        outcome=body.outcome,
        expected_version=body.version,
    )
    return service.as_dict(lc)


@router.post("/legal/cases/{legal_case_id}/costs", status_code=201)
def add_cost(
    legal_case_id: Id,
    body: CostIn,
    session: DbSession,
    principal: Principal = Depends(require("legal.work")),
) -> dict[str, Any]:
    cost = service.add_cost(
        session=session,
        legal_case_id=legal_case_id,
        kind=body.kind,
        amount=body.amount,
        borne_by=body.borne_by,
        actor=principal.actor,
        note=body.note,
    )
    line = service.cost_line(session=session, legal_case_id=legal_case_id)
    return jsonable(
        {
            "kind": cost.kind,
            "amount": cost.amount,
            "borne_by": cost.borne_by,
            "incurred_on": cost.incurred_on,
            "on_balance": line.amount,
            "explanation": line.explanation,
        }
    )


@router.get("/legal/queue")
def legal_queue(
    session: DbSession, principal: Principal = Depends(require("legal.work"))
) -> list[dict[str, Any]]:
    return jsonable(service.queue(session=session))


@router.post("/agencies/contracts", status_code=201)
def add_contract(
    body: schemas.AgencyContractCreate,
    session: DbSession,
    principal: Principal = Depends(require("agencies.manage")),
) -> dict[str, Any]:
    """A contract with an unknown bucket or level, dates out of order or overlapping another
    of the agency's is 422."""
    out = agency_service.add_contract(session=session, data=body, actor=principal.actor)
    return jsonable(out.model_dump())


@router.get("/agencies/{code}/statement")
def statement(
    code: str,
    session: DbSession,
    month: str = Query(..., description="YYYY-MM; the month must be over"),
    principal: Principal = Depends(require("agencies.manage")),
) -> dict[str, Any]:
    try:
        first = parse_month(month)
    except ValueError as exc:
        raise BadInput(f"month: {exc}") from None
    out = agency_service.commission_statement(session=session, agency=code, month=first)
    return jsonable(out.model_dump())
