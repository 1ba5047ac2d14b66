"""A closed case holds no assignment: closing a case ends its collector's assignment or its
agency placement, audited per case (issue 13, invariant 1).

Every close goes through here. The nightly cycle closes the cured in bulk (``engine.sync``) and
then calls ``end_assignments_of_closed``; a person closes one case (paid, settled, written off,
recalled) through ``transition``, which the API and the CLI call for every move. Ending is a sweep
over closed cases that still hold an assignment, so a case closed before this rule existed is
released by the next cycle too. Keyword-only; flush, never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from arrears.cases import service as case_service
from arrears.cases.models import WorkOrder
from arrears.kit import audit
from arrears.kit.clock import clock
from arrears.workforce import repository as repo

ENDED_REASON = "case_closed"


def end_assignments_of_closed(
    *,
    session: Session,
    actor: str,
    at: datetime | None = None,
    work_order_ids: Sequence[int] | None = None,
) -> int:
    """End the live assignment (collector or agency placement) of every closed case, or of
    these cases if they are closed; one ``assignment.ended`` audit event per case. Returns how
    many ended; a second call finds nothing."""
    at = at or clock.now()
    live = repo.live_assignments_of_closed(session, work_order_ids)
    if not live:
        return 0
    for row in live:
        audit.record(
            session,
            actor=actor,
            action="assignment.ended",
            entity="work_order",
            entity_id=row.work_order_id,
            before={
                "assignment_id": row.id,
                "staff_id": row.staff_id,
                "staff": row.staff,
                "agency_id": row.agency_id,
            },
            after={"assignment_id": row.id, "ended_reason": ENDED_REASON},
            reason=f"case closed ({row.close_reason})",
            at=at,
        )
    repo.end_assignments(session, {ENDED_REASON: [row.id for row in live]}, at)
    session.flush()
    return len(live)


def transition(
    *,
    session: Session,
    work_order_id: int,
    to: str,
    actor: str,
    reason: str | None = None,
    expected_version: int | None = None,
    close_reason: str | None = None,
    hold_reason: str | None = None,
    escalated_to: str | None = None,
) -> WorkOrder:
    """A person's move of one case through the state machine (``cases.service.transition``);
    a move to ``closed`` also ends the case's assignment, in the same transaction."""
    wo = case_service.transition(
        session=session,
        work_order_id=work_order_id,
        to=to,
        actor=actor,
        reason=reason,
        expected_version=expected_version,
        close_reason=close_reason,
        hold_reason=hold_reason,
        escalated_to=escalated_to,
    )
    if wo.status == "closed":
        end_assignments_of_closed(session=session, actor=actor, work_order_ids=[wo.id])
    return wo
