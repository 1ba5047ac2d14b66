"""How the scopes 'assigned', 'mentees', 'agency' and 'team' map to the workforce's live
assignments (``assignment.ended_at IS NULL``). Kept apart from ``scoping`` because it follows
the workforce schema."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, false, or_, select

from arrears.auth.policy import CaseScope, Principal
from arrears.cases.models import WorkOrder
from arrears.workforce.models import Assignment, Staff


def _live() -> ColumnElement[bool]:
    return and_(Assignment.work_order_id == WorkOrder.id, Assignment.ended_at.is_(None))


def filter_for(principal: Principal, scope: CaseScope) -> ColumnElement[bool]:
    """Fails closed: a user without the staff/agency link their scope needs sees nothing."""
    if scope == "agency":
        if principal.agency_id is None:
            return false()
        return exists().where(_live(), Assignment.agency_id == principal.agency_id)
    if principal.staff_id is None:
        return false()
    own = exists().where(_live(), Assignment.staff_id == principal.staff_id)
    if scope == "assigned":
        return own
    if scope == "mentees":
        mentees = select(Staff.id).where(Staff.mentor_id == principal.staff_id)
        return or_(own, exists().where(_live(), Assignment.staff_id.in_(mentees)))
    if scope == "team":
        my_team = select(Staff.team_id).where(Staff.id == principal.staff_id).scalar_subquery()
        teammates = select(Staff.id).where(Staff.team_id == my_team)
        return or_(own, exists().where(_live(), Assignment.staff_id.in_(teammates)))
    return false()
