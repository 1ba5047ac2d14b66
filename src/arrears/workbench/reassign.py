"""A team lead moves one case to another collector: within the lead's own team, under the
allocator's eligibility and capacity rules (``workforce``), for a case the lead may see."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from arrears.auth.policy import Principal
from arrears.kit.errors import NotPermitted
from arrears.workforce import allocation_service, staff_service
from arrears.workforce.schemas import Reassignment
from arrears.workforce.scoping import visible_work_order


def reassign_bound(principal: Principal) -> int | None:
    """The staff id whose team bounds a reassignment (a team lead's own), or None (no bound).

    A team-scoped principal without a staff link may not reassign at all (fails closed)."""
    if principal.case_scope != "team":
        return None
    if principal.staff_id is None:
        raise NotPermitted("your account is not linked to a staff member")
    return principal.staff_id


def reassign_case(
    *, session: Session, principal: Principal, work_order_id: int, to_staff: str, reason: str
) -> Reassignment:
    """Move the case to ``to_staff``; closed or placed cases are refused (409)."""
    visible_work_order(session=session, principal=principal, work_order_id=work_order_id)
    return allocation_service.reassign(
        session=session,
        work_order_id=work_order_id,
        to_staff=to_staff,
        reason=reason,
        actor=principal.actor,
        within_team_of=reassign_bound(principal),
    )


def reassign_targets(*, session: Session, principal: Principal) -> list[dict[str, Any]]:
    """Active bank collectors the principal may move a case to (their team's, for a lead)."""
    staff = [
        s
        for s in staff_service.list_staff(session=session, status="active")
        if s.employment_type != "agency"
    ]
    if principal.case_scope == "team":
        own = next((s for s in staff if s.id == principal.staff_id), None)
        staff = [s for s in staff if own is not None and own.team and s.team == own.team]
    return [
        {"code": s.code, "name": s.name, "grade": s.grade, "open": s.open_cases, "cap": s.capacity}
        for s in staff
    ]
