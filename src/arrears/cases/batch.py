"""Case changes as column values, for batch work (the nightly promise stage writes a whole
night set-based): a move by the state machine and a follow-up, each with its audit event. The
single-case service functions (``cases/service.py``) are built on them."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

from arrears.cases.models import FOLLOW_UP_KINDS, FollowUp, WorkOrder
from arrears.cases.states import TRANSITIONS, Move
from arrears.kit import audit
from arrears.kit.clock import clock
from arrears.kit.errors import BadInput

ENTITY = "work_order"


def snapshot(wo: WorkOrder | Row[Any]) -> dict[str, Any]:
    """What a move's audit event shows, from the case or its row."""
    return {
        "status": wo.status,
        "close_reason": wo.close_reason,
        "hold_reason": wo.hold_reason,
        "escalated_to": (wo.extra or {}).get("escalated_to"),
        "problem_customer": wo.problem_customer,
        "version": wo.version,
    }


def move_values(move: Move, *, extra: dict[str, Any] | None) -> dict[str, Any]:
    """The columns a move by the state machine sets (the batch writes them as a row)."""
    now = clock.now()
    values: dict[str, Any] = {
        "status": move.status,
        "close_reason": move.close_reason,
        "closed_on": clock.today() if move.status == "closed" else None,
        "hold_reason": move.hold_reason,
        "updated_at": now,
    }
    if move.escalated_to:
        values["escalated_at"] = now
        values["extra"] = {**(extra or {}), "escalated_to": move.escalated_to}
    return values


def set_move(wo: WorkOrder, move: Move) -> None:
    for column, value in move_values(move, extra=wo.extra).items():
        setattr(wo, column, value)


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


def legal(work_order: WorkOrder | Row[Any], to: str) -> bool:
    return work_order.status != to and to in TRANSITIONS.get(work_order.status, frozenset())


def follow_up_values(
    *,
    work_order_id: int,
    due_on: date,
    kind: str,
    actor: str,
    note: str | None = None,
    source: str | None = None,
    not_before: date | None = None,
) -> dict[str, Any]:
    """A follow-up task's row, checked (known kind, not due before ``not_before``, by default
    the center's today)."""
    if kind not in FOLLOW_UP_KINDS:
        raise BadInput(f"kind must be one of: {', '.join(FOLLOW_UP_KINDS)} (got {kind!r})")
    if due_on < (not_before or clock.today()):
        raise BadInput(f"a follow-up cannot be due in the past ({due_on})")
    return {
        "work_order_id": work_order_id,
        "due_on": due_on,
        "kind": kind,
        "note": note,
        "source": source,
        "status": "open",
        "created_by": actor,
        "created_at": clock.now(),
    }


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
    task = FollowUp(
        **follow_up_values(
            work_order_id=work_order.id,
            due_on=due_on,
            kind=kind,
            actor=actor,
            note=note,
            source=source,
            not_before=not_before,
        )
    )
    session.add(task)
    if work_order.next_action_on is None or due_on < work_order.next_action_on:
        work_order.next_action_on = due_on
        work_order.updated_at = clock.now()
    return task


def follow_up_event(*, task_id: int, values: dict[str, Any], actor: str) -> dict[str, Any]:
    """The audit event of a scheduled follow-up, as a row for ``audit.record_many``."""
    return {
        "actor": actor,
        "action": "follow_up.schedule",
        "entity": "follow_up",
        "entity_id": str(task_id),
        "after": {
            "work_order_id": values["work_order_id"],
            "due_on": values["due_on"].isoformat(),
            "kind": values["kind"],
        },
        "reason": values["note"],
    }


def audit_follow_up(*, session: Session, task: FollowUp, actor: str) -> None:
    event = follow_up_event(
        task_id=task.id,
        values={"work_order_id": task.work_order_id, "due_on": task.due_on, "kind": task.kind,
                "note": task.note},
        actor=actor,
    )  # fmt: skip
    audit.record(session, **event)
