"""JSON API for work orders: list, take next, show, transition, three stops, follow-ups,
profile, scripts, reassignment. Mounted under /api/v1 by the app factory."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from arrears.auth.dependencies import DbSession, require
from arrears.auth.policy import Principal
from arrears.cases import repository, views
from arrears.cases import service as case_service
from arrears.cases.schemas import (
    AccountOwedOut,
    CaseSummary,
    FollowUpDone,
    FollowUpIn,
    FollowUpOut,
    NextActionIn,
    ProfileIn,
    ProfileOut,
    StopIn,
    StopRecorded,
    TransitionIn,
)
from arrears.kit.schema_types import Id, Offset
from arrears.workbench import case_view, reassign, three_stops
from arrears.workbench import queue as workbench_queue
from arrears.workbench.schemas import CaseView, ScriptOut
from arrears.workbench.script import case_script
from arrears.workforce import closing
from arrears.workforce.schemas import Reassignment, ReassignRequest
from arrears.workforce.scoping import scoped_work_orders, visible_case_of, visible_work_order

router = APIRouter(prefix="/cases", tags=["cases"])


@router.get("", response_model=list[CaseSummary])
def list_cases(
    session: DbSession,
    principal: Principal = Depends(require("queue.read")),
    status: str | None = None,
    queue: str | None = None,
    limit: int = Query(default=50, ge=1, le=500),
    offset: Offset = 0,
) -> list[CaseSummary]:
    """Cases in the caller's scope, most urgent first."""
    found = repository.list_work_orders(
        session,
        base=scoped_work_orders(principal),
        status=status,
        queue=queue,
        limit=limit,
        offset=offset,
    )
    return [views.case_summary(wo) for wo in found]


@router.post("/next", response_model=CaseSummary)
def take_next(
    session: DbSession,
    principal: Principal = Depends(require("case.work")),
    queue: str | None = None,
) -> CaseSummary:
    """Take the most urgent due case in your scope; it moves to in_progress."""
    wo = workbench_queue.take_next(session=session, principal=principal, queue=queue)
    return views.case_summary(wo)


@router.get("/{work_order_id}", response_model=CaseView)
def show(
    work_order_id: Id, session: DbSession, principal: Principal = Depends(require("case.read"))
) -> CaseView:
    """The case view (as ``/workbench/cases/{id}`` and the case page): figures, breakdown,
    contact-person unlock, stops, follow-ups, profile, promises, plans, contacts, timeline."""
    return case_view.case_view(session=session, principal=principal, work_order_id=work_order_id)


@router.get("/{work_order_id}/breakdown", response_model=list[AccountOwedOut])
def breakdown(
    work_order_id: Id, session: DbSession, principal: Principal = Depends(require("case.read"))
) -> list[AccountOwedOut]:
    """What is owed on each account and why, line by line (en and zh-CN)."""
    visible_work_order(session=session, principal=principal, work_order_id=work_order_id)
    return views.breakdown(session, work_order_id)


@router.post("/{work_order_id}/transition", response_model=CaseSummary)
def transition(
    work_order_id: Id,
    body: TransitionIn,
    session: DbSession,
    principal: Principal = Depends(require("case.work")),
) -> CaseSummary:
    """Move the case; illegal moves are 409 with the allowed list; stale versions are 409.
    Closing it ends its assignment."""
    visible_work_order(session=session, principal=principal, work_order_id=work_order_id)
    wo = closing.transition(
        session=session,
        work_order_id=work_order_id,
        to=body.to,
        actor=principal.actor,
        reason=body.reason,
        expected_version=body.version,
        close_reason=body.close_reason,
        hold_reason=body.hold_reason,
        escalated_to=body.escalated_to,
    )
    return views.case_summary(wo)


@router.post("/{work_order_id}/stops", status_code=201, response_model=StopRecorded)
def give_stop(
    work_order_id: Id,
    body: StopIn,
    session: DbSession,
    principal: Principal = Depends(require("case.work")),
) -> StopRecorded:
    """Record a stop (1, 2, 3 in order); stop 3 escalates to a senior specialist."""
    visible_work_order(session=session, principal=principal, work_order_id=work_order_id)
    record = three_stops.give_stop(
        session=session,
        work_order_id=work_order_id,
        stop=body.stop,
        actor=principal.actor,
        locale=body.locale,
        contact_attempt_id=body.contact_attempt_id,
        expected_version=body.version,
    )
    wo = case_service.get(session=session, work_order_id=work_order_id)
    return StopRecorded(
        stop=record.stop,
        wording=record.wording,
        given_at=record.given_at,
        case=views.case_summary(wo),
    )


@router.post("/{work_order_id}/follow-ups", status_code=201, response_model=FollowUpOut)
def schedule_follow_up(
    work_order_id: Id,
    body: FollowUpIn,
    session: DbSession,
    principal: Principal = Depends(require("case.work")),
) -> FollowUpOut:
    visible_work_order(session=session, principal=principal, work_order_id=work_order_id)
    task = case_service.schedule_follow_up(
        session=session,
        work_order_id=work_order_id,
        due_on=body.due_on,
        kind=body.kind,
        note=body.note,
        actor=principal.actor,
    )
    return FollowUpOut.model_validate(task, from_attributes=True)


@router.post("/follow-ups/{follow_up_id}/done", response_model=FollowUpDone)
def complete_follow_up(
    follow_up_id: Id, session: DbSession, principal: Principal = Depends(require("case.work"))
) -> FollowUpDone:
    task = repository.follow_up(session, follow_up_id)
    visible_case_of(
        session=session,
        principal=principal,
        work_order_id=task.work_order_id if task else None,
        not_found=f"no follow-up {follow_up_id}",
    )
    task = case_service.complete_follow_up(
        session=session, follow_up_id=follow_up_id, actor=principal.actor
    )
    return FollowUpDone(id=task.id, status=task.status, done_at=task.done_at)


@router.put("/{work_order_id}/next-action", response_model=CaseSummary)
def set_next_action(
    work_order_id: Id,
    body: NextActionIn,
    session: DbSession,
    principal: Principal = Depends(require("case.work")),
) -> CaseSummary:
    visible_work_order(session=session, principal=principal, work_order_id=work_order_id)
    wo = case_service.set_next_action(
        session=session,
        work_order_id=work_order_id,
        on=body.on,
        actor=principal.actor,
        expected_version=body.version,
    )
    return views.case_summary(wo)


@router.put("/{work_order_id}/profile", response_model=ProfileOut)
def update_profile(
    work_order_id: Id,
    body: ProfileIn,
    session: DbSession,
    principal: Principal = Depends(require("case.work")),
) -> ProfileOut:
    """Listen, ask, check: only the fields you send change."""
    visible_work_order(session=session, principal=principal, work_order_id=work_order_id)
    found = case_service.update_profile(
        session=session,
        work_order_id=work_order_id,
        actor=principal.actor,
        pain_points=body.pain_points,
        stated_reason=body.stated_reason,
        reason_detail=body.reason_detail,
        facts=[f.model_dump() for f in body.facts] if body.facts is not None else None,
        agreed_solution=body.agreed_solution,
        expected_version=body.version,
    )
    return ProfileOut.model_validate(case_service.profile_dict(found))


@router.get("/{work_order_id}/script", response_model=ScriptOut)
def script(
    work_order_id: Id,
    session: DbSession,
    principal: Principal = Depends(require("case.read")),
    name: str | None = None,
    locale: str | None = None,
) -> ScriptOut:
    """The script for the case's level (or ``name``), rendered with its real figures."""
    visible_work_order(session=session, principal=principal, work_order_id=work_order_id)
    return ScriptOut.model_validate(
        case_script(
            session=session,
            work_order_id=work_order_id,
            name=name,
            locale=locale,
            collector_name=principal.display_name or principal.username,
        )
    )


@router.post("/{work_order_id}/reassign", response_model=Reassignment)
def reassign_case(
    work_order_id: Id,
    body: ReassignRequest,
    session: DbSession,
    principal: Principal = Depends(require("case.reassign")),
) -> Reassignment:
    """Move one case to another collector: a team lead, within their team, under the
    allocator's eligibility and capacity rules. Closed or placed cases are a 409."""
    return reassign.reassign_case(
        session=session,
        principal=principal,
        work_order_id=work_order_id,
        to_staff=body.to_staff,
        reason=body.reason,
    )
