"""Case changes set on the session without a flush, for batch work (the nightly promise stage
writes a whole night in one flush): a move by the state machine and a follow-up, each with its
audit event. The single-case service functions (``cases/service.py``) are built on them."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from arrears.cases.models import FOLLOW_UP_KINDS, FollowUp, WorkOrder
from arrears.cases.states import TRANSITIONS, Move, plan_move
from arrears.kit import audit
from arrears.kit.clock import clock
from arrears.kit.errors import BadInput

ENTITY = "work_order"


def snapshot(wo: WorkOrder) -> dict[str, Any]:
    return {
        "status": wo.status,
        "close_reason": wo.close_reason,
        "hold_reason": wo.hold_reason,
        "escalated_to": (wo.extra or {}).get("escalated_to"),
        "problem_customer": wo.problem_customer,
        "version": wo.version,
    }


def set_move(wo: WorkOrder, move: Move) -> None:
    now = clock.now()
    wo.status = move.status
    wo.close_reason = move.close_reason
    wo.closed_on = clock.today() if move.status == "closed" else None
    wo.hold_reason = move.hold_reason
    if move.escalated_to:
        wo.escalated_at = now
        wo.extra = {**(wo.extra or {}), "escalated_to": move.escalated_to}
    wo.updated_at = now


def audit_move(
    session: Session,
    wo: WorkOrder,
    *,
    before: dict[str, Any],
    after: dict[str, Any],
    actor: str,
    reason: str | None,
) -> None:
    audit.record(
        session,
        actor=actor,
        action="work_order.transition",
        entity=ENTITY,
        entity_id=wo.id,
        before=before,
        after=after,
        reason=reason,
    )


def legal(work_order: WorkOrder, to: str) -> bool:
    return work_order.status != to and to in TRANSITIONS.get(work_order.status, frozenset())


def stage_move_if_legal(
    *, session: Session, work_order: WorkOrder, to: str, actor: str, reason: str
) -> bool:
    """``move_if_legal`` for batch work: the move and its audit event are set without a flush;
    the batch flushes once, which writes version + 1 (the version the audit event shows)."""
    if not legal(work_order, to):
        return False
    before = snapshot(work_order)
    set_move(work_order, plan_move(work_order.status, to))
    after = {**snapshot(work_order), "version": work_order.version + 1}
    audit_move(session, work_order, before=before, after=after, actor=actor, reason=reason)
    return True


def stage_follow_up(
    *,
    session: Session,
    work_order: WorkOrder,
    due_on: date,
    kind: str,
    actor: str,
    note: str | None = None,
    source: str | None = None,
    not_before: date | None = None,
) -> FollowUp:
    """The follow-up task added to the session, not flushed (batch work flushes once, then
    calls ``audit_follow_up`` for each task, which needs its id)."""
    if kind not in FOLLOW_UP_KINDS:
        raise BadInput(f"kind must be one of: {', '.join(FOLLOW_UP_KINDS)} (got {kind!r})")
    if due_on < (not_before or clock.today()):
        raise BadInput(f"a follow-up cannot be due in the past ({due_on})")
    task = FollowUp(
        work_order_id=work_order.id,
        due_on=due_on,
        kind=kind,
        note=note,
        source=source,
        status="open",
        created_by=actor,
        created_at=clock.now(),
    )
    session.add(task)
    if work_order.next_action_on is None or due_on < work_order.next_action_on:
        work_order.next_action_on = due_on
        work_order.updated_at = clock.now()
    return task


def audit_follow_up(*, session: Session, task: FollowUp, actor: str) -> None:
    audit.record(
        session,
        actor=actor,
        action="follow_up.schedule",
        entity="follow_up",
        entity_id=task.id,
        after={
            "work_order_id": task.work_order_id,
            "due_on": task.due_on.isoformat(),
            "kind": task.kind,
        },
        reason=task.note,
    )
