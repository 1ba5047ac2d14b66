"""Which work orders a principal may see: the one place every case query is scoped by.

A role's scope (``arrears.auth.policy.CASE_SCOPE``: assigned, mentees, agency, team, all, none)
maps to the workforce's live assignments (``assignment.ended_at IS NULL``; for a closed case the
assignment its close ended, ``workforce.closing``), mentors and teams;
that is why it lives here, above both cases and auth. ``visible_work_order`` loads one case or
raises ``NotFound`` (never 403, so a URL does not reveal that a case outside the caller's scope
exists).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, and_, exists, false, or_, select, true
from sqlalchemy.orm import Session

from arrears.auth.policy import Principal
from arrears.cases.models import WorkOrder
from arrears.kit.errors import NotFound
from arrears.workforce.closing import ENDED_REASON
from arrears.workforce.models import Assignment, Staff


def _live() -> ColumnElement[bool]:
    """The assignment that holds the case: the live one or, for a closed case, the one its
    close ended, so the last holder still reads (never works) a case it closed."""
    return and_(
        Assignment.work_order_id == WorkOrder.id,
        or_(
            Assignment.ended_at.is_(None),
            and_(WorkOrder.status == "closed", Assignment.ended_reason == ENDED_REASON),
        ),
    )


def work_order_filter(principal: Principal) -> ColumnElement[bool]:
    """A WHERE clause on ``WorkOrder`` limiting rows to the principal's case scope.

    Fails closed: a scope whose link (staff, agency, team) the user lacks sees nothing.
    """
    scope = principal.case_scope
    if scope == "all":
        return true()
    if scope == "agency":
        if principal.agency_id is None:
            return false()
        return exists().where(_live(), Assignment.agency_id == principal.agency_id)
    if scope not in ("assigned", "mentees", "team") or principal.staff_id is None:
        return false()
    own = exists().where(_live(), Assignment.staff_id == principal.staff_id)
    if scope == "assigned":
        return own
    my_team = select(Staff.team_id).where(Staff.id == principal.staff_id).scalar_subquery()
    teammates = select(Staff.id).where(Staff.team_id == my_team)
    if scope == "mentees":
        mentees = select(Staff.id).where(Staff.mentor_id == principal.staff_id)
        # Stop 3 escalates a case "to a senior specialist": any senior of the collector's
        # team takes it, not only the collector's mentor (who may have none).
        escalated_in_team = (WorkOrder.status == "escalated") & exists().where(
            _live(), Assignment.staff_id.in_(teammates)
        )
        return or_(
            own, exists().where(_live(), Assignment.staff_id.in_(mentees)), escalated_in_team
        )
    return or_(own, exists().where(_live(), Assignment.staff_id.in_(teammates)))


def scoped_work_orders(principal: Principal) -> Select[WorkOrder]:
    """``SELECT work_order`` already limited to what ``principal`` may see."""
    return select(WorkOrder).where(work_order_filter(principal))


def visible_work_order(*, session: Session, principal: Principal, work_order_id: int) -> WorkOrder:
    """The work order if the principal may see it; ``NotFound`` otherwise (same as missing)."""
    found = session.scalar(
        select(WorkOrder).where(WorkOrder.id == work_order_id, work_order_filter(principal))
    )
    if found is None:
        raise NotFound(f"no case {work_order_id}")
    # Callers often check visibility and then hand the id to a service that loads the case
    # again; the identity map holds instances weakly, so pin this one for the session's life
    # (a request) and that second load is a lookup, not another round trip.
    session.info.setdefault("visible_work_orders", []).append(found)
    return found


def visible_case_of(
    *, session: Session, principal: Principal, work_order_id: int | None, not_found: str
) -> WorkOrder:
    """The case a record (a plan, a follow-up) hangs off, if the principal may see it.

    Otherwise ``NotFound(not_found)``: the very error a missing record gets, so an id outside
    the caller's scope answers exactly like one that does not exist.
    """
    if work_order_id is not None:
        try:
            return visible_work_order(
                session=session, principal=principal, work_order_id=work_order_id
            )
        except NotFound:
            pass
    raise NotFound(not_found)
