"""JSON routes of the workbench: the queue, the next case, the case view, unmasking a field."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from arrears.auth.dependencies import DbSession, require
from arrears.auth.policy import Principal
from arrears.cases.repository import QueueFilter
from arrears.kit.schema_types import Id, Offset
from arrears.workbench import case_view, queue
from arrears.workbench.schemas import CaseView, QueuePage, Unmasked, UnmaskRequest

router = APIRouter(tags=["workbench"])


class NextCase(BaseModel):
    work_order_id: int | None


@router.get("/workbench/queue", response_model=QueuePage, tags=["workbench"])
def queue_page(
    session: DbSession,
    principal: Principal = Depends(require("queue.read")),
    bucket: str | None = None,
    level: str | None = None,
    status: str | None = None,
    search: str | None = Query(default=None, max_length=64),
    view: Literal["mine", "escalated"] = "mine",
    limit: int = Query(default=50, ge=1, le=200),
    offset: Offset = 0,
) -> QueuePage:
    """The caller's open cases in priority order, within the role's scope, with filters."""
    flt = QueueFilter(
        bucket=bucket,
        level=level,
        status=status,
        search=search,
        view=None if view == "mine" else view,
    )
    return queue.queue_page(
        session=session, principal=principal, flt=flt, limit=limit, offset=offset
    )


@router.get("/workbench/next", response_model=NextCase, tags=["workbench"])
def next_case(
    session: DbSession, principal: Principal = Depends(require("queue.read"))
) -> NextCase:
    """The case to work next (highest priority due today), or null when the queue is done."""
    found = queue.next_case(session=session, principal=principal)
    return NextCase(work_order_id=found.id if found else None)


@router.get("/workbench/cases/{work_order_id}", response_model=CaseView, tags=["workbench"])
def case(
    work_order_id: Id,
    session: DbSession,
    principal: Principal = Depends(require("case.read")),
) -> CaseView:
    """Profile, accounts with the owed breakdown, and the timeline; personal data masked."""
    return case_view.case_view(
        session=session,
        principal=principal,
        work_order_id=work_order_id,
    )


@router.post("/workbench/cases/{work_order_id}/unmask", response_model=Unmasked, tags=["workbench"])
def unmask(
    work_order_id: Id,
    body: UnmaskRequest,
    session: DbSession,
    principal: Principal = Depends(require("pii.unmask")),
) -> Unmasked:
    """Reveal one masked field; every reveal is written to the audit trail."""
    return case_view.unmask(
        session=session,
        principal=principal,
        work_order_id=work_order_id,
        field=body.field,
        item_id=body.item_id,
    )
